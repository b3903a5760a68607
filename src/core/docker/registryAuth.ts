import * as https from 'node:https';

/** What the Engine API's X-Registry-Auth carries for a push. */
export interface RegistryAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export const DOCKER_HUB = 'docker.io';

/** The user name ACR accepts with a refresh token from its /oauth2/exchange as the password. */
export const ACR_TOKEN_USERNAME = '00000000-0000-0000-0000-000000000000';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const REGISTRY = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::\d+)?$/;

/** Why a repository path is not valid for a registry, or undefined when it is. */
export function repositoryProblem(repository: string, registry: string): string | undefined {
  if (!REPOSITORY.test(repository)) {
    return 'Use lowercase letters, digits, and . _ - separated by /.';
  }
  if (registry === DOCKER_HUB && !repository.includes('/')) {
    return 'Docker Hub repositories are ACCOUNT/NAME.';
  }
  return undefined;
}

export function tagProblem(tag: string): string | undefined {
  return TAG.test(tag) ? undefined : 'A tag is letters, digits, _ . and - (up to 128), not starting with . or -.';
}

/** Why a registry address (host[:port]) is not valid, or undefined when it is. */
export function registryProblem(registry: string): string | undefined {
  return REGISTRY.test(registry) ? undefined : 'Enter a host name with an optional port, such as registry.example.com:5000.';
}

/** The image reference to tag and push: Docker Hub's are written without the registry, as the CLI does. */
export function targetReference(registry: string, repository: string, tag: string): string {
  return registry === DOCKER_HUB ? `${repository}:${tag}` : `${registry}/${repository}:${tag}`;
}

/** The repository part of a local reference without its registry and tag, as a default for the target. */
export function repositoryOf(reference: string): string {
  const withoutTag = reference.replace(/@.*$/, '').replace(/:[\w][\w.-]*$/, '');
  const parts = withoutTag.split('/');
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  return (hasRegistry ? parts.slice(1) : parts).join('/');
}

/** Docker Hub's credentials are keyed by its legacy index address, as `docker login` stores them. */
export function registryAuth(registry: string, username: string, password: string): RegistryAuth {
  return { username, password, serveraddress: registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry };
}

/** The registry refused the credentials (or their absence): offer to enter them again. */
export class RegistryAuthError extends Error {
  readonly isRegistryAuthError = true;
  constructor(
    readonly registry: string,
    detail: string,
  ) {
    super(`Sign-in to ${registry} failed: check the user name and password (${detail}).`);
    this.name = 'RegistryAuthError';
  }
}

export function isRegistryAuthError(err: unknown): err is RegistryAuthError {
  return (err as RegistryAuthError | undefined)?.isRegistryAuthError === true;
}

const AUTH_FAILURE =
  /unauthorized|authentication required|no basic auth credentials|incorrect username or password|requested access to the resource is denied/i;
const UNREACHABLE =
  /connection refused|no such host|i\/o timeout|network is unreachable|no route to host|server gave HTTP response to HTTPS client|x509:|tls: |dial tcp|EOF$/i;

/** One sentence for a failed push, from the engine's error text. */
export function describeRegistryError(message: string, registry: string): Error {
  if (AUTH_FAILURE.test(message)) {
    return new RegistryAuthError(registry, message.trim());
  }
  if (/server gave HTTP response to HTTPS client/i.test(message)) {
    return new Error(
      `The registry ${registry} answers over plain HTTP, which the Docker engine only accepts from registries in its insecure-registries list (${message.trim()}).`,
    );
  }
  if (UNREACHABLE.test(message)) {
    return new Error(`Cannot reach the registry ${registry}: check its address and that it is running (${message.trim()}).`);
  }
  return new Error(`Pushing to ${registry} failed: ${message.trim()}`);
}

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
 * password of {@link ACR_TOKEN_USERNAME}. The exchange endpoint sits next to the token realm the
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
