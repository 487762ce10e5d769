import type { AuthProvider } from 'react-admin';
import { apiRequest } from '../api/http';
import { forgetToken, storeToken, storedToken } from '../api/token';

/** What `GET /v1/acl/token/self` answers. */
interface SelfToken {
  AccessorID: string;
  Name: string;
  Type: string;
}

/**
 * Sign-in with an ACL token (only servers with ACLs enabled ask for one: they answer 401).
 * A 403 is not a reason to sign out: the message names the missing capability and is shown
 * where the request was made.
 */
export const authProvider: AuthProvider = {
  async login({ token }: { token: string }) {
    const trimmed = (token ?? '').trim();
    if (!trimmed) throw new Error('Enter an ACL token');
    storeToken(trimmed);
    try {
      await apiRequest<SelfToken>('/acl/token/self');
    } catch (error) {
      forgetToken();
      throw error;
    }
  },
  async logout() {
    forgetToken();
  },
  async checkAuth() {
    // Servers without ACLs need no token; a server that needs one answers 401 and
    // `checkError` (or the API client's handler) brings up the sign-in page.
  },
  async checkError(error: { status?: number }) {
    if (error?.status === 401) {
      forgetToken();
      throw new Error('Sign in with an ACL token');
    }
  },
  async getPermissions() {
    return undefined;
  },
  async getIdentity() {
    if (!storedToken()) return { id: '' };
    const { data } = await apiRequest<SelfToken>('/acl/token/self');
    return { id: data.AccessorID, fullName: `${data.Name} (${data.Type})` };
  },
};
