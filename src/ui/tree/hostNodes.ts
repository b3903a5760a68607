import * as vscode from 'vscode';
import type { ContainerInfo } from 'dockerode';
import { DockerHostSession, HostSnapshot } from '../../core/docker/hostSession';
import type { DockerHostSpec } from '../../core/docker/hostSpec';
import {
  ComposeProject,
  composeProjectModel,
  containerModel,
  groupByComposeProject,
  imageModel,
  imageRows,
  ImageRow,
} from '../../core/docker/presentation';
import { describeDockerError } from '../../core/docker/errors';
import { ErrorNode } from './errorNode';
import { markdownCode, markdownText } from '../../core/markdown';
import { itemFromModel, MessageNode, tooltipMarkdown, TreeNode } from './treeNode';
import { contextValue } from '../../core/contextValue';

export interface HostTreeContext {
  /** Called when a host's nodes come on screen, so its changes are followed. */
  watch(hostId: string): void;
  showDanglingImages(): boolean;
  /** A marker for the host the Docker CLI currently uses, if any. */
  isCurrentContext(hostId: string): boolean;
}

const SOURCE_TEXT: Record<DockerHostSpec['source'], string> = {
  local: 'local engine',
  context: 'Docker CLI context',
  added: 'added by you',
  azure: 'Azure virtual machine',
};

export class HostNode implements TreeNode {
  readonly id: string;
  /** What this host's rows' ids start with. */
  readonly rowKey: string;

  constructor(
    readonly session: DockerHostSession,
    private readonly ctx: HostTreeContext,
    /** The row that stands for this host in the tree, when another one does (an Azure VM's). */
    private readonly row?: TreeNode,
    /**
     * Where the host's rows hang when it is shown a second time in the same view (under its swarm
     * node): their ids must differ from those under the host's own row.
     */
    scope?: string,
  ) {
    this.id = `host:${session.spec.id}`;
    this.rowKey = scope ? `${scope}/${session.spec.id}` : session.spec.id;
  }

  /** What this host's rows name as their parent, so VS Code can walk up to a row it shows. */
  get treeRow(): TreeNode {
    return this.row ?? this;
  }

  get hostId(): string {
    return this.session.spec.id;
  }

  getTreeItem(): vscode.TreeItem {
    const { spec, state } = this.session;
    const item = new vscode.TreeItem(spec.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    const counts =
      state.kind === 'loaded'
        ? `${state.snapshot.containers.filter((c) => c.State === 'running').length}/${state.snapshot.containers.length} running`
        : state.kind === 'failed'
          ? 'unreachable'
          : undefined;
    item.description = [spec.address, this.ctx.isCurrentContext(spec.id) ? 'current' : undefined, counts].filter(Boolean).join(' · ');
    item.tooltip = tooltipMarkdown(
      [
        `**${markdownText(spec.name)}**`,
        markdownText(spec.description ?? ''),
        `Address: ${markdownCode(spec.address)}`,
        spec.tls ? `TLS: ${spec.skipTlsVerify ? 'client certificate, server not verified' : 'mutual TLS'}` : '',
        `Source: ${SOURCE_TEXT[spec.source]}`,
      ]
        .filter(Boolean)
        .join('  \n'),
    );
    item.iconPath = new vscode.ThemeIcon(
      spec.source === 'local' ? 'vm' : 'remote',
      state.kind === 'failed' ? new vscode.ThemeColor('list.warningForeground') : undefined,
    );
    item.contextValue = contextValue('dockerHost', spec.source);
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    this.ctx.watch(this.hostId);
    try {
      await this.session.current();
    } catch (err) {
      return [new ErrorNode(this.hostId, describeDockerError(err, this.session.spec.name), this.treeRow, `${this.rowKey}/error`)];
    }
    return [new ContainersGroupNode(this), new ImagesGroupNode(this, this.ctx)];
  }

  /** The listing the children render; errors surface through the host's own error node. */
  async snapshot(): Promise<HostSnapshot | undefined> {
    try {
      return await this.session.current();
    } catch {
      return undefined;
    }
  }
}

export class ContainersGroupNode implements TreeNode {
  readonly id: string;

  readonly parent: TreeNode;

  constructor(readonly host: HostNode) {
    this.id = `${host.rowKey}/containers`;
    this.parent = host.treeRow;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Containers', vscode.TreeItemCollapsibleState.Expanded);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('layers');
    item.contextValue = contextValue('dockerContainers');
    const state = this.host.session.state;
    if (state.kind === 'loaded') {
      const running = state.snapshot.containers.filter((c) => c.State === 'running').length;
      item.description = `${running} running · ${state.snapshot.containers.length} total`;
    }
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const snapshot = await this.host.snapshot();
    if (!snapshot) {
      return [];
    }
    if (!snapshot.containers.length) {
      return [new MessageNode(`${this.id}/empty`, 'No containers', this)];
    }
    const { projects, loose } = groupByComposeProject(snapshot.containers);
    return [...projects.map((p) => new ComposeProjectNode(this.host, p, this)), ...loose.map((c) => new ContainerNode(this.host, c, this))];
  }
}

/** A Compose project's containers, together, with Compose Down on the row. */
export class ComposeProjectNode implements TreeNode {
  readonly id: string;

  constructor(
    readonly host: HostNode,
    readonly project: ComposeProject<ContainerInfo>,
    readonly parent: TreeNode,
  ) {
    this.id = composeProjectModel(host.rowKey, project).id;
  }

  get session(): DockerHostSession {
    return this.host.session;
  }

  getTreeItem(): vscode.TreeItem {
    return itemFromModel(composeProjectModel(this.host.rowKey, this.project), vscode.TreeItemCollapsibleState.Expanded);
  }

  async getChildren(): Promise<TreeNode[]> {
    return this.project.containers.map((c) => new ContainerNode(this.host, c, this));
  }
}

export class ContainerNode implements TreeNode {
  readonly id: string;

  constructor(
    readonly host: HostNode,
    readonly info: ContainerInfo,
    readonly parent: TreeNode,
  ) {
    this.id = `${host.rowKey}/containers/${info.Id}`;
  }

  get session(): DockerHostSession {
    return this.host.session;
  }

  getTreeItem(): vscode.TreeItem {
    return itemFromModel(containerModel(this.host.rowKey, this.info));
  }
}

export class ImagesGroupNode implements TreeNode {
  readonly id: string;

  readonly parent: TreeNode;

  constructor(
    readonly host: HostNode,
    private readonly ctx: HostTreeContext,
  ) {
    this.id = `${host.rowKey}/images`;
    this.parent = host.treeRow;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem('Images', vscode.TreeItemCollapsibleState.Collapsed);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('package');
    item.contextValue = contextValue('dockerImages');
    const state = this.host.session.state;
    if (state.kind === 'loaded') {
      item.description = `${imageRows(state.snapshot.images, this.ctx.showDanglingImages()).length}`;
    }
    return item;
  }

  async getChildren(): Promise<TreeNode[]> {
    const snapshot = await this.host.snapshot();
    if (!snapshot) {
      return [];
    }
    const rows = imageRows(snapshot.images, this.ctx.showDanglingImages());
    if (!rows.length) {
      return [new MessageNode(`${this.id}/empty`, 'No images', this)];
    }
    const now = Date.now();
    return rows.map((row) => new ImageNode(this.host, row, now, this));
  }
}

export class ImageNode implements TreeNode {
  readonly id: string;

  constructor(
    readonly host: HostNode,
    readonly row: ImageRow,
    private readonly now: number,
    readonly parent: TreeNode,
  ) {
    this.id = `${host.rowKey}/images/${row.image.Id}/${row.reference}`;
  }

  get session(): DockerHostSession {
    return this.host.session;
  }

  getTreeItem(): vscode.TreeItem {
    return itemFromModel(imageModel(this.host.rowKey, this.row, this.now));
  }
}
