import { describe, expect, it } from 'vitest';

import { findDuplicateKey } from '../../src/lib/json-duplicate-keys.js';

const check = (json: string) => findDuplicateKey(json, JSON.parse(json));

describe('findDuplicateKey', () => {
  it('finds a repeated key with its path, at any depth', () => {
    expect(check('{"scopes":["read"],"scopes":["admin"]}')).toBe('scopes');
    expect(check('{"a":{"x":1},"b":[{"y":1},{"y":2,"y":3}]}')).toBe('b.1.y');
    expect(check('{"a":[[1,2],[{"z":1,"z":2}]]}')).toBe('a.1.0.z');
  });

  it('compares keys after unescaping', () => {
    expect(check('{"ab":1,"a\\u0062":2}')).toBe('ab');
  });

  it('is not fooled by brackets, commas, colons and escaped quotes inside strings', () => {
    expect(check('[{"k":"a,b{\\"c\\":1}"},{"k":1}]')).toBeUndefined();
    expect(check('{"k\\\\":"\\\\","k":":{"}')).toBeUndefined();
    expect(check('{"a":1,"b":{"a":1},"c":[{"a":1},{"a":2}]}')).toBeUndefined();
  });
});
