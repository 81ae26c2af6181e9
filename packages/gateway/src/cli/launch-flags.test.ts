import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchFlags } from './launch-flags.js';

const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));

describe('launch flags', () => {
  it('caps the young generation, in the shebang and in the Dockerfile alike', () => {
    const flags = launchFlags();
    expect(flags).toContain('--max-semi-space-size=16');
    const entry = /^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(DOCKERFILE, 'utf8'));
    expect(entry).not.toBeNull();
    expect(JSON.parse(entry![1]!)).toEqual(['node', ...flags, '/app/dist/cli.js']);
  });

  it('are flags this Node accepts, and they take effect', () => {
    const script =
      "const v8=require('node:v8');let k=[];for(let i=0;i<3e6;i++){k.push({i});if(k.length>2e5)k=[]}" +
      "process.stdout.write(String(v8.getHeapSpaceStatistics().find(s=>s.space_name==='new_space').space_size))";
    const run = spawnSync(process.execPath, [...launchFlags(), '-e', script], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    // Two semi-spaces of at most 16 MB (without the flag this machine lets them grow to 64 MB).
    expect(Number(run.stdout)).toBeLessThanOrEqual(32 * 2 ** 20);
    expect(Number(run.stdout)).toBeGreaterThan(0);
  });
});
