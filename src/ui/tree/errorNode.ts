import * as vscode from 'vscode';
import { DockerHostError, isUnknownHostKeyError, UnknownHostKeyError } from '../../core/docker/errors';
import { markdownCode, markdownText } from '../../core/markdown';
import { tooltipMarkdown, type TreeNode } from './treeNode';
import { contextValue } from '../../core/contextValue';

/**
 * The one child an unreachable host shows: the reason, and a click that retries. Errors belong
 * here rather than in a dialog, so one bad host never interrupts the rest of the tree.
 */
export class ErrorNode implements TreeNode {
  readonly id: string;

  constructor(
    readonly hostId: string,
    readonly error: DockerHostError,
    readonly parent?: TreeNode,
  ) {
    this.id = `${hostId}/error`;
  }

  get unknownHostKey(): UnknownHostKeyError | undefined {
    return isUnknownHostKeyError(this.error) ? this.error : undefined;
  }

  getTreeItem(): vscode.TreeItem {
    const item = new vscode.TreeItem(this.error.message);
    item.id = this.id;
    item.iconPath = new vscode.ThemeIcon('warning', new vscode.ThemeColor('list.warningForeground'));
    const { message, detail } = this.error;
    // Messages quote what the daemon or the network said, so they are text like any daemon string.
    item.tooltip = tooltipMarkdown(
      `${markdownText(message)}\n\n${detail && detail !== message ? `Details: ${markdownCode(detail)}\n\n` : ''}Click to retry.`,
    );
    item.contextValue = contextValue('dockerHostError', !!this.unknownHostKey && 'unknownHostKey');
    item.command = this.unknownHostKey
      ? { command: 'dockerOnAzure.trustHostKey', title: 'Trust Host Key', arguments: [this] }
      : { command: 'dockerOnAzure.retryHost', title: 'Retry', arguments: [this] };
    return item;
  }
}
