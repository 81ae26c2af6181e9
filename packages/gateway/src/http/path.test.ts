import { describe, expect, it } from 'vitest';
import { encodePath } from './path.js';

describe('encodePath', () => {
  it('leaves a clean path as it is and encodes what a request line cannot carry', () => {
    expect(encodePath('/api/v1/results')).toBe('/api/v1/results');
    expect(encodePath('/a b?#%')).toBe('/a%20b%3F%23%25');
  });
});
