import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { acrPushAuth, findContainerRegistries, type FoundRegistry } from '../../core/azure/acrAccess';
import { isAzureSignInError } from '../../core/azure/azureErrors';
import { mayHandOverCredentials } from '../../core/docker/cleartextCredentials';
import { pushImage as push } from '../../core/docker/pushImage';
import {
  DOCKER_HUB,
  isRegistryAuthError,
  registryAuth,
  registryProblem,
  repositoryOf,
  repositoryProblem,
  tagProblem,
  targetReference,
  type RegistryAuth,
} from '../../core/docker/registryAuth';
import { CleartextConsentStore } from '../registries/cleartextConsentStore';
import { RegistryCredentialsStore } from '../registries/registryCredentialsStore';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { imageSource, type ImageSource } from './imagePicks';
import { errorText, isCancellation } from '../../core/docker/errors';

type Destination = { kind: 'acr'; registry: string; found: FoundRegistry } | { kind: 'typed'; registry: string };

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

async function pickDestination(deps: CommandDeps, store: RegistryCredentialsStore): Promise<Destination | undefined> {
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
  const picked = await vscode.window.showQuickPick(items, { title: 'Push to which registry?', matchOnDescription: true });
  if (picked?.action === 'signIn') {
    await vscode.commands.executeCommand('dockerOnAzure.azure.signIn');
    return (await deps.azureSignIn.isSignedIn()) ? pickDestination(deps, store) : undefined;
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

async function askTarget(source: ImageSource, registry: string, hubUser: string | undefined): Promise<string | undefined> {
  const tagged = /:([\w][\w.-]*)$/.exec(source.row.reference);
  const repository = repositoryOf(source.row.reference.replace(/:<none>$/, ''));
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

async function pushWithProgress(
  deps: CommandDeps,
  source: ImageSource,
  target: string,
  registry: string,
  auth: RegistryAuth | undefined,
): Promise<string | undefined> {
  const docker = source.session.connect().docker;
  deps.buildLog.appendLine(`Pushing ${source.row.reference} from ${source.session.spec.name} as ${target}`);
  const statuses = new Map<string, string>();
  return withCancellableProgress(`Pushing ${target}`, async (progress, signal) => {
    const result = await push(docker, { source: source.reference, target, registry, auth, signal }, (p) => {
      progress.report({ message: p.summary() });
      // The log gets each layer's changes of state; the byte counts only go to the notification.
      for (const [id, layer] of p.layers) {
        if (statuses.get(id) !== layer.status) {
          statuses.set(id, layer.status);
          deps.buildLog.appendLine(`  ${id}: ${layer.status}`);
        }
      }
    });
    deps.buildLog.appendLine(`Pushed ${target}${result.digest ? ` (${result.digest})` : ''}`);
    return result.digest;
  });
}

/**
 * Tags a local image and pushes it: to an Azure Container Registry of the signed-in subscriptions
 * (credentials through Azure), Docker Hub, or any registry with a user name and password kept in
 * SecretStorage. A refused sign-in offers to enter the credentials again.
 */
export function pushImage(deps: CommandDeps): CommandHandler {
  const store = new RegistryCredentialsStore(deps.context.secrets, deps.context.globalState);
  const cleartext = new CleartextConsentStore(deps.context.globalState);
  return async (node) => {
    const source = await imageSource(deps, node, 'Push Image');
    if (!source) {
      return;
    }
    const destination = await pickDestination(deps, store);
    if (!destination) {
      return;
    }
    const { registry } = destination;
    const hubUser = registry === DOCKER_HUB ? (await store.get(DOCKER_HUB))?.username : undefined;
    const target = await askTarget(source, registry, hubUser);
    if (!target) {
      return;
    }
    for (;;) {
      let auth: RegistryAuth | undefined;
      let entered = false;
      if (destination.kind === 'acr') {
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
          return;
        }
        auth = azure.auth;
        if (azure.fellBackToAdmin) {
          deps.log.warn(`Using the admin user of ${registry}: ${azure.fellBackToAdmin}`);
          void vscode.window.showWarningMessage(
            `Pushing to ${registry} with its admin user: the Azure token exchange failed (${azure.fellBackToAdmin}).`,
          );
        }
      } else {
        const typed = await typedAuth(store, registry);
        if (!typed) {
          return;
        }
        ({ auth, entered } = typed);
      }
      if (!(await mayHandOverCredentials(source.session.connect(), { registry, auth }, cleartext))) {
        return;
      }
      deps.buildLog.show(true);
      try {
        const digest = await pushWithProgress(deps, source, target, registry, auth);
        if (entered && auth) {
          await store.set(registry, { username: auth.username, password: auth.password });
        }
        if (destination.kind === 'typed') {
          await store.remember(registry);
        }
        const copy = await vscode.window.showInformationMessage(`Pushed ${target}${digest ? ` (${digest.slice(0, 19)}…)` : ''}.`, 'Copy Reference');
        if (copy) {
          await vscode.env.clipboard.writeText(target);
        }
        return;
      } catch (err) {
        if (isCancellation(err)) {
          deps.buildLog.appendLine('Cancelled.');
          return;
        }
        deps.buildLog.appendLine(errorText(err));
        const canRetype = isRegistryAuthError(err) && destination.kind === 'typed';
        const choice = await vscode.window.showErrorMessage(errorText(err), ...(canRetype ? ['Re-enter Credentials'] : []), 'Show Log');
        if (choice === 'Show Log') {
          deps.buildLog.show();
        }
        if (choice !== 'Re-enter Credentials') {
          return;
        }
        await store.delete(registry);
      } finally {
        deps.hosts.refresh(source.session.spec.id);
      }
    }
  };
}
