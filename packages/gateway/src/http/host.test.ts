import { describe, expect, it } from 'vitest';
import { hostName } from './host.js';

describe('hostName', () => {
  it.each([
    ['School-A.localhost:8443', 'school-a.localhost'],
    ['[::1]:8443', '::1'],
    ['a.example.', 'a.example'],
    ['[::1', ''],
  ])('%s → %s', (host, name) => {
    expect(hostName(host)).toBe(name);
  });
});
