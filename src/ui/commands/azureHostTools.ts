import * as vscode from 'vscode';
import * as os from 'os';
import { portalResourceUrl } from '../../core/azure/cloud';
import { dockerSpecForVm } from '../../core/azure/azureHostSpec';
import { dockerConfigDir } from '../../core/docker/dockerContexts';
import { exportDockerContext, validateContextName } from '../../core/docker/contextExport';
import { parseHostAddress } from '../../core/docker/hostAddress';
import { AzureHostNode } from '../tree/azureNodes';
import { provisionedSshKey } from '../azure/provisionedKeys';
import type { CommandDeps, CommandHandler } from './commandDeps';

function hostOf(node: unknown): AzureHostNode | undefined {
  return node instanceof AzureHostNode ? node : undefined;
}

export function copyAzureHostAddress(): CommandHandler {
  return async (node) => {
    const host = hostOf(node);
    const address = host?.vm.fqdn ?? host?.vm.publicIp;
    if (!address) {
      void vscode.window.showInformationMessage('This host has no public address.');
      return;
    }
    await vscode.env.clipboard.writeText(address);
    vscode.window.setStatusBarMessage(`Copied ${address}`, 3000);
  };
}

export function openInPortal(): CommandHandler {
  return async (node) => {
    const host = hostOf(node);
    if (host) {
      await vscode.env.openExternal(vscode.Uri.parse(portalResourceUrl(host.subscription.cloud, host.subscription.tenantId, host.vm.id)));
    }
  };
}

/** An SSH session in a terminal, with the same user, port and key the extension connects with. */
export function openSshTerminal(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const host = hostOf(node);
    const spec = host && dockerSpecForVm(host.vm, deps.hostMarks.get(host.vm.id), undefined, provisionedSshKey(host.vm));
    if (!host || !spec) {
      return;
    }
    const parsed = parseHostAddress(spec.address);
    const user = parsed.kind === 'ssh' ? parsed.user : (host.vm.provisioned?.adminUser ?? host.vm.adminUsername);
    const target = host.vm.fqdn ?? host.vm.publicIp!;
    // A host provisioned with a TLS daemon still takes the SSH key it was made with.
    const identityFile = spec.identityFile ?? deps.hostMarks.sshKey(host.vm.id) ?? provisionedSshKey(host.vm);
    const args = [
      ...(parsed.kind === 'ssh' && parsed.port !== 22 ? ['-p', String(parsed.port)] : []),
      ...(identityFile ? ['-i', identityFile] : []),
      `${user}@${target}`,
    ];
    vscode.window
      .createTerminal({ name: `SSH: ${host.vm.name}`, shellPath: 'ssh', shellArgs: args, iconPath: new vscode.ThemeIcon('remote') })
      .show();
  };
}

/** `docker --context NAME ps` from any terminal reaches the host the same way the tree does. */
export function exportAsDockerContext(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const host = hostOf(node);
    const provisionedTls = host?.vm.provisioned?.daemon === 'tls' ? await deps.hostTls.get(host.vm.id) : undefined;
    const spec = host && dockerSpecForVm(host.vm, deps.hostMarks.get(host.vm.id), provisionedTls);
    if (!host || !spec) {
      void vscode.window.showInformationMessage('This host has no public address to export.');
      return;
    }
    if (host.vm.provisioned?.daemon === 'tls' && !provisionedTls) {
      void vscode.window.showWarningMessage(
        `The client certificates of ${host.vm.name} are not on this machine (they stay where it was provisioned), so a context could not reach it. Export it from that machine.`,
      );
      return;
    }
    const name = await vscode.window.showInputBox({
      title: 'Export as Docker CLI Context',
      value: host.vm.name.toLowerCase(),
      prompt: 'Context name',
      validateInput: (v) => validateContextName(v),
    });
    if (!name) {
      return;
    }
    await exportDockerContext(dockerConfigDir(process.env, os.homedir()), name, spec, `Azure VM ${host.vm.name} (${host.vm.resourceGroup})`);
    deps.otherHosts.refreshAll();
    const sshNote = spec.address.startsWith('ssh://') ? ' The Docker CLI uses your ssh configuration and agent for the key.' : '';
    void vscode.window.showInformationMessage(`Created Docker context "${name}": docker --context ${name} ps${sshNote}`);
  };
}
