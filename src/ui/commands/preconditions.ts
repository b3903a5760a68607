import * as vscode from 'vscode';
import type { CommandDeps, CommandHandler } from './commandDeps';

type Factory = (deps: CommandDeps) => CommandHandler;

const MANAGE = 'Manage Workspace Trust';

/**
 * For commands that build or run the workspace's code: in Restricted Mode they stop before asking
 * anything, say why, and offer VS Code's trust editor. Declared where commands are registered, so
 * no handler can forget the check.
 */
export function needsTrustedWorkspace(action: string, factory: Factory): Factory {
  return (deps) => {
    const handler = factory(deps);
    return async (node, nodes) => {
      if (vscode.workspace.isTrusted) {
        return handler(node, nodes);
      }
      const choice = await vscode.window.showWarningMessage(
        `${action} builds and runs this workspace's code, so it needs a trusted workspace.`,
        MANAGE,
      );
      if (choice === MANAGE) {
        await vscode.commands.executeCommand('workbench.trust.manage');
      }
      return undefined;
    };
  };
}
