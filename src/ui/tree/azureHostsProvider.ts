import * as vscode from 'vscode';
import type { TreeNode } from './treeNode';

export const AZURE_HOSTS_VIEW_ID = 'dockerOnAzure.azureHosts';

/** Empty until Azure sign-in lands; the view's welcome content says what will appear. */
export class AzureHostsProvider implements vscode.TreeDataProvider<TreeNode> {
  getTreeItem(node: TreeNode): vscode.TreeItem {
    return node.getTreeItem();
  }

  getChildren(): TreeNode[] {
    return [];
  }
}
