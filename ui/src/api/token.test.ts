import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { authorizationHeader, forgetToken, storeToken, storedToken } from './token';

/** A stand-in for the browser's localStorage (the unit tests run without a DOM). */
function memoryStorage(): Storage {
  const values = new Map<string, string>();
  return {
    get length() {
      return values.size;
    },
    clear: () => values.clear(),
    getItem: (key) => values.get(key) ?? null,
    key: (index) => [...values.keys()][index] ?? null,
    removeItem: (key) => void values.delete(key),
    setItem: (key, value) => void values.set(key, value),
  };
}

describe('the ACL token', () => {
  beforeEach(() => {
    vi.stubGlobal('window', { localStorage: memoryStorage() });
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is sent as a bearer token only while one is stored', () => {
    expect(authorizationHeader()).toEqual({});
    storeToken('s3cret');
    expect(storedToken()).toBe('s3cret');
    expect(authorizationHeader()).toEqual({ Authorization: 'Bearer s3cret' });
    forgetToken();
    expect(storedToken()).toBeNull();
    expect(authorizationHeader()).toEqual({});
  });

  it('reads as absent where storage is unavailable', () => {
    vi.stubGlobal('window', {});
    expect(storedToken()).toBeNull();
    expect(authorizationHeader()).toEqual({});
  });
});
