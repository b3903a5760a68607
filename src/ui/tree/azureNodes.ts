import * as vscode from 'vscode';
import type { AzureSubscriptionRef } from '../../core/azure/azureAccount';
import type { AzureVm, PowerState } from '../../core/azure/vmModel';
import { DockerHostSession } from '../../core/docker/hostSession';
import { HostNode, HostTreeContext } from './hostNodes';
import { markdownText } from '../../core/markdown';
import { MessageNode, tooltipMarkdown, TreeNode } from './treeNode';
import { contextValue } from '../../core/contextValue';

export class SubscriptionNode implements TreeNode {
  readonly id: string;

  constructor(
    readonly subscription: AzureSubscriptionRef,
    private readonly children: (node: SubscriptionNode) => Promise<TreeNode[]>,
  ) {
    this.id = `azure/${subscription.subscriptionId}`;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.subscription.name, vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.description = this.subscription.subscriptionId;
    item.iconPath = new vscode.ThemeIcon('key');
    item.contextValue = contextValue('azureSubscription');
    return item;
  }

  getChildren(): Promise<TreeNode[]> {
    return this.children(this);
  }
}

const POWER_ICON: Record<PowerState, { icon: string; color?: string; label: string }> = {
  running: { icon: 'vm-running', color: 'charts.green', label: 'running' },
  starting: { icon: 'loading~spin', label: 'starting…' },
  restarting: { icon: 'loading~spin', label: 'restarting…' },
  stopping: { icon: 'loading~spin', label: 'stopping…' },
  deallocating: { icon: 'loading~spin', label: 'deallocating…' },
  stopped: { icon: 'vm-outline', color: 'charts.yellow', label: 'stopped (still billed)' },
  deallocated: { icon: 'vm-outline', color: 'disabledForeground', label: 'deallocated' },
  unknown: { icon: 'vm', label: 'state unknown' },
};

/**
 * A Docker host on an Azure VM: power state, address, size and region; when running, the same
 * Containers and Images children as any other host, through the shared connection layer.
 */
export class AzureHostNode implements TreeNode {
  readonly id: string;
  private readonly inner: HostNode | undefined;

  constructor(
    readonly vm: AzureVm,
    readonly subscription: AzureSubscriptionRef,
    /** How the daemon is reached, when the VM has a public address, running or not. */
    readonly daemonAddress: string | undefined,
    /** The catalog's session, while the VM runs. */
    readonly session: DockerHostSession | undefined,
    ctx: HostTreeContext,
    readonly parent: TreeNode,
    /** Set up by the retired DockerExtension, and not yet pointed at its TLS certificates. */
    readonly awaitingCertificates = false,
  ) {
    this.id = `azure/${vm.id.toLowerCase()}`;
    this.inner = session ? new HostNode(session, ctx, this) : undefined;
  }

  get hostId(): string | undefined {
    return this.session?.spec.id;
  }

  getTreeItem(): vscode.TreeItem {
    const { vm } = this;
    const state = POWER_ICON[vm.powerState];
    const item = new vscode.TreeItem(vm.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = [state.label, vm.fqdn ?? vm.publicIp ?? 'no public IP', vm.vmSize, vm.location, vm.legacyDockerExtension && 'legacy extension']
      .filter(Boolean)
      .join(' · ');
    item.iconPath = new vscode.ThemeIcon(state.icon, state.color ? new vscode.ThemeColor(state.color) : undefined);
    item.tooltip = tooltipMarkdown(
      [
        `**${markdownText(vm.name)}** — ${state.label}`,
        '',
        `Size: ${markdownText(vm.vmSize)} · Region: ${markdownText(vm.location)}`,
        `Public IP: ${markdownText(vm.publicIp ?? 'none')}${vm.fqdn ? ` · DNS: ${markdownText(vm.fqdn)}` : ''}`,
        `Resource group: ${markdownText(vm.resourceGroup)}`,
        `Daemon: ${markdownText(this.daemonAddress ?? 'not reachable (no public address)')}`,
        vm.provisioned
          ? 'Provisioned by Docker on Azure'
          : this.awaitingCertificates
            ? 'Set up by the Docker VM extension'
            : 'Marked as a Docker host by you',
        ...(vm.legacyDockerExtension
          ? [
              '',
              'Legacy extension: the Docker VM extension (DockerExtension) on this VM is retired and gets no updates. ' +
                'Install Docker on VM… reinstalls Docker through this extension, which moves the VM onto the supported path.',
            ]
          : []),
      ].join('  \n'),
    );
    item.contextValue = contextValue(
      'azureHost',
      vm.powerState,
      !!(vm.publicIp || vm.fqdn) && 'hasAddress',
      vm.provisioned ? 'provisioned' : !this.awaitingCertificates && 'marked',
      vm.legacyDockerExtension && 'legacyExtension',
    );
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    if (this.vm.powerState !== 'running') {
      const hint = this.vm.powerState === 'deallocated' || this.vm.powerState === 'stopped' ? ' — start it to see its containers' : '';
      return [new MessageNode(`${this.id}/state`, `The VM is ${POWER_ICON[this.vm.powerState].label}${hint}.`, this, { icon: 'debug-pause' })];
    }
    if (this.awaitingCertificates && this.daemonAddress) {
      return [
        new MessageNode(
          `${this.id}/certificates`,
          `Its daemon takes mutual TLS on ${this.daemonAddress}: Use TLS Certificates… to point at your ca.pem, cert.pem and key.pem.`,
          this,
          { icon: 'key' },
        ),
      ];
    }
    if (!this.inner) {
      return [
        new MessageNode(`${this.id}/noaddress`, 'This VM has no public IP address, so its Docker daemon cannot be reached from here.', this, {
          icon: 'warning',
        }),
      ];
    }
    return this.inner.getChildren();
  }
}

/** What stands between a VM that is not a Docker host and Install Docker on VM…, if anything. */
export function installBlocker(vm: AzureVm): string | undefined {
  if (vm.osType === 'Windows') {
    return 'Windows: installing Docker is not supported yet';
  }
  if (vm.powerState !== 'running') {
    return 'must be running to install Docker';
  }
  return undefined;
}

/**
 * A VM of the subscription that is not a Docker host: right-click to install Docker on it, to add
 * it as a host whose daemon is there already, or to export the install as a template.
 */
export class AzureVmNode implements TreeNode {
  readonly id: string;

  constructor(
    readonly vm: AzureVm,
    readonly subscription: AzureSubscriptionRef,
    readonly parent: TreeNode,
  ) {
    this.id = `azure/vm/${vm.id.toLowerCase()}`;
  }

  getTreeItem(): vscode.TreeItem {
    const { vm } = this;
    const state = POWER_ICON[vm.powerState];
    const blocker = installBlocker(vm);
    const item = new vscode.TreeItem(vm.name, vscode.TreeItemCollapsibleState.None);
    item.id = this.id;
    item.description = [state.label, blocker ?? 'not a Docker host'].join(' · ');
    item.iconPath = new vscode.ThemeIcon(state.icon, state.color ? new vscode.ThemeColor(state.color) : undefined);
    item.tooltip = tooltipMarkdown(
      [
        `**${markdownText(vm.name)}** — ${state.label}, not a Docker host`,
        '',
        `OS: ${markdownText(vm.osType ?? 'Linux')} · Size: ${markdownText(vm.vmSize)} · Region: ${markdownText(vm.location)}`,
        `Public IP: ${markdownText(vm.publicIp ?? 'none')}${vm.fqdn ? ` · DNS: ${markdownText(vm.fqdn)}` : ''}`,
        `Resource group: ${markdownText(vm.resourceGroup)}`,
        blocker ? `Install Docker on VM…: ${blocker}.` : 'Install Docker on VM… makes it a Docker host reached over SSH or mutual TLS.',
      ].join('  \n'),
    );
    item.contextValue = contextValue('azureVm', vm.powerState, vm.osType === 'Windows' ? 'windows' : 'linux');
    return item;
  }
}

/**
 * The subscription's VMs that are not Docker hosts, collapsed under one row so the hosts stay the
 * view's subject; they come from the same listing as the hosts, so showing them costs no call.
 */
export class OtherVmsNode implements TreeNode {
  readonly id: string;
  readonly vms: AzureVmNode[];

  constructor(
    readonly subscription: AzureSubscriptionRef,
    vms: AzureVm[],
    readonly parent: TreeNode,
  ) {
    this.id = `azure/${subscription.subscriptionId}/other-vms`;
    this.vms = vms.map((vm) => new AzureVmNode(vm, subscription, this));
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Other VMs', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.description = this.vms.length === 1 ? '1 not a Docker host' : `${this.vms.length} not Docker hosts`;
    item.tooltip = tooltipMarkdown(
      'VMs of this subscription that are not Docker hosts: right-click one to install Docker on it or to add it as a host.',
    );
    item.iconPath = new vscode.ThemeIcon('server-environment');
    item.contextValue = contextValue('azureOtherVms');
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    return this.vms;
  }
}
