import * as vscode from 'vscode';
import type { HostMark } from '../../core/azure/azureHostSpec';
import type { AzureVm } from '../../core/azure/vmModel';
import { pickSshKey, pickTlsFolder } from './connectionPrompts';
import { AzureHostNode, AzureVmNode } from '../tree/azureNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';

async function askAccess(vm: AzureVm, homeDir: string): Promise<HostMark | undefined> {
  const ssh = { label: 'SSH', detail: 'docker system dial-stdio over SSH (the daemon stays private)', id: 'ssh' };
  const tls = {
    label: 'Mutual TLS',
    detail: vm.legacyDockerExtension
      ? 'as the Docker VM extension set this VM up: tcp on 2376 with your CA, client certificate and key'
      : 'tcp on the daemon port with a CA, client certificate and key',
    id: 'tls',
  };
  const how = await vscode.window.showQuickPick(vm.legacyDockerExtension ? [tls, ssh] : [ssh, tls], {
    title: `How is the Docker daemon on ${vm.name} reached?`,
    ignoreFocusOut: true,
  });
  if (how?.id === 'ssh') {
    const user = await vscode.window.showInputBox({ title: 'SSH user', value: vm.adminUsername ?? 'azureuser', ignoreFocusOut: true });
    if (!user) {
      return undefined;
    }
    const key = await pickSshKey(homeDir);
    if (key === undefined) {
      return undefined;
    }
    const identityFile = key ?? undefined;
    return { access: 'ssh', user, identityFile };
  }
  if (how?.id === 'tls') {
    const port = await vscode.window.showInputBox({
      title: 'Daemon port',
      value: '2376',
      validateInput: (v) => (/^\d+$/.test(v) && +v > 0 && +v < 65536 ? undefined : 'A port number'),
    });
    if (!port) {
      return undefined;
    }
    const tls = await pickTlsFolder();
    return tls && { access: 'tls', port: Number(port), tls };
  }
  return undefined;
}

/** Lists the VMs that are not Docker hosts yet (or takes the row's), and records how to reach the chosen one's daemon. */
export function markVmAsDockerHost(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (node instanceof AzureVmNode) {
      await markPicked(deps, node.vm, node.subscription.subscriptionId);
      return;
    }
    const inventory = deps.azureHosts.inventory;
    if (!inventory) {
      void vscode.window.showInformationMessage('Sign in to Azure first.');
      return;
    }
    const subs = await inventory.subscriptions();
    const candidates = (
      await Promise.all(
        subs.map(async (sub) =>
          (await inventory.listing(sub)).vms.filter((vm) => !vm.provisioned && !deps.hostMarks.get(vm.id)).map((vm) => ({ vm, sub })),
        ),
      )
    ).flat();
    if (!candidates.length) {
      void vscode.window.showInformationMessage('Every VM in the chosen subscriptions is already a Docker host.');
      return;
    }
    const picked = await vscode.window.showQuickPick(
      candidates.map((c) => ({
        label: c.vm.name,
        description: `${c.vm.powerState} · ${c.vm.fqdn ?? c.vm.publicIp ?? 'no public IP'}`,
        detail: `${c.sub.name} · ${c.vm.resourceGroup} · ${c.vm.vmSize}`,
        c,
      })),
      { title: 'Add Existing VM as Docker Host', matchOnDetail: true },
    );
    if (picked) {
      await markPicked(deps, picked.c.vm, picked.c.sub.subscriptionId);
    }
  };
}

async function markPicked(deps: CommandDeps, vm: AzureVm, subscriptionId: string): Promise<void> {
  const mark = await askAccess(vm, deps.connectionEnv().homeDir);
  if (mark) {
    await deps.hostMarks.set(vm.id, mark);
    deps.azureHosts.refreshSubscription(subscriptionId);
  }
}

export function unmarkVm(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (node instanceof AzureHostNode && !node.vm.provisioned) {
      await deps.hostMarks.set(node.vm.id, undefined);
      deps.azureHosts.refreshSubscription(node.subscription.subscriptionId);
    }
  };
}

/**
 * A VM the retired DockerExtension set up: its daemon was given certificates the user made, on
 * 2376, so pointing at them is all it takes to reach it like any TLS host.
 */
export function useTlsCertificates(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof AzureHostNode) || node.vm.provisioned) {
      return;
    }
    const tls = await pickTlsFolder();
    if (tls) {
      const mark = deps.hostMarks.get(node.vm.id);
      await deps.hostMarks.set(node.vm.id, { access: 'tls', port: mark?.access === 'tls' ? mark.port : 2376, tls });
      deps.azureHosts.refreshSubscription(node.subscription.subscriptionId);
    }
  };
}
