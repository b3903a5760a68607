import * as vscode from 'vscode';
import { RefreshScheduler, RefreshOptions } from '../../core/docker/refreshScheduler';
import { DockerHostSession } from '../../core/docker/hostSession';
import { HostRegistry } from '../hosts/hostRegistry';
import { DockerHostsTreeProvider } from './dockerHostsTreeProvider';
import { HostNode, HostTreeContext } from './hostNodes';
import { MessageNode, TreeNode } from './treeNode';

export const OTHER_HOSTS_VIEW_ID = 'dockerOnAzure.otherHosts';

/**
 * The "Other Docker Hosts" view: local engine, CLI contexts and hosts added by address, kept
 * current by the refresh scheduler while the view is visible.
 */
export class OtherHostsView implements vscode.Disposable {
  readonly provider: DockerHostsTreeProvider;
  readonly treeView: vscode.TreeView<TreeNode>;
  readonly scheduler: RefreshScheduler;
  private readonly hostNodes = new Map<DockerHostSession, HostNode>();
  private currentContext: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    readonly registry: HostRegistry,
    showDanglingImages: () => boolean,
    refreshOptions: RefreshOptions,
  ) {
    const treeContext: HostTreeContext = {
      watch: (hostId) => this.scheduler.watch(hostId),
      showDanglingImages,
      isCurrentContext: (hostId) => !!this.currentContext && hostId === `context:${this.currentContext}`,
    };
    this.provider = new DockerHostsTreeProvider(async () => {
      const list = await registry.list();
      this.currentContext = list.currentContext;
      const live = new Set(list.sessions);
      for (const [session] of this.hostNodes) {
        if (!live.has(session)) {
          this.hostNodes.delete(session);
          this.scheduler.unwatch(session.spec.id);
        }
      }
      const hosts = list.sessions.map((session) => {
        let node = this.hostNodes.get(session);
        if (!node) {
          node = new HostNode(session, treeContext);
          this.hostNodes.set(session, node);
        }
        return node;
      });
      const problems = list.problems.map((p) => new MessageNode(`problem:${p.location}`, p.message, undefined, 'warning'));
      return [...hosts, ...problems];
    });
    this.scheduler = new RefreshScheduler(
      {
        refresh: (hostId) => this.refreshHost(hostId),
        subscribe: async (hostId, onChange, onEnd) => {
          const session = registry.get(hostId);
          if (!session) {
            throw new Error(`Host ${hostId} is gone.`);
          }
          return session.watchEvents(onChange, onEnd);
        },
      },
      refreshOptions,
    );
    this.treeView = vscode.window.createTreeView(OTHER_HOSTS_VIEW_ID, {
      treeDataProvider: this.provider,
      canSelectMany: true,
      showCollapseAll: true,
    });
    this.disposables.push(
      this.treeView,
      this.provider,
      this.treeView.onDidChangeVisibility((e) => this.scheduler.setVisible(e.visible)),
    );
    this.scheduler.setVisible(this.treeView.visible);
  }

  hostNode(hostId: string): HostNode | undefined {
    return [...this.hostNodes.values()].find((n) => n.hostId === hostId);
  }

  /** Re-read one host and re-render just its subtree. */
  refreshHost(hostId: string): void {
    const node = this.hostNode(hostId);
    if (node) {
      node.session.invalidate();
      this.provider.refresh(node);
    }
  }

  /** Re-read the host list (contexts, added hosts) and every host. */
  refreshAll(): void {
    for (const node of this.hostNodes.values()) {
      node.session.invalidate();
    }
    this.provider.refresh();
  }

  dispose(): void {
    this.scheduler.dispose();
    for (const d of this.disposables) {
      d.dispose();
    }
  }
}
