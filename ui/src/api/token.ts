/**
 * The ACL token the UI sends (servers with ACLs enabled). It lives in localStorage, as in
 * Dkron Pro's UI, and goes out as `Authorization: Bearer <token>`.
 */
const TOKEN_KEY = 'dkron.acl-token';

export function storedToken(): string | null {
  try {
    return window.localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function storeToken(token: string): void {
  window.localStorage.setItem(TOKEN_KEY, token);
}

export function forgetToken(): void {
  window.localStorage.removeItem(TOKEN_KEY);
}

/** The Authorization header for the stored token, if any. */
export function authorizationHeader(): Record<string, string> {
  const token = storedToken();
  return token ? { Authorization: `Bearer ${token}` } : {};
}
