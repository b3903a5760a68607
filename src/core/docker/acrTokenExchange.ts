import * as https from 'node:https';

// Loaded with the connection layer (vendor.ts): Node's HTTPS client is not needed until a push to ACR.

interface HttpsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function httpsRequest(
  url: URL,
  opts: { method: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: opts.method, headers: opts.headers, signal: opts.signal, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url.host} in 30 s`)));
    req.on('error', reject);
    req.end(opts.body);
  });
}

/** The realm and service of a `WWW-Authenticate: Bearer realm="…",service="…"` challenge. */
export function parseBearerChallenge(header: string | undefined): { realm?: string; service?: string } {
  if (!header || !/^\s*bearer\s/i.test(header)) {
    return {};
  }
  const params: Record<string, string> = {};
  for (const m of header.matchAll(/(\w+)="([^"]*)"/g)) {
    params[m[1].toLowerCase()] = m[2];
  }
  return { realm: params.realm, service: params.service };
}

/** ACR refused or could not exchange the Azure token; the caller may fall back to admin credentials. */
export class AcrExchangeError extends Error {
  constructor(
    readonly loginServer: string,
    readonly status: number | undefined,
    detail: string,
  ) {
    super(`${loginServer} did not exchange the Azure sign-in for a registry token: ${detail}`);
    this.name = 'AcrExchangeError';
  }
}

/**
 * Trades an Entra ID access token for an ACR refresh token, which `docker login` accepts as the
 * password of the all-zero ACR token user. The exchange endpoint sits next to the token realm the
 * registry names in its /v2/ challenge (as the Azure CLI finds it), so registries whose token
 * service lives elsewhere work too.
 */
export async function exchangeAcrToken(
  loginServer: string,
  aadAccessToken: string,
  opts: { tenantId?: string; signal?: AbortSignal } = {},
): Promise<string> {
  const fail = (status: number | undefined, detail: string) => new AcrExchangeError(loginServer, status, detail);
  let challenge: { realm?: string; service?: string };
  try {
    const probe = await httpsRequest(new URL(`https://${loginServer}/v2/`), { method: 'GET', signal: opts.signal });
    challenge = parseBearerChallenge([probe.headers['www-authenticate']].flat()[0]);
  } catch (err) {
    throw fail(undefined, (err as Error).message);
  }
  const exchangeUrl = new URL('/oauth2/exchange', challenge.realm ?? `https://${loginServer}`);
  if (exchangeUrl.protocol !== 'https:') {
    throw fail(undefined, `its token service ${exchangeUrl.origin} is not HTTPS, and an Azure token is never sent over plain HTTP`);
  }
  const form = new URLSearchParams({ grant_type: 'access_token', service: challenge.service ?? loginServer, access_token: aadAccessToken });
  if (opts.tenantId) {
    form.set('tenant', opts.tenantId);
  }
  let answer: HttpsAnswer;
  try {
    answer = await httpsRequest(exchangeUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      signal: opts.signal,
    });
  } catch (err) {
    throw fail(undefined, (err as Error).message);
  }
  let parsed: { refresh_token?: string; errors?: Array<{ message?: string }>; message?: string } = {};
  try {
    parsed = JSON.parse(answer.body) as typeof parsed;
  } catch {
    // A non-JSON answer (a proxy's error page) is reported by its status below.
  }
  if (answer.status !== 200 || !parsed.refresh_token) {
    const why = parsed.errors?.[0]?.message ?? parsed.message ?? (answer.body.slice(0, 200) || 'no refresh token in the answer');
    throw fail(answer.status, `HTTP ${answer.status}: ${why}`);
  }
  return parsed.refresh_token;
}
