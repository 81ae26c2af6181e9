#!/usr/bin/env -S node --max-semi-space-size=16 --heap-growing-percent=100
/**
 * The installed `resultgate` command (dist/cli.js). It checks the Node version before it loads
 * anything else, so an old Node gets one line saying what is needed instead of a crash deep in a
 * dependency (undici 8 needs zlib's zstd, for one). Keep this file free of static imports: the
 * CLI itself is loaded only after the check.
 *
 * The launch flag (the Dockerfile's ENTRYPOINT repeats it; a test keeps the two equal): V8 grows
 * its young generation up to 2 × 64 MB on a machine with this much memory, garbage a
 * request/response server never needs — under load the gateway's RSS was ~270 MB for ~35 MB live.
 * Capped at 2 × 16 MB it stays under 200 MB, with no measurable CPU cost in `npm run bench`
 * (8 MB did cost: more objects of the 50 in-flight requests survive each scavenge). V8 reads this
 * size only when the process starts, so it cannot be set from code.
 */

/** The oldest Node major the gateway runs on (package.json's `engines` says the same; a test checks). */
export const MIN_NODE_MAJOR = 24;

const major = Number(process.versions.node.split('.')[0]);
if (major < MIN_NODE_MAJOR) {
  process.stderr.write(
    `resultgate: needs Node ${MIN_NODE_MAJOR} or newer; this is Node ${process.versions.node} (${process.execPath})\n`,
  );
  process.exit(1);
} else {
  const { runCli } = await import('./main.js');
  runCli();
}
