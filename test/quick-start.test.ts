/**
 * The README's quick start is true: `npm start` (scripts/start.ts, spawned as a process in a
 * fresh directory, as on a newcomer's first run) prints exactly the URLs and logins of the
 * README's "Try it" section, serves a page through the gateway over HTTPS, redirects plain HTTP,
 * the printed API login works, and the printed SDK snippet runs as printed. It uses the demo's fixed ports (8443, 8080, 9090, 3000).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { httpRequest, httpsRequest } from './helpers/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
/** The one line that differs per first run: the demo result's random access code and PIN. */
const VARYING = /^ {4}a result {4}access code [0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4} {2}PIN \d{6} {2}\(.+\)$/;

/** The fenced block under "## Try it" in the README. */
async function tryItBlock(): Promise<string[]> {
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith('Try it'));
  const block = section?.match(/```text\n([\s\S]*?)```/)?.[1];
  if (!block) throw new Error('README.md has no "## Try it" section with a ```text block');
  return block.trimEnd().split('\n');
}

/** Starts `npm start`'s script in `dir`; resolves with the printed banner once it is up. */
function start(dir: string): { child: ChildProcess; banner: Promise<string[]> } {
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', TSX, join(ROOT, 'scripts/start.ts')],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  const banner = new Promise<string[]>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start did not come up:\n${out}\n${err}`)), 45_000);
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      // The banner ends with the SDK snippet and a blank line.
      const lines = out.split('\n');
      const from = lines.indexOf('resultgate is running — Ctrl-C stops everything.');
      if (from >= 0 && /for await .*\n\n/.test(out)) {
        clearTimeout(timer);
        resolve(lines.slice(from).join('\n').trimEnd().split('\n'));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code}:\n${out}\n${err}`));
    });
  });
  return { child, banner };
}

describe('npm start (the README quick start)', () => {
  it('prints the README "Try it" block, serves through the gateway over TLS, redirects HTTP', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'resultgate-start-'));
    await mkdir(join(dir, 'examples'));
    await cp(join(ROOT, 'examples/policy.json'), join(dir, 'examples/policy.json'));
    const { child, banner } = start(dir);
    try {
      const printed = await banner;
      const readme = await tryItBlock();
      expect(printed.length).toBe(readme.length);
      printed.forEach((line, i) => {
        if (VARYING.test(line)) expect(readme[i]).toMatch(VARYING);
        else expect(readme[i], `README "Try it" line ${i + 1}`).toBe(line);
      });

      // The recipient page through the gateway, over TLS, with the gateway's security headers.
      const page = await httpsRequest({ port: 8443, host: 'school-a.localhost', path: '/r' });
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      // Plain HTTP only redirects.
      const plain = await httpRequest({ port: 8080, host: 'school-a.localhost', path: '/r?x=1' });
      expect(plain.status).toBe(308);
      expect(plain.headers.location).toBe('https://school-a.localhost:8443/r?x=1');
      // The printed API login works, and the admin screen asks for the login page.
      const api = printed.find((l) => l.includes('API (Basic)') && l.includes('school-a'))!;
      const [user, password] = api
        .trim()
        .split(/\s+/)
        .slice(-3)
        .filter((w) => w !== '/');
      const auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const list = await httpsRequest({
        port: 8443,
        path: '/api/v1/results',
        headers: { authorization: auth },
      });
      expect(list.status).toBe(200);
      expect(list.json().data.length).toBeGreaterThan(0);
      const admin = await httpsRequest({ port: 8443, path: '/admin', headers: { accept: 'text/html' } });
      expect(admin.status).toBe(303);
      expect(admin.headers.location).toBe('/.gateway/login?next=%2Fadmin');

      // The SDK snippet, pasted into a file of the repository and run from the demo's directory.
      const from = printed.findIndex((l) => l.startsWith('  SDK: paste into try.ts'));
      const snippet = printed.slice(from + 1).map((l) => l.slice(4));
      await mkdir(join(ROOT, 'var'), { recursive: true });
      const file = join(ROOT, 'var', `try-sdk-${process.pid}.ts`);
      try {
        await writeFile(file, `${snippet.join('\n')}\n`);
        const run = await promisify(execFile)(
          process.execPath,
          ['--conditions=source', '--import', TSX, file],
          { cwd: dir, timeout: 30_000 },
        );
        expect(run.stdout).toMatch(/^demo-001 \w+ /m);
      } finally {
        await rm(file, { force: true });
      }
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode === null ? child.once('exit', r) : r(null)));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
