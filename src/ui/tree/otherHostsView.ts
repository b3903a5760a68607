import * as vscode from 'vscode';
import type { DockerHostSession } from '../../core/docker/hostSession';
import type { HostCatalog } from '../../core/hosts/hostCatalog';
import type { OtherHostsSource } from '../hosts/otherHostsSource';
import { DockerHostsTreeProvider } from './dockerHostsTreeProvider';
import { HostNode, HostTreeContext } from './hostNodes';
import { SwarmsGroupNode } from './swarmNodes';
import { MessageNode, TreeNode } from './treeNode';

export const OTHER_HOSTS_VIEW_ID = 'dockerOnAzure.otherHosts';

/**
 * The "Other Docker Hosts" view: the catalog's local engine, CLI contexts and hosts added by
 * address. It re-renders a host when the catalog says that host changed.
 */
export class OtherHostsView implements vscode.Disposable {
  readonly provider: DockerHostsTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  private readonly hostNodes = new Map<DockerHostSession, HostNode>();
  /** Swarms span hosts of every source, so they have one group of their own rather than a place under a host. */
  private readonly swarms: SwarmsGroupNode;
  private currentContext: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly catalog: HostCatalog,
    source: OtherHostsSource,
    showDanglingImages: () => boolean,
  ) {
    const treeContext: HostTreeContext = {
      watch: (hostId) => catalog.watch(hostId),
      showDanglingImages,
      isCurrentContext: (hostId) => !!this.currentContext && hostId === `context:${this.currentContext}`,
    };
    this.swarms = new SwarmsGroupNode(catalog, treeContext);
    this.provider = new DockerHostsTreeProvider(async () => {
      const listing = await source.load();
      this.currentContext = listing.currentContext;
      const live = new Set(listing.sessions);
      for (const session of [...this.hostNodes.keys()]) {
        if (!live.has(session)) {
          this.hostNodes.delete(session);
        }
      }
      const hosts = listing.sessions.map((session) => {
        let node = this.hostNodes.get(session);
        if (!node) {
          node = new HostNode(session, treeContext);
          this.hostNodes.set(session, node);
        }
        return node;
      });
      const problems = listing.problems.map((p) => new MessageNode(`problem:${p.location}`, p.message, undefined, { icon: 'warning' }));
      return [...hosts, ...problems, this.swarms];
    });
    this.treeView = vscode.window.createTreeView(OTHER_HOSTS_VIEW_ID, {
      treeDataProvider: this.provider,
      canSelectMany: true,
      showCollapseAll: true,
    });
    this.disposables.push(
      this.treeView,
      this.provider,
      this.treeView.onDidChangeVisibility((e) => catalog.setVisible(OTHER_HOSTS_VIEW_ID, e.visible)),
      catalog.onDidChange((hostId) => this.rerender(hostId)),
    );
    catalog.setVisible(OTHER_HOSTS_VIEW_ID, this.treeView.visible);
  }

  private rerender(hostId: string | undefined): void {
    if (hostId === undefined) {
      this.provider.refresh();
      return;
    }
    const swarm = this.swarms.swarmOf(hostId);
    if (swarm) {
      swarm.invalidate();
      this.provider.refresh(swarm);
    }
    const node = [...this.hostNodes.values()].find((n) => n.hostId === hostId);
    if (node) {
      // A session the catalog replaced (a setting changed) needs a new row; the root list makes it.
      this.provider.refresh(node.session === this.catalog.get(hostId) ? node : undefined);
    }
  }

  /** Find and read the swarms again, after a swarm was made or changed. */
  refreshSwarms(): void {
    this.provider.refresh(this.swarms);
  }

  /** Re-read the host list (contexts, added hosts) and every host. */
  refreshAll(): void {
    for (const node of this.hostNodes.values()) {
      node.session.invalidate();
    }
    this.provider.refresh();
  }

  dispose(): void {
    this.catalog.setVisible(OTHER_HOSTS_VIEW_ID, false);
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
