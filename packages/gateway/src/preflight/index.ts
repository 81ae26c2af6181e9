/**
 * `resultgate check` at the level of `nginx -t`, and what `serve` runs before it opens a port:
 * the policy lint (policy/lint.ts) plus what a valid schema cannot know — the files it names, the
 * certificate and key, the strength of every password hash, and CIDRs written other than they
 * are read. Errors mean the gateway must not start with this policy; warnings are printed.
 */

import { lintPolicy } from '../policy/lint.js';
import type { Policy } from '../policy/schema.js';
import { checkCertificate } from './certificate.js';
import { checkCidrs } from './cidrs.js';
import { checkFiles } from './files.js';
import { findings } from './findings.js';
import { checkHashes } from './hashes.js';

/** What {@link preflight} found, one `path: message` line each. */
export interface PreflightResult {
  errors: string[];
  warnings: string[];
}

/** Options of {@link preflight}. */
export interface PreflightOptions {
  /** Where relative paths in the policy are resolved from (as `serve` resolves them). */
  cwd: string;
  /** The clock, in ms (certificate expiry, maintenance notice). */
  now: number;
  /** Weak scrypt parameters are a warning, not an error (test rigs only). @default false */
  allowWeakHashes?: boolean;
  /** `serve --workers N`: each zone's maxConcurrent is shared out among them too. @default 1 */
  workers?: number;
}

/**
 * Runs every check of a validated policy.
 * @example const { errors, warnings } = await preflight(policy, { cwd: process.cwd(), now: Date.now() })
 */
export async function preflight(policy: Policy, options: PreflightOptions): Promise<PreflightResult> {
  const out = findings();
  await checkFiles(policy, options.cwd, out);
  await checkCertificate(policy, options.cwd, options.now, out);
  checkHashes(policy, out, options.allowWeakHashes === true);
  checkCidrs(policy, out);
  out.warnings.push(...lintPolicy(policy, options.now, options.workers ?? 1));
  return { errors: out.errors, warnings: out.warnings };
}
