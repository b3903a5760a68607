import * as vscode from 'vscode';
import type { NodeModel } from '../../core/docker/presentation';
import { contextValue } from '../../core/contextValue';

/** Nodes render themselves; providers only delegate (the Azure Resource Groups pattern). */
export interface TreeNode {
  readonly id: string;
  readonly parent?: TreeNode;
  getTreeItem(): vscode.TreeItem;
  getChildren?(): Promise<TreeNode[]>;
}

/**
 * Every tooltip carries what daemons, contexts or Azure reported, so none may run commands, render
 * HTML or theme icons, whatever VS Code's defaults become. Their strings go through
 * `markdownText` / `markdownCode` (src/core/markdown.ts) first.
 */
export function tooltipMarkdown(value: string): vscode.MarkdownString {
  const tooltip = new vscode.MarkdownString(value, false);
  tooltip.isTrusted = false;
  tooltip.supportHtml = false;
  return tooltip;
}

export function itemFromModel(model: NodeModel, collapsible = vscode.TreeItemCollapsibleState.None): vscode.TreeItem {
  const item = new vscode.TreeItem(model.label, collapsible);
  item.id = model.id;
  item.description = model.description;
  if (model.tooltip) {
    item.tooltip = tooltipMarkdown(model.tooltip);
  }
  item.iconPath = new vscode.ThemeIcon(model.icon, model.iconColor ? new vscode.ThemeColor(model.iconColor) : undefined);
  item.contextValue = model.contextValue;
  return item;
}

/** A plain informational row ("No containers"). */
export class MessageNode implements TreeNode {
  constructor(
    readonly id: string,
    private readonly message: string,
    readonly parent?: TreeNode,
    private readonly icon = 'info',
  ) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.message);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.icon);
    item.contextValue = contextValue('dockerMessage');
    return item;
  }
}
