import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { mayHandOverCredentials } from '../../core/docker/cleartextCredentials';
import { pushImage as push } from '../../core/docker/pushImage';
import { DOCKER_HUB, isRegistryAuthError, type RegistryAuth } from '../../core/docker/registryAuth';
import { CleartextConsentStore } from '../registries/cleartextConsentStore';
import { RegistryCredentialsStore } from '../registries/registryCredentialsStore';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { imageSource, type ImageSource } from './imagePicks';
import { askTarget, destinationLogin, keepLogin, pickDestination } from './registryDestination';
import { errorText, isCancellation } from '../../core/docker/errors';

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
    const destination = await pickDestination(deps, store, 'Push to which registry?');
    if (!destination) {
      return;
    }
    const { registry } = destination;
    const hubUser = registry === DOCKER_HUB ? (await store.get(DOCKER_HUB))?.username : undefined;
    const target = await askTarget(source.row.reference, registry, hubUser);
    if (!target) {
      return;
    }
    for (;;) {
      const login = await destinationLogin(deps, destination, store, 'Pushing');
      if (!login) {
        return;
      }
      const { auth } = login;
      if (!(await mayHandOverCredentials(source.session.connect(), { registry, auth }, cleartext))) {
        return;
      }
      deps.buildLog.show(true);
      try {
        const digest = await pushWithProgress(deps, source, target, registry, auth);
        await keepLogin(store, destination, login);
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
