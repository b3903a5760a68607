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

export interface MessageRow {
  /** A codicon name; `info` unless given. */
  icon?: string;
  iconColor?: string;
  tooltip?: vscode.MarkdownString;
  /** What a click runs: the row's own action (Retry, Trust Host Key); given the row unless it names arguments. */
  command?: vscode.Command;
  /** Context-value flags besides `dockerMessage`, for the row's menus. */
  flags?: (string | false | undefined)[];
}

/**
 * The one row type for messages and actions ("No containers", an error with Retry): rows that
 * stand for nothing on a host. Rows with more to carry (ErrorNode) extend it rather than render
 * themselves.
 */
export class MessageNode implements TreeNode {
  constructor(
    readonly id: string,
    readonly message: string,
    readonly parent?: TreeNode,
    private readonly row: MessageRow = {},
  ) {}

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.message);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon(this.row.icon ?? 'info', this.row.iconColor ? new vscode.ThemeColor(this.row.iconColor) : undefined);
    item.tooltip = this.row.tooltip;
    item.command = this.row.command && { ...this.row.command, arguments: this.row.command.arguments ?? [this] };
    item.contextValue = contextValue('dockerMessage', ...(this.row.flags ?? []));
    return item;
  }
}
