import { DockerHostError, isUnknownHostKeyError, UnknownHostKeyError } from '../../core/docker/errors';
import { markdownCode, markdownText } from '../../core/markdown';
import { MessageNode, tooltipMarkdown, type TreeNode } from './treeNode';

/**
 * The one child an unreachable host shows: the reason, and a click that retries (or, for a new SSH
 * host key, trusts it). Errors belong here rather than in a dialog, so one bad host never
 * interrupts the rest of the tree.
 */
export class ErrorNode extends MessageNode {
  constructor(
    readonly hostId: string,
    readonly error: DockerHostError,
    parent?: TreeNode,
    id = `${hostId}/error`,
  ) {
    const unknownKey = isUnknownHostKeyError(error);
    const { message, detail } = error;
    super(id, message, parent, {
      icon: 'warning',
      iconColor: 'list.warningForeground',
      // Messages quote what the daemon or the network said, so they are text like any daemon string.
      tooltip: tooltipMarkdown(
        `${markdownText(message)}\n\n${detail && detail !== message ? `Details: ${markdownCode(detail)}\n\n` : ''}Click to retry.`,
      ),
      flags: ['dockerHostError', unknownKey && 'unknownHostKey'],
      command: unknownKey
        ? { command: 'dockerOnAzure.trustHostKey', title: 'Trust Host Key' }
        : { command: 'dockerOnAzure.retryHost', title: 'Retry' },
    });
  }

  get unknownHostKey(): UnknownHostKeyError | undefined {
    return isUnknownHostKeyError(this.error) ? this.error : undefined;
  }
}
