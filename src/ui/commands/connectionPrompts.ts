import * as vscode from 'vscode';
import type { TlsFiles } from '../../core/docker/hostSpec';
import { tlsFilesInFolder } from '../../core/docker/tlsFolder';

/** A folder in the Docker CLI's certificate layout; undefined when cancelled or incomplete (said why). */
export async function pickTlsFolder(): Promise<TlsFiles | undefined> {
  const folder = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    title: 'Folder with ca.pem, cert.pem and key.pem',
  });
  if (!folder?.[0]) {
    return undefined;
  }
  const found = await tlsFilesInFolder(folder[0].fsPath);
  if (!found.ok) {
    void vscode.window.showErrorMessage(found.message);
    return undefined;
  }
  return found.files;
}

/**
 * How to sign in over SSH: `null` for ssh-agent and the default keys, a path for a chosen key file,
 * undefined when cancelled.
 */
export async function pickSshKey(homeDir: string): Promise<string | null | undefined> {
  const choice = await vscode.window.showQuickPick(
    [
      {
        label: 'ssh-agent and my default keys',
        detail: '~/.ssh/id_ed25519, id_ecdsa, id_rsa; host key checked against ~/.ssh/known_hosts',
        id: 'default',
      },
      { label: 'Choose a private key file…', id: 'file' },
    ],
    { title: 'Sign in with', ignoreFocusOut: true },
  );
  if (!choice) {
    return undefined;
  }
  if (choice.id === 'default') {
    return null;
  }
  const picked = await vscode.window.showOpenDialog({
    title: 'SSH private key',
    canSelectMany: false,
    defaultUri: vscode.Uri.file(`${homeDir}/.ssh`),
  });
  return picked?.[0]?.fsPath;
}
