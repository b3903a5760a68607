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

function splitReference(reference: string): { registry?: string; path: string[] } {
  const withoutTag = reference.replace(/@.*$/, '').replace(/:[\w][\w.-]*$/, '');
  const parts = withoutTag.split('/');
  const hasRegistry = parts.length > 1 && (/[.:]/.test(parts[0]) || parts[0] === 'localhost');
  return hasRegistry ? { registry: parts[0], path: parts.slice(1) } : { path: parts };
}

/** The repository part of a local reference without its registry and tag, as a default for the target. */
export function repositoryOf(reference: string): string {
  return splitReference(reference).path.join('/');
}

/** The registry an image reference pulls from: Docker Hub unless its first part names a host. */
export function registryOf(reference: string): string {
  return splitReference(reference).registry ?? DOCKER_HUB;
}

/** Docker Hub's credentials are keyed by its legacy index address, as `docker login` stores them. */
export function registryAuth(registry: string, username: string, password: string): RegistryAuth {
  return { username, password, serveraddress: registry === DOCKER_HUB ? 'https://index.docker.io/v1/' : registry };
}

/**
 * The X-Registry-Auth header's value: the JSON in URL-safe base64 *with* padding, as the Docker CLI
 * writes it. A swarm node decodes the login it is handed that strict way, so Node's unpadded
 * 'base64url' would reach it as no login at all.
 */
export function registryAuthHeader(auth: RegistryAuth): string {
  return Buffer.from(JSON.stringify(auth)).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
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
