import { acrPushAuth, findContainerRegistries } from '../../core/azure/acrAccess';
import { DOCKER_HUB, type RegistryAuth } from '../../core/docker/registryAuth';
import { RegistryCredentialsStore } from '../registries/registryCredentialsStore';
import type { CommandDeps } from './commandDeps';

export interface KnownLogin {
  auth: RegistryAuth;
  /** "with the credentials Push Image… kept" or "through Azure", for the log. */
  from: string;
}

/**
 * The login this machine has for a registry without asking: the credentials Push Image… kept for
 * it, or, for an Azure Container Registry of the signed-in subscriptions, a token through the Azure
 * sign-in as Push gets one. Undefined when there is none (an anonymous pull).
 */
export async function knownRegistryLogin(deps: CommandDeps, registry: string, onLog: (line: string) => void): Promise<KnownLogin | undefined> {
  const store = new RegistryCredentialsStore(deps.context.secrets, deps.context.globalState);
  const typed = await store.get(registry);
  if (typed) {
    return { auth: { ...typed, serveraddress: registry }, from: 'with the credentials Push Image… kept' };
  }
  const inventory = deps.azureHosts.inventory;
  if (registry === DOCKER_HUB || !inventory || !(await deps.azureSignIn.isSignedIn())) {
    return undefined;
  }
  try {
    const { found } = await findContainerRegistries(await inventory.subscriptions(), (sub) => inventory.clients(sub).resources);
    const acr = found.find((f) => f.registry.loginServer.toLowerCase() === registry.toLowerCase());
    const auth = acr && (await acrPushAuth(acr, inventory.clients(acr.subscription).resources)).auth;
    return auth && { auth, from: 'through Azure' };
  } catch (err) {
    onLog(`Could not sign in to ${registry} through Azure: ${(err as Error).message}`);
    return undefined;
  }
}
