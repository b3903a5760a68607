import * as vscode from 'vscode';
import { followServiceLogs } from '../../core/swarm/serviceLogs';
import {
  isImageName,
  rollbackService,
  taskChangeText,
  updateServiceImage,
  type FollowOptions,
  type UpdateResult,
} from '../../core/swarm/serviceUpdate';
import { withCancellableProgress } from '../cancellableProgress';
import { openFollowTerminal } from '../terminals/logsTerminal';
import { SwarmServiceRow } from '../tree/swarmNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';

/**
 * Each task's change goes to the notification (the latest) and the log (all of them); Cancel stops
 * following, and the swarm carries on.
 */
async function followed(deps: CommandDeps, title: string, run: (options: FollowOptions) => Promise<UpdateResult>): Promise<UpdateResult> {
  try {
    return await withCancellableProgress(title, (progress, signal) =>
      run({
        signal,
        onTask: (change) => {
          const text = taskChangeText(change);
          deps.log.info(`${title}: ${text}`);
          progress.report({ message: text });
        },
      }),
    );
  } finally {
    deps.otherHosts.refreshSwarms();
  }
}

export function updateServiceImageCommand(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof SwarmServiceRow)) {
      return;
    }
    const { service } = node;
    const image = await vscode.window.showInputBox({
      title: `Update Image of ${service.name}`,
      prompt: `The image its ${service.desired} task(s) run now is ${service.image}; they are replaced as the service's update settings say.`,
      value: service.image,
      ignoreFocusOut: true,
      validateInput: (v) => (isImageName(v) ? undefined : 'An image name, such as myregistry.azurecr.io/web:2.'),
    });
    if (image === undefined || image.trim() === service.image) {
      return;
    }
    const result = await followed(deps, `Updating ${service.name} to ${image.trim()}`, (options) =>
      updateServiceImage(node.swarm.docker(), service.id, image, options),
    );
    void vscode.window.showInformationMessage(`${result.service} runs ${result.image}: ${result.running} task(s) updated and running.`);
  };
}

export function rollbackServiceCommand(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof SwarmServiceRow)) {
      return;
    }
    const result = await followed(deps, `Rolling back ${node.service.name}`, (options) =>
      rollbackService(node.swarm.docker(), node.service.id, options),
    );
    void vscode.window.showInformationMessage(`${result.service} rolled back to ${result.image}: ${result.running} task(s) running.`);
  };
}

export function showServiceLogs(): CommandHandler {
  return (node) => {
    if (!(node instanceof SwarmServiceRow)) {
      return;
    }
    const docker = node.swarm.docker();
    openFollowTerminal(
      `Logs: ${node.service.name} (${node.swarm.name} swarm)`,
      () => followServiceLogs(docker, node.service.id),
      'the log stream ended (the service was removed, or its manager went away)',
    );
  };
}

/** Spread into the command registry. */
export const swarmServiceCommands: Record<string, (deps: CommandDeps) => CommandHandler> = {
  'dockerOnAzure.swarm.updateImage': updateServiceImageCommand,
  'dockerOnAzure.swarm.rollbackService': rollbackServiceCommand,
  'dockerOnAzure.swarm.serviceLogs': showServiceLogs,
};
