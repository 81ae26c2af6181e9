/**
 * `resultgate serve [--policy FILE]` — runs the gateway until SIGTERM/SIGINT (drains in-flight
 * requests first). SIGHUP reloads the policy; an invalid one is refused and the old keeps serving.
 */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { WORKER_ENV } from '../cluster/messages.js';
import { runPrimary } from '../cluster/primary.js';
import { runWorker } from '../cluster/worker.js';
import { loadPolicyFile, PolicyError } from '../policy/load.js';
import { preflight } from '../preflight/index.js';
import { startGateway } from '../server.js';
import { type CliCommand, EXIT, policyPath } from './command.js';

const HELP = `Usage: resultgate serve [--policy FILE] [--workers N|auto]

Runs the gateway: HTTPS (proxies), plain HTTP (redirects to HTTPS) and the admin port
(/healthz, /readyz, /metrics), as set in the policy's "server" section.

Before it opens a port it runs every check of \`resultgate check\` (files, certificate and key,
password hashes, log directory): on an error it prints them all and exits 1; warnings are printed
and it starts.

Options:
  --policy FILE      the policy file (default: $RESULTGATE_POLICY, else ./policy.json)
  --workers N|auto   run N worker processes sharing the ports (auto: one per CPU). They share
                     lockouts and logouts; the primary writes the audit chain, reloads every
                     worker at once and drains them all on SIGTERM
  -h, --help         show this help

Signals:
  SIGHUP          reload the policy (an invalid policy is refused; the old one keeps serving)
  SIGTERM, SIGINT stop accepting, finish in-flight requests, exit

Environment:
  RESULTGATE_ALLOW_WEAK_HASHES=1  weak scrypt hashes are warnings, not errors (test rigs with
                                  cheap hashes only; never in production)

Exit codes:
  0  stopped by SIGTERM or SIGINT after draining
  1  the policy is invalid or fails a check, or a port or file cannot be used
  2  usage error (unknown option)
`;

export const command: CliCommand = {
  name: 'serve',
  summary: 'run the gateway (HTTPS proxy, HTTP redirect, admin port)',
  help: HELP,
  async run(argv, io) {
    const workerOf = io.env[WORKER_ENV];
    if (cluster.isWorker && workerOf) {
      await runWorker(workerOf);
      // The worker exits when the primary tells it to drain.
      return new Promise<number>(() => {});
    }
    let flag: string | undefined;
    let workers: number | undefined;
    for (let i = 0; i < argv.length; i++) {
      if (argv[i] === '--policy' && argv[i + 1]) flag = argv[++i];
      else if (argv[i] === '--workers' && argv[i + 1]) {
        const value = argv[++i]!;
        workers = value === 'auto' ? availableParallelism() : Number(value);
        if (!Number.isInteger(workers) || workers < 1 || workers > 256) {
          io.stderr.write(
            `resultgate serve: --workers takes a number from 1 to 256 or "auto", not "${value}"\n`,
          );
          return EXIT.usage;
        }
      } else {
        io.stderr.write(`resultgate serve: unknown option "${argv[i]}"\n\n${HELP}`);
        return EXIT.usage;
      }
    }
    const file = policyPath(flag, io);
    try {
      const { errors, warnings } = await preflight(await loadPolicyFile(file), {
        cwd: io.cwd,
        now: Date.now(),
        allowWeakHashes: io.env.RESULTGATE_ALLOW_WEAK_HASHES === '1',
        workers,
      });
      for (const w of warnings) io.stderr.write(`resultgate serve: warning: ${w}\n`);
      if (errors.length > 0) throw new PolicyError(file, errors);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      io.stderr.write(
        `resultgate serve: ${message}\nnot started: fix the above (resultgate check lists it too)\n`,
      );
      return EXIT.failed;
    }
    if (workers !== undefined) {
      try {
        return await runPrimary({ policyFile: file, workers, io });
      } catch (err) {
        io.stderr.write(`resultgate serve: ${err instanceof Error ? err.message : String(err)}\n`);
        return EXIT.failed;
      }
    }
    let gateway: Awaited<ReturnType<typeof startGateway>>;
    try {
      gateway = await startGateway({
        policyFile: file,
        watch: true,
        onReload: (err) =>
          err === undefined
            ? io.stdout.write('resultgate: policy reloaded\n')
            : io.stderr.write(
                `resultgate: policy reload refused, the old policy keeps serving:\n${
                  err instanceof PolicyError ? err.issues.map((i) => `  ${i}`).join('\n') : String(err)
                }\n`,
              ),
      });
    } catch (err) {
      io.stderr.write(`resultgate serve: ${err instanceof Error ? err.message : String(err)}\n`);
      return EXIT.failed;
    }
    const p = gateway.policy();
    io.stdout.write(
      `resultgate: serving ${file}\n  https ${p.server.https.host}:${gateway.httpsPort}\n` +
        (gateway.httpPort
          ? `  http  ${p.server.http?.host}:${gateway.httpPort} (redirects to https)\n`
          : '') +
        (gateway.adminPort
          ? `  admin ${p.server.admin?.host}:${gateway.adminPort} (/healthz /readyz /metrics)\n`
          : ''),
    );
    // SIGHUP reloads too (the outcome is printed by onReload above).
    const onHup = () => void gateway.reload().catch(() => {});
    process.on('SIGHUP', onHup);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        process.off('SIGHUP', onHup);
        io.stdout.write('resultgate: draining…\n');
        void gateway.close().then(resolve);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    io.stdout.write('resultgate: stopped\n');
    return EXIT.ok;
  },
};
