import * as vscode from 'vscode';
import { acrPushAuth, findContainerRegistries, type FoundRegistry } from '../../core/azure/acrAccess';
import { isAzureSignInError } from '../../core/azure/azureErrors';
import { errorText } from '../../core/docker/errors';
import {
  DOCKER_HUB,
  registryAuth,
  registryProblem,
  repositoryOf,
  repositoryProblem,
  tagProblem,
  targetReference,
  type RegistryAuth,
} from '../../core/docker/registryAuth';
import type { RegistryCredentialsStore } from '../registries/registryCredentialsStore';
import type { CommandDeps } from './commandDeps';

/**
 * Which registry an image goes to, and the login for it: an Azure Container Registry of the
 * signed-in subscriptions (credentials through Azure), Docker Hub, or any registry with a user name
 * and password kept in SecretStorage. Push Image… and Deploy to Swarm… pick the same way.
 */

export type Destination = { kind: 'acr'; registry: string; found: FoundRegistry } | { kind: 'typed'; registry: string };

interface DestinationItem extends vscode.QuickPickItem {
  destination?: Destination;
  action?: 'other' | 'signIn';
}

async function azureRegistryItems(deps: CommandDeps): Promise<DestinationItem[]> {
  const inventory = deps.azureHosts.inventory;
  const signIn: DestinationItem = { label: '$(sign-in) Sign in to Azure to list your container registries…', action: 'signIn' };
  if (!inventory || !(await deps.azureSignIn.isSignedIn())) {
    return [signIn];
  }
  try {
    const { found, failures } = await findContainerRegistries(await inventory.subscriptions(), (sub) => inventory.clients(sub).resources);
    for (const failure of failures) {
      deps.log.warn(`Listing container registries: ${failure}`);
    }
    return found.map((f) => ({
      label: `$(azure) ${f.registry.loginServer}`,
      description: `${f.subscription.name} · ${f.registry.resourceGroup}`,
      destination: { kind: 'acr', registry: f.registry.loginServer, found: f },
    }));
  } catch (err) {
    return isAzureSignInError(err) ? [signIn] : [{ label: `$(warning) Azure registries could not be listed: ${errorText(err)}` }];
  }
}

export async function pickDestination(deps: CommandDeps, store: RegistryCredentialsStore, title: string): Promise<Destination | undefined> {
  const items = (async (): Promise<DestinationItem[]> => {
    const azure = await azureRegistryItems(deps);
    const recent = store.recent().filter((r) => r !== DOCKER_HUB);
    return [
      { label: 'Azure Container Registry', kind: vscode.QuickPickItemKind.Separator },
      ...azure,
      { label: 'Other registries', kind: vscode.QuickPickItemKind.Separator },
      { label: '$(globe) Docker Hub', description: DOCKER_HUB, destination: { kind: 'typed', registry: DOCKER_HUB } },
      ...recent.map((r): DestinationItem => ({ label: `$(server) ${r}`, destination: { kind: 'typed', registry: r } })),
      { label: '$(add) Other registry…', description: 'any registry (v2) with a user name and password', action: 'other' },
    ];
  })();
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDescription: true });
  if (picked?.action === 'signIn') {
    await vscode.commands.executeCommand('dockerOnAzure.azure.signIn');
    return (await deps.azureSignIn.isSignedIn()) ? pickDestination(deps, store, title) : undefined;
  }
  if (picked?.action === 'other') {
    const registry = await vscode.window.showInputBox({
      title: 'Registry address',
      placeHolder: 'registry.example.com or registry.example.com:5000',
      ignoreFocusOut: true,
      validateInput: registryProblem,
    });
    return registry ? { kind: 'typed', registry: registry.toLowerCase() } : undefined;
  }
  return picked?.destination;
}

/** REPOSITORY:TAG in the registry, suggested from a local reference (and the Docker Hub account). */
export async function askTarget(reference: string, registry: string, hubUser: string | undefined): Promise<string | undefined> {
  const tagged = /:([\w][\w.-]*)$/.exec(reference);
  const repository = repositoryOf(reference.replace(/:<none>$/, ''));
  const suggested = registry === DOCKER_HUB && hubUser && !repository.includes('/') ? `${hubUser}/${repository}` : repository;
  const value = `${suggested}:${tagged?.[1] ?? 'latest'}`;
  const answer = await vscode.window.showInputBox({
    title: `Repository and tag in ${registry}`,
    value,
    valueSelection: [0, suggested.length],
    ignoreFocusOut: true,
    validateInput: (v) => {
      const [repo, tag = 'latest', ...rest] = v.trim().split(':');
      return rest.length ? 'Write REPOSITORY:TAG.' : (repositoryProblem(repo, registry) ?? tagProblem(tag));
    },
  });
  if (!answer) {
    return undefined;
  }
  const [repo, tag = 'latest'] = answer.trim().split(':');
  return targetReference(registry, repo, tag);
}

/** Stored credentials, else asked for; an empty user name pushes without credentials (open registries). */
async function typedAuth(store: RegistryCredentialsStore, registry: string): Promise<{ auth?: RegistryAuth; entered: boolean } | undefined> {
  const stored = await store.get(registry);
  if (stored) {
    return { auth: registryAuth(registry, stored.username, stored.password), entered: false };
  }
  const username = await vscode.window.showInputBox({
    title: `User name for ${registry}`,
    prompt: 'Leave empty for a registry that takes pushes without signing in.',
    ignoreFocusOut: true,
  });
  if (username === undefined) {
    return undefined;
  }
  if (!username.trim()) {
    return { entered: false };
  }
  const password = await vscode.window.showInputBox({
    title: `Password or access token for ${username.trim()} at ${registry}`,
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v ? undefined : 'Enter the password, or press Escape to cancel.'),
  });
  return password ? { auth: registryAuth(registry, username.trim(), password), entered: true } : undefined;
}

export interface DestinationLogin {
  /** None for a registry that takes pushes without signing in. */
  auth?: RegistryAuth;
  /** Typed just now: kept only once the registry accepted them. */
  entered: boolean;
}

/** `doing` ("Pushing") starts the warning shown when Azure hands out the admin user. */
export async function destinationLogin(
  deps: CommandDeps,
  destination: Destination,
  store: RegistryCredentialsStore,
  doing: string,
): Promise<DestinationLogin | undefined> {
  const { registry } = destination;
  if (destination.kind === 'typed') {
    return typedAuth(store, registry);
  }
  let azure;
  try {
    azure = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Signing in to ${registry} through Azure…` },
      () => acrPushAuth(destination.found, deps.azureHosts.currentInventory().clients(destination.found.subscription).resources),
    );
  } catch (err) {
    if (!isAzureSignInError(err)) {
      throw err;
    }
    if ((await vscode.window.showErrorMessage(errorText(err), 'Sign In')) === 'Sign In') {
      await vscode.commands.executeCommand('dockerOnAzure.azure.signIn');
    }
    return undefined;
  }
  if (azure.fellBackToAdmin) {
    deps.log.warn(`Using the admin user of ${registry}: ${azure.fellBackToAdmin}`);
    void vscode.window.showWarningMessage(`${doing} to ${registry} with its admin user: the Azure token exchange failed (${azure.fellBackToAdmin}).`);
  }
  return { auth: azure.auth, entered: false };
}

/** After the registry took a push: typed credentials are kept, and a typed registry is offered again. */
export async function keepLogin(store: RegistryCredentialsStore, destination: Destination, login: DestinationLogin): Promise<void> {
  if (login.entered && login.auth) {
    await store.set(destination.registry, { username: login.auth.username, password: login.auth.password });
  }
  if (destination.kind === 'typed') {
    await store.remember(destination.registry);
  }
}
