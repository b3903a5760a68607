import * as vscode from 'vscode';
import { appendKnownHost } from '../../core/docker/knownHosts';
import { ErrorNode } from '../tree/errorNode';
import { HostNode } from '../tree/hostNodes';
import { AzureHostNode } from '../tree/azureNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';

export function refreshAll(deps: CommandDeps): CommandHandler {
  return () => deps.otherHosts.refreshAll();
}

/** Refresh from a host's context menu, or retry from its error node. */
export function refreshHost(deps: CommandDeps): CommandHandler {
  return (node) => {
    const hostId = node instanceof HostNode || node instanceof ErrorNode || node instanceof AzureHostNode ? node.hostId : undefined;
    if (hostId) {
      deps.hosts.refresh(hostId);
    } else {
      deps.otherHosts.refreshAll();
    }
  };
}

export function removeHost(deps: CommandDeps): CommandHandler {
  return async (node) => {
    let hostId: string | undefined;
    let name: string | undefined;
    if (node instanceof HostNode && node.session.spec.source === 'added') {
      hostId = node.hostId;
      name = node.session.spec.name;
    } else if (node === undefined) {
      const picked = await vscode.window.showQuickPick(
        deps.addedHosts.list().map((h) => ({ label: h.name, description: h.address, id: h.id })),
        { placeHolder: 'Which added host should be removed from the list?' },
      );
      hostId = picked?.id;
      name = picked?.label;
    }
    if (!hostId) {
      return;
    }
    const answer = await vscode.window.showWarningMessage(
      `Remove "${name}" from Other Docker Hosts?`,
      { modal: true, detail: 'Only the entry in this list is removed; the host and its containers are not touched.' },
      'Remove',
    );
    if (answer === 'Remove') {
      await deps.addedHosts.remove(hostId);
      deps.otherHosts.refreshAll();
    }
  };
}

export function trustHostKey(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const problem = node instanceof ErrorNode ? node.unknownHostKey : undefined;
    if (!problem || !(node instanceof ErrorNode)) {
      return;
    }
    const answer = await vscode.window.showWarningMessage(
      `Trust the SSH host key of ${problem.host}?`,
      {
        modal: true,
        detail:
          `${problem.keyType} ${problem.fingerprint}\n\n` +
          `Trust it only if it matches the fingerprint the host itself shows (for example, ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on the host, or the VM's boot diagnostics). ` +
          `The key will be added to ${problem.knownHostsFile}.`,
      },
      'Trust and Connect',
    );
    if (answer !== 'Trust and Connect') {
      return;
    }
    await appendKnownHost(problem.knownHostsFile, problem.knownHostsLine);
    deps.hosts.reconnect(node.hostId);
  };
}
