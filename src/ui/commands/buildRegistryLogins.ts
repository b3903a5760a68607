import type { BuildOptions } from '../../core/docker/buildImage';
import { mayHandOverCredentials } from '../../core/docker/cleartextCredentials';
import type { Transport } from '../../core/docker/errors';
import { DOCKER_HUB } from '../../core/docker/registryAuth';
import { CleartextConsentStore } from '../registries/cleartextConsentStore';
import type { CommandDeps } from './commandDeps';
import { knownRegistryLogin } from './registryLogin';

/** What BuildKit's Auth service answers for a registry host: none means an anonymous pull. */
type RegistryLoginProvider = NonNullable<BuildOptions['credentials']>;
type RegistryLogin = Awaited<ReturnType<RegistryLoginProvider>>;

/** BuildKit asks for Docker Hub by the host it pulls from; Push keeps Hub's login under docker.io. */
const HUB_HOSTS = new Set(['registry-1.docker.io', 'index.docker.io', 'docker.io']);

/**
 * Registry logins for a build's `FROM` images, asked for by BuildKit while it resolves them: the
 * credentials Push Image… kept for that registry, or, for an Azure Container Registry of the
 * signed-in subscriptions, a token through the Azure sign-in as Push gets one. They go to the host
 * through the build session, so a plain-HTTP engine gets them only with the user's consent.
 */
export function buildRegistryLogins(
  deps: CommandDeps,
  engine: { transport: Transport; where: string },
  onLog: (line: string) => void,
): RegistryLoginProvider {
  const consent = new CleartextConsentStore(deps.context.globalState);
  const asked = new Map<string, Promise<RegistryLogin>>();
  const login = async (host: string) => {
    const registry = HUB_HOSTS.has(host) ? DOCKER_HUB : host;
    const known = await knownRegistryLogin(deps, registry, onLog);
    if (!known || !(await mayHandOverCredentials(engine, { registry, auth: known.auth }, consent))) {
      return undefined;
    }
    onLog(`Signed in to ${registry} ${known.from} to pull the build's images.`);
    return { username: known.auth.username, secret: known.auth.password };
  };
  return (host) => {
    if (!asked.has(host)) {
      asked.set(host, login(host));
    }
    return asked.get(host)!;
  };
}
