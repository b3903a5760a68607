import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import { parseArmId } from '../../core/azure/armIds';
import { closeDaemonTlsPort } from '../../core/azure/nsgPorts';
import { nsgsOnlyUsedBy } from '../../core/azure/vmModel';
import { DOCKER_TLS_PORT } from '../../core/azure/provisioning/plan';
import { uninstallDockerAccess, UninstallCancelled } from '../../core/azure/dockerInstall/uninstallDocker';
import type { UninstallReport } from '../../core/azure/dockerInstall/uninstallScript';
import { errorText, isCancellation } from '../../core/docker/errors';
import { AzureHostNode } from '../tree/azureNodes';
import { scriptPollIntervalMs } from '../settings';
import { scriptEventSink } from './scriptLog';
import type { CommandDeps, CommandHandler } from './commandDeps';

/**
 * Remove Docker Access… on a VM Install Docker on VM… set up: the VM gives back what the install's
 * record says it wrote (the TLS listener, and when asked the docker group membership and the
 * packages), through the Custom Script extension as the install went; then the NSG rule this
 * extension opened for 2376 goes, and so do the client certificate in SecretStorage and the mark.
 * Afterwards it says exactly what changed, and what it kept.
 */
export function removeDockerAccessCommand(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof AzureHostNode) || node.vm.provisioned) {
      void vscode.window.showInformationMessage(
        'Remove Docker Access… works on a VM you installed Docker on: choose it in the Azure Docker Hosts view.',
      );
      return;
    }
    const { vm, subscription: sub } = node;
    const mark = deps.hostMarks.get(vm.id);
    const adminUser = (mark?.access === 'ssh' ? mark.user : undefined) ?? vm.adminUsername ?? 'azureuser';
    const go = await vscode.window.showWarningMessage(
      `Remove Docker access from ${vm.name}?`,
      {
        modal: true,
        detail:
          `Docker on Azure takes back what its install set up: the TLS listener on ${DOCKER_TLS_PORT} (daemon.json as it was, ` +
          `the drop-in and the certificates on the VM), the network security group rule it opened for ${DOCKER_TLS_PORT}, ` +
          'the client certificate on this machine and the Docker host mark. Files changed since the install are kept.',
      },
      'Remove Access',
    );
    if (go !== 'Remove Access') {
      return;
    }
    const also = await vscode.window.showQuickPick(
      [
        {
          label: `${adminUser} in the docker group`,
          detail: 'Take the user out of the group the install put it in: Docker over SSH ends',
          what: 'group' as const,
        },
        {
          label: 'Docker Engine',
          detail: 'Remove the packages the install brought in (not a Docker that was there before); /var/lib/docker stays',
          what: 'packages' as const,
        },
      ],
      { title: `Also remove from ${vm.name} (none: only the TLS listener)`, canPickMany: true, ignoreFocusOut: true },
    );
    if (!also) {
      return;
    }
    const log = deps.installLog;
    log.show(true);
    log.appendLine(`Removing Docker access from ${vm.name} (${vm.resourceGroup})`);
    const clients = deps.azureHosts.currentInventory().clients(sub);
    const run = (takeUnrecorded: boolean): Thenable<UninstallReport> =>
      withCancellableProgress(`Removing Docker access from ${vm.name}`, (progress, signal) =>
        uninstallDockerAccess(
          clients.compute,
          { resourceGroup: vm.resourceGroup, name: vm.name, location: vm.location, adminUser },
          {
            removeGroupMembership: also.some((a) => a.what === 'group'),
            removePackages: also.some((a) => a.what === 'packages'),
            takeUnrecorded,
            signal,
            pollIntervalMs: scriptPollIntervalMs(),
            onEvent: scriptEventSink(log, progress),
          },
        ),
      );
    try {
      let report = await run(false);
      let notTaken: string[] = [];
      if (report.unrecorded.length) {
        const choice = await vscode.window.showWarningMessage(
          `${vm.name} has no record of what Docker on Azure installed there (an earlier version set it up). Remove what matches what that install wrote?`,
          { modal: true, detail: report.unrecorded.join('\n') },
          'Remove Them',
          'Keep Them',
        );
        if (!choice) {
          log.appendLine('Stopped: nothing was changed.');
          return;
        }
        if (choice === 'Remove Them') {
          report = await run(true);
        } else {
          notTaken = report.unrecorded.map((u) => `${u} (no record that Docker on Azure wrote it)`);
        }
      }
      const changed = [...report.changed];
      const kept = [...report.kept, ...notTaken];
      // The rule opens 2376 for every VM behind its NSG: where another VM's NIC shares that NSG, it stays.
      const own = nsgsOnlyUsedBy(vm, (await deps.azureHosts.currentInventory().listing(sub)).nics);
      for (const nsgId of vm.nsgIds) {
        const { name } = parseArmId(nsgId);
        if (!own.includes(nsgId)) {
          kept.push(`any ${DOCKER_TLS_PORT} rule of Docker on Azure in ${name}, which other VMs' network interfaces use too`);
          continue;
        }
        try {
          for (const rule of await closeDaemonTlsPort(clients.network, nsgId)) {
            changed.push(`deleted the rule ${rule} for ${DOCKER_TLS_PORT} from ${name}`);
          }
        } catch (err) {
          kept.push(`the ${DOCKER_TLS_PORT} rule in ${name}, which could not be deleted (${errorText(err)})`);
        }
      }
      if (await deps.hostTls.get(vm.id)) {
        await deps.hostTls.delete(vm.id);
        changed.push('deleted its client certificate and CA key from this machine');
      }
      if (mark || deps.hostMarks.sshKey(vm.id)) {
        await deps.hostMarks.set(vm.id, undefined);
        await deps.hostMarks.setSshKey(vm.id, undefined);
        changed.push('no longer marked as a Docker host');
      }
      deps.azureHosts.refreshSubscription(sub.subscriptionId);
      const text =
        `Removed Docker access from ${vm.name}: ${changed.length ? changed.join('; ') : 'nothing was left to remove'}.` +
        (kept.length ? ` Kept: ${kept.join('; ')}.` : '');
      log.appendLine(text);
      void vscode.window.showInformationMessage(text);
    } catch (err) {
      const cancelled = [err, (err as { cause?: unknown }).cause].find((e) => e instanceof UninstallCancelled);
      if (cancelled) {
        log.appendLine(errorText(cancelled));
        void vscode.window.showInformationMessage(errorText(cancelled));
        return;
      }
      if (isCancellation(err)) {
        return;
      }
      log.appendLine(errorText(err));
      throw err;
    }
  };
}
