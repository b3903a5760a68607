import * as vscode from 'vscode';
import type { TreeNode } from './treeNode';

/**
 * A thin provider: nodes render themselves; this only delegates and fires change events for the
 * node that changed. Roots come from a function so each view decides what it lists.
 */
export class DockerHostsTreeProvider implements vscode.TreeDataProvider<TreeNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<TreeNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private roots: TreeNode[] = [];

  constructor(private readonly loadRoots: () => Promise<TreeNode[]>) {}

  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  async getChildren(node?: TreeNode): Promise<TreeNode[]> {
    if (!node) {
      this.roots = await this.loadRoots();
      return this.roots;
    }
    return node.getChildren ? node.getChildren() : [];
  }

  getParent(node: TreeNode): TreeNode | undefined {
    return node.parent;
  }

  /** The root nodes last shown, so a host's node can be found to refresh it alone. */
  currentRoots(): readonly TreeNode[] {
    return this.roots;
  }

  refresh(node?: TreeNode): void {
    this.changed.fire(node);
  }

  dispose(): void {
    this.changed.dispose();
  }
}
