import * as vscode from 'vscode';
import type Dockerode from 'dockerode';
import { contextValue } from '../../core/contextValue';
import { errorText } from '../../core/docker/errors';
import type { DockerHostSession } from '../../core/docker/hostSession';
import type { HostCatalog } from '../../core/hosts/hostCatalog';
import { readSwarm } from '../../core/swarm/swarmApi';
import { discoverSwarms, type DiscoveredSwarm } from '../../core/swarm/swarmDiscovery';
import { groupStacks, tasksOf, type SwarmNode, type SwarmService, type SwarmSnapshot, type SwarmStack } from '../../core/swarm/swarmModel';
import { swarmNodeModel, swarmServiceModel, swarmStackModel, swarmTaskModel } from '../../core/swarm/swarmPresentation';
import { HostNode, type HostTreeContext } from './hostNodes';
import { itemFromModel, MessageNode, type TreeNode } from './treeNode';

export const CREATE_SWARM_COMMAND = 'dockerOnAzure.swarm.create';

/** Every swarm that the catalog's hosts belong to, found anew each time the group is expanded or refreshed. */
export class SwarmsGroupNode implements TreeNode {
  readonly id = 'swarms';

  private shown: SwarmTreeNode[] = [];

  constructor(
    private readonly catalog: HostCatalog,
    private readonly ctx: HostTreeContext,
  ) {}

  /** The swarm row last shown that has `hostId` among its nodes, so a change there re-renders it alone. */
  swarmOf(hostId: string): SwarmTreeNode | undefined {
    return this.shown.find((s) => [...s.swarm.managers, ...s.swarm.workers].some((m) => m.session.spec.id === hostId));
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Swarms', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('type-hierarchy');
    item.contextValue = contextValue('swarmsGroup');
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const swarms = await discoverSwarms(this.catalog.list());
    if (!swarms.length) {
      return [
        new MessageNode(`${this.id}/none`, 'Create Swarm from Hosts…', this, {
          icon: 'add',
          command: { command: CREATE_SWARM_COMMAND, title: 'Create Swarm from Hosts…' },
        }),
      ];
    }
    this.shown = swarms.map((s) => new SwarmTreeNode(s, this, this.ctx));
    return this.shown;
  }
}

/**
 * One swarm, read once through its first answering manager for all of its rows: the groups below
 * share that one read (three API calls), however many services and tasks it has.
 */
export class SwarmTreeNode implements TreeNode {
  readonly id: string;
  private reading: Promise<SwarmSnapshot> | undefined;

  constructor(
    readonly swarm: DiscoveredSwarm,
    readonly parent: TreeNode,
    readonly ctx: HostTreeContext,
  ) {
    this.id = `swarm:${swarm.id}`;
  }

  /** The next render reads the swarm again. */
  invalidate(): void {
    this.reading = undefined;
  }

  get name(): string {
    const first = this.swarm.managers[0] ?? this.swarm.workers[0];
    return first ? first.session.spec.name : this.swarm.id.slice(0, 12);
  }

  /** A manager's engine, where swarm changes are made. */
  docker(): Dockerode {
    const manager = this.swarm.managers[0];
    if (!manager) {
      throw new Error(`None of your hosts is a manager of the swarm of ${this.name}: add a manager host to change it.`);
    }
    return manager.session.connect().docker;
  }

  snapshot(): Promise<SwarmSnapshot> {
    this.reading ??= this.read();
    return this.reading;
  }

  private async read(): Promise<SwarmSnapshot> {
    let lastError: unknown;
    for (const manager of this.swarm.managers) {
      try {
        return await readSwarm(manager.session.connect().docker, this.swarm.id);
      } catch (err) {
        lastError = err;
      }
    }
    throw lastError ?? new Error('no manager');
  }

  /** The name Create Swarm on Azure gave the swarm, when one of its managers here is a VM it made. */
  get onAzure(): string | undefined {
    return this.swarm.managers.map((m) => m.session.spec.swarmOnAzure).find(Boolean);
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(`${this.name} swarm`, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const hosts = this.swarm.managers.length + this.swarm.workers.length;
    item.description = `${hosts} of your host${hosts === 1 ? '' : 's'} · ${this.swarm.id.slice(0, 12)}`;
    item.iconPath = new vscode.ThemeIcon('type-hierarchy-sub');
    item.contextValue = contextValue('swarm', this.swarm.managers.length > 0 && 'managed', !!this.onAzure && 'azureSwarm');
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    // Managers report service and node changes, every node its tasks' containers: follow them all
    // while the rows are on screen, under the catalog's one refresh policy.
    for (const member of [...this.swarm.managers, ...this.swarm.workers]) {
      this.ctx.watch(member.session.spec.id);
    }
    if (!this.swarm.managers.length) {
      return [
        new MessageNode(`${this.id}/workers-only`, 'Only workers of this swarm are among your hosts: add a manager host to see it.', this, {
          icon: 'warning',
        }),
      ];
    }
    try {
      await this.snapshot();
    } catch (err) {
      return [
        new MessageNode(`${this.id}/error`, errorText(err), this, {
          icon: 'warning',
          iconColor: 'list.warningForeground',
          command: { command: 'dockerOnAzure.refresh', title: 'Retry' },
        }),
      ];
    }
    return [new SwarmSectionNode(this, 'nodes'), new SwarmSectionNode(this, 'services'), new SwarmSectionNode(this, 'stacks')];
  }
}

const SECTIONS = {
  nodes: { label: 'Nodes', icon: 'server' },
  services: { label: 'Services', icon: 'symbol-namespace' },
  stacks: { label: 'Stacks', icon: 'layers' },
};

export class SwarmSectionNode implements TreeNode {
  readonly id: string;

  constructor(
    readonly parent: SwarmTreeNode,
    private readonly section: keyof typeof SECTIONS,
  ) {
    this.id = `${parent.id}/${section}`;
  }

  getTreeItem(): vscode.TreeItem {
    const { label, icon } = SECTIONS[this.section];
    const item = new vscode.TreeItem(
      label,
      this.section === 'stacks' ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.Expanded,
    );
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(icon);
    item.contextValue = contextValue('swarmSection', this.section);
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const snapshot = await this.parent.snapshot();
    const swarm = this.parent;
    if (this.section === 'nodes') {
      const hosts = new Map([...swarm.swarm.managers, ...swarm.swarm.workers].map((m) => [m.nodeId, m.session]));
      return snapshot.nodes.map((n) => new SwarmNodeRow(swarm, n, this, hosts.get(n.id)));
    }
    if (this.section === 'services') {
      return snapshot.services.length
        ? snapshot.services.map((s) => new SwarmServiceRow(swarm, s, this))
        : [new MessageNode(`${this.id}/empty`, 'No services', this)];
    }
    const stacks = groupStacks(snapshot.services);
    return stacks.length ? stacks.map((s) => new SwarmStackRow(swarm, s, this)) : [new MessageNode(`${this.id}/empty`, 'No stacks', this)];
  }
}

/** A node; one that is among the user's hosts expands as that host does (containers, images). */
export class SwarmNodeRow implements TreeNode {
  readonly id: string;

  constructor(
    readonly swarm: SwarmTreeNode,
    readonly node: SwarmNode,
    readonly parent: TreeNode,
    readonly host?: DockerHostSession,
  ) {
    this.id = swarmNodeModel(swarm.swarm.id, node).id;
  }

  getTreeItem(): vscode.TreeItem {
    return itemFromModel(
      swarmNodeModel(this.swarm.swarm.id, this.node, this.host?.spec.name),
      this.host ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
  }

  async getChildren(): Promise<TreeNode[]> {
    return this.host ? new HostNode(this.host, this.swarm.ctx, this, this.id).getChildren() : [];
  }
}

export class SwarmServiceRow implements TreeNode {
  readonly id: string;

  constructor(
    readonly swarm: SwarmTreeNode,
    readonly service: SwarmService,
    readonly parent: TreeNode,
  ) {
    this.id = swarmServiceModel(swarm.swarm.id, service, parent.id).id;
  }

  getTreeItem(): vscode.TreeItem {
    return itemFromModel(swarmServiceModel(this.swarm.swarm.id, this.service, this.parent.id), vscode.TreeItemCollapsibleState.Collapsed);
  }

  async getChildren(): Promise<TreeNode[]> {
    const snapshot = await this.swarm.snapshot();
    const names = new Map(snapshot.nodes.map((n) => [n.id, n.hostname]));
    const tasks = tasksOf(snapshot, this.service.id);
    if (!tasks.length) {
      return [new MessageNode(`${this.id}/empty`, 'No tasks', this)];
    }
    return tasks.map((t) => {
      const model = swarmTaskModel(this.id, this.service.name, t, names.get(t.nodeId));
      return { id: model.id, parent: this, getTreeItem: () => itemFromModel(model) };
    });
  }
}

export class SwarmStackRow implements TreeNode {
  readonly id: string;

  constructor(
    readonly swarm: SwarmTreeNode,
    readonly stack: SwarmStack,
    readonly parent: TreeNode,
  ) {
    this.id = swarmStackModel(swarm.swarm.id, stack).id;
  }

  getTreeItem(): vscode.TreeItem {
    return itemFromModel(swarmStackModel(this.swarm.swarm.id, this.stack), vscode.TreeItemCollapsibleState.Collapsed);
  }

  async getChildren(): Promise<TreeNode[]> {
    return this.stack.services.map((s) => new SwarmServiceRow(this.swarm, s, this));
  }
}
