import * as vscode from 'vscode';
import { errorText } from '../../core/docker/errors';
import { AzureInventory } from '../../core/azure/azureInventory';
import { awaitsCertificates, dockerSpecForVm, isDockerHost, tlsFromSecrets } from '../../core/azure/azureHostSpec';
import { isAzureSignInError } from '../../core/azure/azureErrors';
import type { AzureSubscriptionRef } from '../../core/azure/azureAccount';
import type { HostCatalog } from '../../core/hosts/hostCatalog';
import type { AzureSignIn } from '../azure/azureSignIn';
import type { HostMarksStore } from '../azure/hostMarksStore';
import type { HostTlsStore } from '../azure/hostTlsStore';
import { provisionedSshKey } from '../azure/provisionedKeys';
import { DockerHostsTreeProvider } from './dockerHostsTreeProvider';
import { AzureHostNode, OtherVmsNode, SubscriptionNode } from './azureNodes';
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

/** The catalog group of one subscription's Docker hosts. */
function azureGroup(subscriptionId: string): string {
  return `azure:${subscriptionId}`;
}
const isAzureGroup = (group: string) => group.startsWith('azure:');

/**
 * "Azure Docker Hosts": subscriptions → Docker hosts on VMs → containers and images, and under
 * "Other VMs" the subscription's VMs that are not Docker hosts (to install Docker on). Every running
 * Docker host VM with a public address goes into the catalog under its subscription; a VM that is
 * deleted, unmarked, stopped or signed out of leaves it, and with it its connection and watch.
 */
export class AzureHostsView implements vscode.Disposable {
  readonly provider: DockerHostsTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  inventory: AzureInventory | undefined;
  private inventoryAccount: unknown;
  private readonly hostNodes = new Map<string, AzureHostNode>();
  /** Every Docker host VM as last listed, reachable or not, by subscription. */
  private readonly listedBySubscription = new Map<string, AzureHostNode[]>();
  private readonly subscriptionNodes = new Map<string, SubscriptionNode>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly catalog: HostCatalog,
    readonly signIn: AzureSignIn,
    readonly marks: HostMarksStore,
    private readonly tls: HostTlsStore,
    showDanglingImages: () => boolean,
    private readonly selectedSubscriptions: () => string[],
  ) {
    const ctx: HostTreeContext = { watch: (id) => catalog.watch(id), showDanglingImages, isCurrentContext: () => false };
    this.provider = new DockerHostsTreeProvider(() => this.roots(ctx));
    this.treeView = vscode.window.createTreeView(AZURE_HOSTS_VIEW_ID, { treeDataProvider: this.provider, showCollapseAll: true });
    this.disposables.push(
      this.treeView,
      this.provider,
      this.treeView.onDidChangeVisibility((e) => catalog.setVisible(AZURE_HOSTS_VIEW_ID, e.visible)),
      signIn.onDidChange(() => this.refreshAll()),
      catalog.onDidChange((hostId) => this.rerender(hostId)),
    );
    catalog.setVisible(AZURE_HOSTS_VIEW_ID, this.treeView.visible);
    catalog.addSource(() => this.loadAllHosts());
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
      this.forgetSubscriptionsExcept([]);
      return [];
    }
    let inventory: AzureInventory;
    try {
      inventory = this.currentInventory();
      const subscriptions = await inventory.subscriptions();
      this.forgetSubscriptionsExcept(subscriptions);
      if (!subscriptions.length) {
        return [
          new MessageNode('azure/no-subscriptions', 'No subscriptions to show. Check the account, or choose subscriptions.', undefined, {
            icon: 'info',
          }),
        ];
      }
      return subscriptions.map((sub) => {
        const node = new SubscriptionNode(sub, (parent) => this.hostsOf(inventory, parent, ctx));
        this.subscriptionNodes.set(sub.subscriptionId, node);
        return node;
      });
    } catch (err) {
      if (isAzureSignInError(err)) {
        this.forgetSubscriptionsExcept([]);
        return [new SignInAgainNode(err.message)];
      }
      return [new MessageNode('azure/error', errorText(err), undefined, { icon: 'warning' })];
    }
  }

  /** Hosts of subscriptions no longer shown (signed out, deselected) leave the catalog. */
  private forgetSubscriptionsExcept(subscriptions: AzureSubscriptionRef[]): void {
    const kept = new Set(subscriptions.map((s) => azureGroup(s.subscriptionId)));
    this.catalog.removeGroups((group) => isAzureGroup(group) && !kept.has(group));
    for (const id of [...this.subscriptionNodes.keys()]) {
      if (!kept.has(azureGroup(id))) {
        this.subscriptionNodes.delete(id);
        this.listedBySubscription.delete(id);
      }
    }
  }

  /** Lists one subscription's Docker host VMs and puts the reachable ones into the catalog. */
  private async syncSubscription(inventory: AzureInventory, subscription: AzureSubscriptionRef) {
    const listing = await inventory.listing(subscription);
    const hosts = listing.vms.filter((vm) => isDockerHost(vm, this.marks.get(vm.id)));
    const others = listing.vms.filter((vm) => !isDockerHost(vm, this.marks.get(vm.id)));
    const tlsOf = new Map(
      await Promise.all(
        hosts.filter((vm) => tlsFromSecrets(vm, this.marks.get(vm.id))).map(async (vm) => [vm.id, await this.tls.get(vm.id)] as const),
      ),
    );
    const listed = hosts.map((vm) => ({
      vm,
      spec: dockerSpecForVm(vm, this.marks.get(vm.id), tlsOf.get(vm.id), provisionedSshKey(vm)),
      awaitingCertificates: awaitsCertificates(vm, this.marks.get(vm.id)),
    }));
    // Only a running VM is reached: a stopped one may get another address when it starts.
    const reachable = listed.filter((h) => h.vm.powerState === 'running' && h.spec && !h.awaitingCertificates).map((h) => h.spec!);
    const sessions = new Map(this.catalog.update(azureGroup(subscription.subscriptionId), reachable).map((s) => [s.spec.id, s]));
    return {
      hosts: listed.map(({ vm, spec, awaitingCertificates }) => ({
        vm,
        address: spec?.address,
        session: spec && !awaitingCertificates ? sessions.get(spec.id) : undefined,
        awaitingCertificates,
      })),
      others,
    };
  }

  /** For picks made before the view was opened: every selected subscription's hosts, if signed in. */
  private async loadAllHosts(): Promise<void> {
    if (!(await this.signIn.isSignedIn().catch(() => false))) {
      return;
    }
    const inventory = this.currentInventory();
    const subscriptions = await inventory.subscriptions();
    this.forgetSubscriptionsExcept(subscriptions);
    await Promise.all(subscriptions.map((sub) => this.syncSubscription(inventory, sub).catch(() => undefined)));
  }

  private async hostsOf(inventory: AzureInventory, parent: SubscriptionNode, ctx: HostTreeContext): Promise<TreeNode[]> {
    try {
      const { hosts, others } = await this.syncSubscription(inventory, parent.subscription);
      const otherVms = others.length ? [new OtherVmsNode(parent.subscription, others, parent)] : [];
      for (const [id, node] of [...this.hostNodes]) {
        if (node.subscription.subscriptionId === parent.subscription.subscriptionId) {
          this.hostNodes.delete(id);
        }
      }
      if (!hosts.length) {
        this.listedBySubscription.delete(parent.subscription.subscriptionId);
        const hint = others.length
          ? 'install Docker on one of the Other VMs, or provision one'
          : 'provision one, or mark an existing VM as a Docker host';
        return [new MessageNode(`${parent.id}/empty`, `No Docker hosts here yet: ${hint}.`, parent), ...otherVms];
      }
      const nodes = hosts.map(({ vm, address, session, awaitingCertificates }) => {
        const node = new AzureHostNode(vm, parent.subscription, address, session, ctx, parent, awaitingCertificates);
        if (session) {
          this.hostNodes.set(session.spec.id, node);
        }
        return node;
      });
      this.listedBySubscription.set(parent.subscription.subscriptionId, nodes);
      return [...nodes, ...otherVms];
    } catch (err) {
      if (isAzureSignInError(err)) {
        return [new SignInAgainNode(err.message)];
      }
      return [new MessageNode(`${parent.id}/error`, errorText(err), parent, { icon: 'warning' })];
    }
  }

  /** The Docker host VMs the view has listed, for commands that target any host. */
  listedHosts(): AzureHostNode[] {
    return [...this.listedBySubscription.values()].flat();
  }

  /** The catalog says a host changed: re-render its row, if this view shows it. */
  private rerender(hostId: string | undefined): void {
    if (hostId === undefined) {
      this.provider.refresh();
      return;
    }
    const node = this.hostNodes.get(hostId);
    if (node) {
      this.provider.refresh(node.session === this.catalog.get(hostId) ? node : this.subscriptionNodes.get(node.subscription.subscriptionId));
    }
  }

  /**
   * Re-list one subscription's VMs (after a lifecycle action, a mark or a deletion) and re-render
   * it. The catalog follows at once, even while the view is hidden and nothing re-renders.
   */
  refreshSubscription(subscriptionId: string): void {
    this.inventory?.invalidate(subscriptionId);
    const node = this.subscriptionNodes.get(subscriptionId);
    if (node && this.inventory) {
      void this.syncSubscription(this.inventory, node.subscription).catch(() => undefined);
    }
    this.provider.refresh(node);
  }

  refreshAll(): void {
    this.inventory?.invalidate();
    for (const node of this.hostNodes.values()) {
      node.session?.invalidate();
    }
    this.provider.refresh();
  }

  dispose(): void {
    this.catalog.setVisible(AZURE_HOSTS_VIEW_ID, false);
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
