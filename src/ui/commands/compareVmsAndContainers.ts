import { compareHostKey } from '../webview/compareHosts';
import type { CommandDeps, CommandHandler } from './commandDeps';

/** From a host's context menu the page measures that host; from the palette or a title bar, the last one or the first. */
export function compareVmsAndContainers(deps: CommandDeps): CommandHandler {
  return (node) => deps.compare.show(compareHostKey(node));
}
