/**
 * The error codes are one contract across three packages (docs/architecture.md §4): every code the
 * gateway (`ERROR_CODES`) or the result service (`API_ERRORS`) can answer is a code the SDK knows
 * (its `ErrorCode` type, checked by `npm run typecheck`), turns into the class this table names,
 * with the status and request id of the answer, and is listed under that class in the SDK's
 * README. A code added to either server without teaching the SDK fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_ERRORS, type ApiErrorCode } from '@resultgate/example-result-service';
import { ERROR_CODES, type ErrorCode as GatewayErrorCode } from '@resultgate/gateway';
import {
  AuthenticationError,
  ConflictError,
  errorFromResponse,
  IpNotAllowedError,
  MaintenanceError,
  NotFoundError,
  OverloadedError,
  PermissionError,
  RateLimitError,
  type ErrorCode as SdkErrorCode,
  TimeoutError,
  UpstreamError,
  ValidationError,
} from '@resultgate/sdk';
import { describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

// Type level: the SDK's ErrorCode (literals, without its open `string & {}` end) has every code.
type Literal<T> = T extends string ? (string extends T ? never : T) : never;
type Missing = Exclude<GatewayErrorCode | ApiErrorCode, Literal<SdkErrorCode>>;
const noneMissing: [Missing] extends [never] ? true : Missing = true;

/** The class each code must become (the SDK README's table says the same, checked below). */
const EXPECTED = {
  bad_request: ValidationError,
  validation_failed: ValidationError,
  payload_too_large: ValidationError,
  method_not_allowed: ValidationError,
  unauthorized: AuthenticationError,
  session_expired: AuthenticationError,
  ip_not_allowed: IpNotAllowedError,
  forbidden: PermissionError,
  tenant_suspended: PermissionError,
  tls_required: PermissionError,
  csrf_failed: PermissionError,
  unknown_host: NotFoundError,
  no_route: NotFoundError,
  not_found: NotFoundError,
  request_timeout: TimeoutError,
  locked_out: RateLimitError,
  maintenance: MaintenanceError,
  overloaded: OverloadedError,
  logs_unavailable: OverloadedError,
  duplicate_external_id: ConflictError,
  invalid_state: ConflictError,
  idempotency_in_progress: ConflictError,
  idempotency_key_reused: ConflictError,
  internal_error: UpstreamError,
  upstream_unavailable: UpstreamError,
  upstream_timeout: UpstreamError,
} satisfies Record<GatewayErrorCode | ApiErrorCode, unknown>;

const answers: { from: string; code: string; status: number }[] = [
  ...Object.entries(ERROR_CODES).map(([code, { status }]) => ({ from: 'gateway', code, status })),
  ...Object.entries(API_ERRORS).map(([code, status]) => ({ from: 'result service', code, status })),
];

describe('error codes: the gateway, the result service and the SDK agree', () => {
  it('names a class for exactly the codes the two servers answer with', () => {
    expect(noneMissing).toBe(true);
    const codes = new Set(answers.map((a) => a.code));
    expect([...codes].sort()).toEqual(Object.keys(EXPECTED).sort());
    expect(codes.size).toBeGreaterThan(20);
  });

  it('gives a code one status, whichever server answers it', () => {
    for (const [code, status] of Object.entries(API_ERRORS)) {
      const gateway = (ERROR_CODES as Record<string, { status: number }>)[code];
      if (gateway) expect(`${code} ${status}`).toBe(`${code} ${gateway.status}`);
    }
  });

  it.each(answers)('$from $status $code → the class, status, code and request id', ({ code, status }) => {
    const err = errorFromResponse({
      status,
      body: { error: { code, message: 'm', requestId: 'req-1' } },
      headers: new Headers({ 'retry-after': '7' }),
      method: 'POST',
      url: 'https://school-a.localhost/api/v1/results?externalId=secret',
    });
    const Class = EXPECTED[code as keyof typeof EXPECTED];
    expect(err.name).toBe(Class.name);
    expect(err).toBeInstanceOf(Class);
    expect([err.code, err.status, err.requestId]).toEqual([code, status, 'req-1']);
    expect(err.message).not.toContain('secret');
  });

  it('the SDK README lists each code under its class', () => {
    const readme = readFileSync(join(ROOT, 'packages/sdk/README.md'), 'utf8');
    const rows = readme.split('\n').filter((line) => line.startsWith('| `'));
    for (const [code, Class] of Object.entries(EXPECTED)) {
      const row = rows.find((r) => r.split('|')[1]!.includes(`\`${Class.name}\``));
      expect(row, `README row of ${Class.name}`).toBeDefined();
      expect(row!.split('|')[2], `${code} in the README row of ${Class.name}`).toContain(`\`${code}\``);
    }
  });

  it('docs/architecture.md §4 lists every code with its status', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const table = new Map<string, number>();
    for (const m of doc.matchAll(/^\| (\d{3}) +\| `([a-z_]+)` +\|/gm)) table.set(m[2]!, Number(m[1]));
    const gateway = Object.fromEntries(
      Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]),
    );
    expect(Object.fromEntries(table)).toEqual(gateway);
    for (const [code, status] of Object.entries(API_ERRORS)) expect(doc).toContain(`\`${status} ${code}\``);
  });

  it('the result service answers only codes of API_ERRORS (every errorBody/ApiError call)', () => {
    const dir = join(ROOT, 'examples/result-service/src');
    const files = (readdirSync(dir, { recursive: true }) as string[]).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts'),
    );
    const used = new Set<string>();
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      for (const m of text.matchAll(/(?:errorBody|ApiError)\(\s*'([a-z_]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(5);
    expect([...used].filter((code) => !(code in API_ERRORS))).toEqual([]);
  });
});
