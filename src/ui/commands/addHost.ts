import * as vscode from 'vscode';
import { HostAddressError, parseHostAddress, formatHostAddress } from '../../core/docker/hostAddress';
import type { TlsFiles } from '../../core/docker/hostSpec';
import { pickSshKey, pickTlsFolder } from './connectionPrompts';
import type { CommandDeps, CommandHandler } from './commandDeps';

function validate(value: string): string | undefined {
  try {
    parseHostAddress(value);
    return undefined;
  } catch (err) {
    return err instanceof HostAddressError ? err.message : String(err);
  }
}

async function pickFile(title: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    openLabel: 'Use This File',
    filters: { 'PEM files': ['pem', 'crt', 'key'], 'All files': ['*'] },
  });
  return picked?.[0]?.fsPath;
}

async function askTls(): Promise<TlsFiles | undefined | 'none'> {
  const choice = await vscode.window.showQuickPick(
    [
      { label: 'Mutual TLS: choose a folder', detail: 'A folder with ca.pem, cert.pem and key.pem, as docker --tlsverify uses', id: 'folder' },
      { label: 'Mutual TLS: choose each file', detail: 'CA certificate, client certificate and client key', id: 'files' },
      { label: 'No TLS', detail: 'Unencrypted and unauthenticated: anyone who reaches the port controls the host', id: 'none' },
    ],
    { title: 'How is the daemon secured?', ignoreFocusOut: true },
  );
  if (!choice) {
    return undefined;
  }
  if (choice.id === 'none') {
    return 'none';
  }
  if (choice.id === 'folder') {
    return pickTlsFolder();
  }
  const ca = await pickFile('CA certificate (ca.pem)');
  const cert = ca && (await pickFile('Client certificate (cert.pem)'));
  const key = cert && (await pickFile('Client key (key.pem)'));
  return ca && cert && key ? { ca, cert, key } : undefined;
}

/** Adds a host by address: ssh://user@host[:port] or tcp://host:port (with mutual TLS). */
export function addHost(deps: CommandDeps): CommandHandler {
  return async () => {
    const address = await vscode.window.showInputBox({
      title: 'Add Docker Host',
      prompt: 'ssh://user@host[:port], tcp://host:port (mutual TLS) or unix:///path/to/docker.sock',
      placeHolder: 'ssh://azureuser@myhost.westeurope.cloudapp.azure.com',
      ignoreFocusOut: true,
      validateInput: validate,
    });
    if (!address) {
      return;
    }
    const parsed = parseHostAddress(address);
    let tls: TlsFiles | undefined;
    let identityFile: string | undefined;
    if (parsed.kind === 'tcp') {
      const answer = await askTls();
      if (!answer) {
        return;
      }
      tls = answer === 'none' ? undefined : answer;
    } else if (parsed.kind === 'ssh') {
      const key = await pickSshKey(deps.connectionEnv().homeDir);
      if (key === undefined) {
        return;
      }
      identityFile = key ?? undefined;
    }
    const defaultName = parsed.kind === 'ssh' || parsed.kind === 'tcp' ? parsed.host : formatHostAddress(parsed);
    const name = await vscode.window.showInputBox({ title: 'Name shown in the tree', value: defaultName, ignoreFocusOut: true });
    if (name === undefined) {
      return;
    }
    await deps.addedHosts.add({ name: name.trim() || defaultName, address: formatHostAddress(parsed), tls, identityFile });
    deps.otherHosts.refreshAll();
  };
}
