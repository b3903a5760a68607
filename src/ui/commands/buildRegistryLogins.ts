import { acrPushAuth, findContainerRegistries } from '../../core/azure/acrAccess';
import type { BuildOptions } from '../../core/docker/buildImage';
import { mayHandOverCredentials } from '../../core/docker/cleartextCredentials';
import type { Transport } from '../../core/docker/errors';
import { DOCKER_HUB, type RegistryAuth } from '../../core/docker/registryAuth';
import { CleartextConsentStore } from '../registries/cleartextConsentStore';
import { RegistryCredentialsStore } from '../registries/registryCredentialsStore';
import type { CommandDeps } from './commandDeps';

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
  const store = new RegistryCredentialsStore(deps.context.secrets, deps.context.globalState);
  const consent = new CleartextConsentStore(deps.context.globalState);
  const asked = new Map<string, Promise<RegistryLogin>>();
  const azureLogin = async (registry: string): Promise<RegistryAuth | undefined> => {
    const inventory = deps.azureHosts.inventory;
    if (HUB_HOSTS.has(registry) || !inventory || !(await deps.azureSignIn.isSignedIn())) {
      return undefined;
    }
    const { found } = await findContainerRegistries(await inventory.subscriptions(), (sub) => inventory.clients(sub).resources);
    const acr = found.find((f) => f.registry.loginServer.toLowerCase() === registry.toLowerCase());
    return acr && (await acrPushAuth(acr, inventory.clients(acr.subscription).resources)).auth;
  };
  const login = async (host: string) => {
    const registry = HUB_HOSTS.has(host) ? DOCKER_HUB : host;
    const typed = await store.get(registry);
    let auth: RegistryAuth | undefined = typed && { ...typed, serveraddress: registry };
    let from = 'with the credentials Push Image… kept';
    if (!auth) {
      try {
        auth = await azureLogin(registry);
      } catch (err) {
        onLog(`Could not sign in to ${registry} through Azure for the build: ${(err as Error).message}`);
      }
      from = 'through Azure';
    }
    if (!auth || !(await mayHandOverCredentials(engine, { registry, auth }, consent))) {
      return undefined;
    }
    onLog(`Signed in to ${registry} ${from} to pull the build's images.`);
    return { username: auth.username, secret: auth.password };
  };
  return (host) => {
    if (!asked.has(host)) {
      asked.set(host, login(host));
    }
    return asked.get(host)!;
  };
}
