import * as vscode from 'vscode';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { errorText, isCancellation } from '../../core/docker/errors';
import { addHost } from './addHost';
import { containerLifecycle } from './containerLifecycle';
import { copyContainerId, inspectContainer, openInBrowser, openShell, viewLogs } from './containerTools';
import { refreshAll, refreshHost, removeHost, trustHostKey } from './hostCommands';
import { inspectImage, removeImages } from './imageCommands';
import { removeContainers } from './removeContainer';
import { azureRefresh, azureSignIn, azureSignOut, selectSubscriptions } from './azureAccountCommands';
import { azureHostAction } from './azureHostLifecycle';
import { deleteAzureHost } from './azureHostDelete';
import { copyAzureHostAddress, exportAsDockerContext, openInPortal, openSshTerminal } from './azureHostTools';
import { markVmAsDockerHost, unmarkVm, useTlsCertificates } from './markAzureVm';
import { installDockerOnVmCommand } from './installDockerOnVm';
import { removeDockerAccessCommand } from './removeDockerAccess';
import { provisionHost } from './provisionHost';
import { provisionSwarm } from './provisionSwarm';
import { addAzureWorker } from './addAzureWorker';
import { deployToHost, redeploy } from './deployToHost';
import { composeDownCommand, composeUpCommand } from './composeCommands';
import { exportArmTemplate, exportDockerInstallTemplate } from './exportArmTemplate';
import { pushImage } from './pushImage';
import { copyImageToHost } from './copyImage';
import { compareVmsAndContainers } from './compareVmsAndContainers';
import { needsTrustedWorkspace } from './preconditions';
import { swarmServiceCommands } from './swarmServiceCommands';
import { deployComposeAsStack } from './stackDeployCommand';
import { addHostToSwarm, removeSwarmNode } from './swarmNodeCommands';
import { deployToSwarm } from './deployToSwarm';
import { createSwarmFromHosts, nodeAvailability, nodeRole, removeSwarmService, removeSwarmStack, scaleSwarmService } from './swarmCommands';

/** Every command the extension contributes, one line each. A test checks this against package.json. */
export const commandFactories: Record<string, (deps: CommandDeps) => CommandHandler> = {
  'dockerOnAzure.refresh': refreshAll,
  'dockerOnAzure.refreshHost': refreshHost,
  'dockerOnAzure.retryHost': refreshHost,
  'dockerOnAzure.addHost': addHost,
  'dockerOnAzure.removeHost': removeHost,
  'dockerOnAzure.trustHostKey': trustHostKey,
  'dockerOnAzure.container.start': containerLifecycle('start'),
  'dockerOnAzure.container.stop': containerLifecycle('stop'),
  'dockerOnAzure.container.restart': containerLifecycle('restart'),
  'dockerOnAzure.container.remove': removeContainers,
  'dockerOnAzure.container.logs': viewLogs,
  'dockerOnAzure.container.inspect': inspectContainer,
  'dockerOnAzure.container.shell': openShell,
  'dockerOnAzure.container.openInBrowser': openInBrowser,
  'dockerOnAzure.container.copyId': copyContainerId,
  'dockerOnAzure.image.remove': removeImages,
  'dockerOnAzure.image.inspect': inspectImage,
  'dockerOnAzure.image.push': pushImage,
  'dockerOnAzure.image.copyToHost': copyImageToHost,
  'dockerOnAzure.azure.signIn': azureSignIn,
  'dockerOnAzure.azure.signOut': azureSignOut,
  'dockerOnAzure.azure.refresh': azureRefresh,
  'dockerOnAzure.azure.selectSubscriptions': selectSubscriptions,
  'dockerOnAzure.azure.addExistingVm': markVmAsDockerHost,
  'dockerOnAzure.azure.installDocker': installDockerOnVmCommand,
  'dockerOnAzure.azureHost.removeDockerAccess': removeDockerAccessCommand,
  'dockerOnAzure.azure.provisionHost': provisionHost,
  'dockerOnAzure.deploy': needsTrustedWorkspace('Deploy', deployToHost),
  'dockerOnAzure.redeploy': needsTrustedWorkspace('Redeploy', redeploy),
  'dockerOnAzure.composeUp': needsTrustedWorkspace('Compose Up', composeUpCommand),
  'dockerOnAzure.composeDown': composeDownCommand,
  'dockerOnAzure.azure.exportArmTemplate': exportArmTemplate,
  'dockerOnAzure.azureVm.exportDockerInstallTemplate': exportDockerInstallTemplate,
  'dockerOnAzure.azureHost.unmark': unmarkVm,
  'dockerOnAzure.azureHost.useTlsCertificates': useTlsCertificates,
  'dockerOnAzure.azureHost.start': azureHostAction('start'),
  'dockerOnAzure.azureHost.stop': azureHostAction('deallocate'),
  'dockerOnAzure.azureHost.restart': azureHostAction('restart'),
  'dockerOnAzure.azureHost.delete': deleteAzureHost,
  'dockerOnAzure.azureHost.copyAddress': copyAzureHostAddress,
  'dockerOnAzure.azureHost.openSsh': openSshTerminal,
  'dockerOnAzure.azureHost.openInPortal': openInPortal,
  'dockerOnAzure.azureHost.exportContext': exportAsDockerContext,
  'dockerOnAzure.compare': compareVmsAndContainers,
  'dockerOnAzure.swarm.create': createSwarmFromHosts,
  'dockerOnAzure.azure.provisionSwarm': provisionSwarm,
  'dockerOnAzure.swarm.scaleService': scaleSwarmService,
  'dockerOnAzure.swarm.removeService': removeSwarmService,
  'dockerOnAzure.swarm.removeStack': removeSwarmStack,
  'dockerOnAzure.swarm.deployStack': needsTrustedWorkspace('Deploy Compose File as Stack', deployComposeAsStack),
  'dockerOnAzure.swarm.deployDockerfile': needsTrustedWorkspace('Deploy to Swarm', deployToSwarm),
  'dockerOnAzure.swarm.drainNode': nodeAvailability('drain'),
  'dockerOnAzure.swarm.activateNode': nodeAvailability('active'),
  'dockerOnAzure.swarm.promoteNode': nodeRole('manager'),
  'dockerOnAzure.swarm.demoteNode': nodeRole('worker'),
  'dockerOnAzure.swarm.addHost': addHostToSwarm,
  'dockerOnAzure.swarm.addAzureWorker': addAzureWorker,
  'dockerOnAzure.swarm.removeNode': removeSwarmNode,
  'dockerOnAzure.swarm.exportManagerContext': exportAsDockerContext,
  ...swarmServiceCommands,
};

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  return Object.entries(commandFactories).map(([id, factory]) => {
    const handler = factory(deps);
    return vscode.commands.registerCommand(id, async (node?: unknown, nodes?: unknown[]) => {
      try {
        return await handler(node, nodes);
      } catch (err) {
        if (isCancellation(err)) {
          deps.log.info(`${id} cancelled`);
          return undefined;
        }
        deps.log.error(`${id} failed`, err);
        void vscode.window.showErrorMessage(errorText(err));
      }
    });
  });
}
