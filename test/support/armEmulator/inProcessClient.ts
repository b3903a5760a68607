/**
 * Talks to an emulator core without a socket, for fast unit tests of its protocol and shapes:
 * signs in like the SDK does (token endpoint) and sends ARM requests with that token.
 */
import type { EmulatorCore } from './emulatorCore';
import { createEmulatorCore, type CoreSetup } from './emulatorSetup';
import type { EmulatorResponse } from './protocol';

export const IN_PROCESS_URL = 'https://127.0.0.1:1';

export class InProcessClient {
  readonly core: EmulatorCore;
  readonly setup: CoreSetup;
  private token?: string;

  constructor(setup: CoreSetup = createEmulatorCore(() => IN_PROCESS_URL)) {
    this.setup = setup;
    this.core = setup.core;
  }

  signIn(tenantId = this.core.defaultTenantId, scope = 'https://management.azure.com/.default'): EmulatorResponse {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.setup.clientId,
      client_secret: this.setup.clientSecret,
      scope,
    });
    const res = this.core.dispatch({ method: 'POST', path: `/${tenantId}/oauth2/v2.0/token`, query: {}, headers: {}, rawBody: body.toString() });
    this.token = (res.body as { access_token?: string }).access_token;
    return res;
  }

  /** `pathAndQuery` may carry its own query string; api-version is not added. */
  send(method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): EmulatorResponse {
    if (!this.token) {
      this.signIn();
    }
    const url = new URL(pathAndQuery, IN_PROCESS_URL);
    return this.core.dispatch({
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { authorization: `Bearer ${this.token}`, ...headers },
      rawBody: body === undefined ? '' : JSON.stringify(body),
    });
  }

  /** Follows a long-running operation's Azure-AsyncOperation (or Location) URL until it ends. */
  poll(res: EmulatorResponse, max = 20): EmulatorResponse {
    const url = res.headers['Azure-AsyncOperation'] ?? res.headers.Location;
    let last = res;
    for (let i = 0; url && i < max; i++) {
      last = this.send('GET', url.slice(IN_PROCESS_URL.length));
      const status = (last.body as { status?: string } | undefined)?.status;
      if (last.status !== 202 && status !== 'InProgress') {
        break;
      }
    }
    return last;
  }
}
