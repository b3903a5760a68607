import * as path from 'path';
import * as vscode from 'vscode';
import { mayHandOverCredentials } from '../../core/docker/cleartextCredentials';
import { defaultNames, parsePortMappings } from '../../core/docker/deployContainer';
import { errorText, isCancellation } from '../../core/docker/errors';
import { vendor } from '../../core/docker/lazyVendor';
import { DEPLOYED_FROM_LABEL } from '../../core/docker/presentation';
import { pushImage } from '../../core/docker/pushImage';
import { DOCKER_HUB, isRegistryAuthError, registryAuthHeader } from '../../core/docker/registryAuth';
import { deployService, schedulableNodes, serviceNamed, type ServiceDeployResult } from '../../core/swarm/serviceDeploy';
import { withoutDigest } from '../../core/swarm/swarmModel';
import { taskChangeText } from '../../core/swarm/serviceUpdate';
import { withCancellableProgress } from '../cancellableProgress';
import { CleartextConsentStore } from '../registries/cleartextConsentStore';
import { RegistryCredentialsStore } from '../registries/registryCredentialsStore';
import { buildClientId } from './buildClientId';
import { buildRegistryLogins } from './buildRegistryLogins';
import { buildSecretsFor } from './buildSecretSources';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { askPublishedPorts, DOCKERFILES, labelledPath } from './deployToHost';
import { askTarget, destinationLogin, keepLogin, pickDestination } from './registryDestination';
import { pickSwarm, type PickedSwarm } from './swarmPick';
import { resolveWorkspaceFile } from './workspaceFilePick';

/** Answers that are not secret, remembered per Dockerfile so a redeploy is a few Enters. */
interface Remembered {
  target?: string;
  service?: string;
  ports?: string;
  replicas?: string;
}

const memoryKey = (dockerfile: vscode.Uri) => `dockerOnAzure.deployToSwarm.${dockerfile.toString()}`;

async function askService(dockerfile: vscode.Uri, swarm: PickedSwarm, memory: Remembered) {
  const service = await vscode.window.showInputBox({
    title: `Service name on the ${swarm.name} swarm`,
    value: memory.service ?? defaultNames(path.basename(path.dirname(dockerfile.fsPath))).container,
    ignoreFocusOut: true,
    validateInput: (v) => (/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/.test(v.trim()) ? undefined : 'Use letters, digits and _ . - (up to 63).'),
  });
  if (!service) {
    return undefined;
  }
  const ports = await askPublishedPorts(dockerfile, memory.ports);
  if (ports === undefined) {
    return undefined;
  }
  const nodes = await schedulableNodes(swarm.manager.connect().docker);
  const published = parsePortMappings(ports).length > 0;
  const replicas = await vscode.window.showInputBox({
    title: `Replicas of ${service.trim()}`,
    prompt: `${nodes} node(s) take tasks.${published ? ' Ports are published on the node each replica runs on, so one replica per node.' : ''}`,
    value: memory.replicas ?? String(Math.max(nodes, 1)),
    ignoreFocusOut: true,
    validateInput: (v) => {
      const n = Number(v.trim());
      if (!Number.isInteger(n) || n < 1) {
        return 'A whole number of 1 or more.';
      }
      return published && n > nodes ? `With published ports, at most one replica per node: ${nodes}.` : undefined;
    },
  });
  return replicas ? { service: service.trim(), ports, replicas: replicas.trim() } : undefined;
}

function confirmForeign(swarm: PickedSwarm) {
  return async (existing: { name: string; image: string }) =>
    (await vscode.window.showWarningMessage(
      `The ${swarm.name} swarm already has a service named ${existing.name} (${withoutDigest(existing.image)}) that Docker on Azure did not make. Update its image?`,
      { modal: true, detail: 'Its tasks are replaced one at a time with the new build; its other settings stay as they are.' },
      'Update Image',
    )) === 'Update Image';
}

function doneText(result: ServiceDeployResult, swarm: PickedSwarm, digest: string | undefined): string {
  const build = digest ? ` (${digest.slice(0, 19)}…)` : '';
  switch (result.outcome) {
    case 'created':
      return `${result.service} runs on the ${swarm.name} swarm: ${result.running} replica(s), on ${[...new Set(result.nodes)].join(', ')}.`;
    case 'updated':
      return `${result.service} on the ${swarm.name} swarm updated to the new build${build}: ${result.running} replica(s) running.`;
    case 'unchanged':
      return `${result.service} on the ${swarm.name} swarm already runs this build${build}; nothing was changed.`;
    case 'declined':
      return `${result.service} on the ${swarm.name} swarm was left as it was.`;
  }
}

/**
 * Right-click a Dockerfile → a replicated service on a swarm: built on a manager's host, pushed to
 * the registry the swarm pulls from (picked and signed in to as Push Image… does), then created,
 * or rolled out to the service this extension made before. The registry login goes to the swarm
 * as X-Registry-Auth, so nodes that never had the image pull it.
 */
export function deployToSwarm(deps: CommandDeps): CommandHandler {
  const store = new RegistryCredentialsStore(deps.context.secrets, deps.context.globalState);
  const consent = new CleartextConsentStore(deps.context.globalState);
  return async (arg) => {
    const dockerfile = await resolveWorkspaceFile(arg instanceof vscode.Uri ? arg : undefined, DOCKERFILES);
    if (!dockerfile) {
      void vscode.window.showInformationMessage('No Dockerfile found in this workspace.');
      return;
    }
    const swarm = await pickSwarm(deps, arg, 'Deploy to which swarm?');
    if (!swarm) {
      return;
    }
    const destination = await pickDestination(deps, store, `Which registry does the ${swarm.name} swarm pull from?`);
    if (!destination) {
      return;
    }
    const { registry } = destination;
    const memory = deps.context.workspaceState.get<Remembered>(memoryKey(dockerfile), {});
    const hubUser = registry === DOCKER_HUB ? (await store.get(DOCKER_HUB))?.username : undefined;
    const remembered = memory.target?.startsWith(`${registry}/`) ? memory.target.slice(registry.length + 1) : undefined;
    const target = await askTarget(remembered ?? defaultNames(path.basename(path.dirname(dockerfile.fsPath))).image, registry, hubUser);
    const answers = target && (await askService(dockerfile, swarm, memory));
    const secrets = answers && (await buildSecretsFor(deps, dockerfile, true));
    if (!target || !answers || !secrets) {
      return;
    }
    await deps.context.workspaceState.update(memoryKey(dockerfile), { target, ...answers });
    // Asked before the build, so a no costs no build and push; deployService looks again.
    const existing = await serviceNamed(swarm.manager.connect().docker, answers.service);
    const foreignConfirmed = !!existing && !existing.ours && (await confirmForeign(swarm)({ name: answers.service, image: existing.image }));
    if (existing && !existing.ours && !foreignConfirmed) {
      return;
    }
    const login = await destinationLogin(deps, destination, store, 'Deploying');
    const connection = swarm.manager.connect();
    if (!login || !(await mayHandOverCredentials(connection, { registry, auth: login.auth }, consent))) {
      return;
    }
    deps.buildLog.clear();
    deps.buildLog.show(true);
    let digest: string | undefined;
    try {
      const result = await withCancellableProgress(`Deploying ${answers.service} to the ${swarm.name} swarm`, async (progress, signal) => {
        const step = (text: string) => {
          progress.report({ message: text });
          deps.buildLog.appendLine(text);
        };
        step(`Building ${target} on ${swarm.manager.spec.name}…`);
        await vendor().buildImage(
          connection,
          {
            contextDir: path.dirname(dockerfile.fsPath),
            dockerfile: dockerfile.fsPath,
            tag: target,
            signal,
            clientId: await buildClientId(deps),
            secret: secrets.over(connection),
            credentials: buildRegistryLogins(deps, connection, (line) => deps.buildLog.appendLine(line)),
            onStep: (name) => progress.report({ message: name }),
          },
          (text) => deps.buildLog.append(text),
        );
        step(`Pushing ${target}…`);
        ({ digest } = await pushImage(connection.docker, { source: target, target, registry, auth: login.auth, signal }, (p) =>
          progress.report({ message: p.summary() }),
        ));
        await keepLogin(store, destination, login);
        step(`Pushed ${target}${digest ? ` (${digest})` : ''}`);
        return deployService(
          connection.docker,
          {
            name: answers.service,
            image: digest ? `${target}@${digest}` : target,
            replicas: Number(answers.replicas),
            ports: parsePortMappings(answers.ports),
            labels: { [DEPLOYED_FROM_LABEL]: labelledPath(dockerfile) },
          },
          {
            registryAuth: login.auth && registryAuthHeader(login.auth),
            signal,
            confirmForeign: async (found) => foreignConfirmed || confirmForeign(swarm)(found),
            onTask: (change) => step(taskChangeText(change)),
          },
        );
      });
      const text = doneText(result, swarm, digest);
      deps.buildLog.appendLine(text);
      void vscode.window.showInformationMessage(text);
    } catch (err) {
      if (isCancellation(err)) {
        deps.buildLog.appendLine('Cancelled.');
        return;
      }
      deps.buildLog.appendLine(errorText(err));
      const retype = isRegistryAuthError(err) && destination.kind === 'typed';
      const choice = await vscode.window.showErrorMessage(errorText(err), ...(retype ? ['Forget Credentials'] : []), 'Show Log');
      if (choice === 'Show Log') {
        deps.buildLog.show();
      } else if (choice === 'Forget Credentials') {
        // The next deploy asks for them again.
        await store.delete(registry);
      }
    } finally {
      deps.hosts.refresh(swarm.manager.spec.id);
      deps.otherHosts.refreshSwarms();
    }
  };
}
