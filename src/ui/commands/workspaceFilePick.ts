import * as vscode from 'vscode';
import * as path from 'path';

/**
 * The file a command acts on: the one it was invoked on (explorer or editor menu), else the active
 * editor's if it is the right kind, else the workspace's only such file, else the user's pick.
 */
export async function resolveWorkspaceFile(
  arg: unknown,
  kind: { glob: string; accepts: (fileName: string) => boolean; title: string },
): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) {
    return arg;
  }
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && kind.accepts(path.basename(active.fsPath))) {
    return active;
  }
  const found = (await vscode.workspace.findFiles(kind.glob, '**/node_modules/**', 50)).filter((f) => kind.accepts(path.basename(f.fsPath)));
  if (found.length <= 1) {
    return found[0];
  }
  const picked = await vscode.window.showQuickPick(
    found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: kind.title },
  );
  return picked?.uri;
}
