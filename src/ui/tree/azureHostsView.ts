import * as vscode from 'vscode';
import { AzureInventory } from '../../core/azure/azureInventory';
import { dockerSpecForVm, isDockerHost } from '../../core/azure/azureHostSpec';
import { isAzureSignInError } from '../../core/azure/azureErrors';
import type { ConnectionEnvironment } from '../../core/docker/connectionEnvironment';
import { DockerHostSession } from '../../core/docker/hostSession';
import { RefreshOptions, RefreshScheduler } from '../../core/docker/refreshScheduler';
import type { AzureSignIn } from '../azure/azureSignIn';
import type { HostMarksStore } from '../azure/hostMarksStore';
import type { HostTlsStore } from '../azure/hostTlsStore';
import { DockerHostsTreeProvider } from './dockerHostsTreeProvider';
import { AzureHostNode, SubscriptionNode } from './azureNodes';
import type { HostTreeContext } from './hostNodes';
import { MessageNode, TreeNode } from './treeNode';
import { contextValue } from '../../core/contextValue';

export const AZURE_HOSTS_VIEW_ID = 'dockerOnAzure.azureHosts';

/** A row that turns an expired or missing sign-in into one click, instead of an error. */
class SignInAgainNode implements TreeNode {
  readonly id = 'azure/sign-in-again';
  constructor(private readonly reason: string) {}
  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Sign in to Azure again…');
    item.id = this.id;
    item.description = this.reason;
    item.tooltip = this.reason;
    item.iconPath = new vscode.ThemeIcon('sign-in', new vscode.ThemeColor('list.warningForeground'));
    item.command = { command: 'dockerOnAzure.azure.signIn', title: 'Sign In' };
    item.contextValue = contextValue('azureSignIn');
    return item;
  }
}

/** "Azure Docker Hosts": subscriptions → Docker hosts on VMs → containers and images. */
export class AzureHostsView implements vscode.Disposable {
  readonly provider: DockerHostsTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  readonly scheduler: RefreshScheduler;
  inventory: AzureInventory | undefined;
  private inventoryAccount: unknown;
  private readonly sessions = new Map<string, DockerHostSession>();
  private readonly hostNodes = new Map<string, AzureHostNode>();
  /** Every Docker host VM as last listed, reachable or not, by subscription. */
  private readonly listedBySubscription = new Map<string, AzureHostNode[]>();
  private readonly subscriptionNodes = new Map<string, SubscriptionNode>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly signIn: AzureSignIn,
    readonly marks: HostMarksStore,
    private readonly tls: HostTlsStore,
    private readonly connectionEnv: () => ConnectionEnvironment,
    showDanglingImages: () => boolean,
    private readonly selectedSubscriptions: () => string[],
    refreshOptions: RefreshOptions,
  ) {
    const ctx: HostTreeContext = { watch: (id) => this.scheduler.watch(id), showDanglingImages, isCurrentContext: () => false };
    this.provider = new DockerHostsTreeProvider(() => this.roots(ctx));
    this.scheduler = new RefreshScheduler(
      {
        refresh: (hostId) => this.refreshDockerHost(hostId),
        subscribe: async (hostId, onChange, onEnd) => {
          const session = this.sessions.get(hostId);
          if (!session) {
            throw new Error(`Host ${hostId} is gone.`);
          }
          return session.watchEvents(onChange, onEnd);
        },
      },
      refreshOptions,
    );
    this.treeView = vscode.window.createTreeView(AZURE_HOSTS_VIEW_ID, { treeDataProvider: this.provider, showCollapseAll: true });
    this.disposables.push(
      this.treeView,
      this.provider,
      this.treeView.onDidChangeVisibility((e) => this.scheduler.setVisible(e.visible)),
      signIn.onDidChange(() => this.refreshAll()),
    );
    this.scheduler.setVisible(this.treeView.visible);
  }

  /** The inventory of the signed-in account; throws AzureSignInError when signed out. */
  currentInventory(): AzureInventory {
    const account = this.signIn.account();
    if (!this.inventory || this.inventoryAccount !== account) {
      this.inventory = new AzureInventory(account, this.selectedSubscriptions);
      this.inventoryAccount = account;
    }
    return this.inventory;
  }

  private async roots(ctx: HostTreeContext): Promise<TreeNode[]> {
    if (!(await this.signIn.isSignedIn().catch(() => false))) {
      return [];
    }
    let inventory: AzureInventory;
    try {
      inventory = this.currentInventory();
      const subscriptions = await inventory.subscriptions();
      if (!subscriptions.length) {
        return [
          new MessageNode('azure/no-subscriptions', 'No subscriptions to show. Check the account, or choose subscriptions.', undefined, 'info'),
        ];
      }
      return subscriptions.map((sub) => {
        const node = new SubscriptionNode(sub, (parent) => this.hostsOf(inventory, parent, ctx));
        this.subscriptionNodes.set(sub.subscriptionId, node);
        return node;
      });
    } catch (err) {
      if (isAzureSignInError(err)) {
        return [new SignInAgainNode(err.message)];
      }
      return [new MessageNode('azure/error', (err as Error).message, undefined, 'warning')];
    }
  }

  private async hostsOf(inventory: AzureInventory, parent: SubscriptionNode, ctx: HostTreeContext): Promise<TreeNode[]> {
    try {
      const listing = await inventory.listing(parent.subscription);
      const hosts = listing.vms.filter((vm) => isDockerHost(vm, this.marks.get(vm.id)));
      if (!hosts.length) {
        this.listedBySubscription.delete(parent.subscription.subscriptionId);
        return [new MessageNode(`${parent.id}/empty`, 'No Docker hosts here yet: provision one, or mark an existing VM as a Docker host.', parent)];
      }
      const tlsOf = new Map(
        await Promise.all(hosts.filter((vm) => vm.provisioned?.daemon === 'tls').map(async (vm) => [vm.id, await this.tls.get(vm.id)] as const)),
      );
      const nodes = hosts.map((vm) => {
        const spec = dockerSpecForVm(vm, this.marks.get(vm.id), tlsOf.get(vm.id));
        let session: DockerHostSession | undefined;
        if (spec) {
          session = this.sessions.get(spec.id);
          if (!session || JSON.stringify(session.spec) !== JSON.stringify(spec)) {
            session?.dispose();
            session = new DockerHostSession(spec, this.connectionEnv());
            this.sessions.set(spec.id, session);
          }
        }
        const node = new AzureHostNode(vm, parent.subscription, session, ctx, parent);
        if (session) {
          this.hostNodes.set(session.spec.id, node);
        }
        return node;
      });
      this.listedBySubscription.set(parent.subscription.subscriptionId, nodes);
      return nodes;
    } catch (err) {
      if (isAzureSignInError(err)) {
        return [new SignInAgainNode(err.message)];
      }
      return [new MessageNode(`${parent.id}/error`, (err as Error).message, parent, 'warning')];
    }
  }

  /** Connections to the Azure hosts listed so far, for commands that target any host. */
  dockerSessions(): DockerHostSession[] {
    return [...this.sessions.values()];
  }

  /** The Docker host VMs the view has listed, for commands that target any host. */
  listedHosts(): AzureHostNode[] {
    return [...this.listedBySubscription.values()].flat();
  }

  private refreshDockerHost(hostId: string): void {
    const node = this.hostNodes.get(hostId);
    if (node?.session) {
      node.session.invalidate();
      this.provider.refresh(node);
    }
  }

  /** Re-list one subscription's VMs (after a lifecycle action) and re-render it. */
  refreshSubscription(subscriptionId: string): void {
    this.inventory?.invalidate(subscriptionId);
    const node = this.subscriptionNodes.get(subscriptionId);
    this.provider.refresh(node);
  }

  refreshAll(): void {
    this.inventory?.invalidate();
    for (const session of this.sessions.values()) {
      session.invalidate();
    }
    this.provider.refresh();
  }

  dispose(): void {
    this.scheduler.dispose();
    for (const session of this.sessions.values()) {
      session.dispose();
    }
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
