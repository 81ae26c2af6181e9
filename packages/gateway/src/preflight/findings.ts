/** What a preflight check found: errors stop `serve` and fail `check`; warnings are printed. */
export interface Findings {
  readonly errors: string[];
  readonly warnings: string[];
  /** Records `path: message` as an error. */
  error(path: string, message: string): void;
  /** Records `path: message` as a warning. */
  warn(path: string, message: string): void;
}

/** An empty set of findings. */
export function findings(): Findings {
  const errors: string[] = [];
  const warnings: string[] = [];
  return {
    errors,
    warnings,
    error: (path, message) => errors.push(`${path}: ${message}`),
    warn: (path, message) => warnings.push(`${path}: ${message}`),
  };
}
