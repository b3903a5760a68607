import * as vscode from 'vscode';
import { containerName, formatPort, publishedPorts } from '../../core/docker/presentation';
import { openLogsTerminal } from '../terminals/logsTerminal';
import { openShellTerminal } from '../terminals/shellTerminal';
import { InspectDocuments } from '../inspectDocuments';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { containerTargets } from './targets';
import { browserUrlForPort } from '../../core/docker/browserUrl';

const isRunning = (c: { State: string }) => c.State === 'running';

export function viewLogs(deps: CommandDeps): CommandHandler {
  return async (node, nodes) => {
    for (const t of await containerTargets(deps, node, nodes, () => true, false)) {
      openLogsTerminal(t.session.connect().docker, t.info.Id, `Logs: ${containerName(t.info)} (${t.session.spec.name})`);
    }
  };
}

export function openShell(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const [t] = await containerTargets(deps, node, undefined, isRunning, false);
    if (t) {
      openShellTerminal(t.session.connect().docker, t.info.Id, `Shell: ${containerName(t.info)} (${t.session.spec.name})`);
    }
  };
}

export function inspectContainer(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const [t] = await containerTargets(deps, node, undefined, () => true, false);
    if (t) {
      await deps.inspect.open(InspectDocuments.uri(t.session.spec.id, 'container', t.info.Id, containerName(t.info)));
    }
  };
}

export function copyContainerId(deps: CommandDeps): CommandHandler {
  return async (node, nodes) => {
    const targets = await containerTargets(deps, node, nodes, () => true, true);
    if (targets.length) {
      await vscode.env.clipboard.writeText(targets.map((t) => t.info.Id).join('\n'));
      vscode.window.setStatusBarMessage(`Copied ${targets.length === 1 ? 'container ID' : `${targets.length} container IDs`}`, 3000);
    }
  };
}

export function openInBrowser(deps: CommandDeps): CommandHandler {
  return async (node) => {
    const [t] = await containerTargets(deps, node, undefined, (c) => isRunning(c) && publishedPorts(c.Ports).length > 0, false);
    if (!t) {
      return;
    }
    const ports = publishedPorts(t.info.Ports).filter((p) => p.protocol === 'tcp');
    if (!ports.length) {
      void vscode.window.showInformationMessage(`${containerName(t.info)} publishes no TCP port.`);
      return;
    }
    const port =
      ports.length === 1
        ? ports[0]
        : (
            await vscode.window.showQuickPick(
              ports.map((p) => ({ label: formatPort(p), port: p })),
              { placeHolder: 'Which port?' },
            )
          )?.port;
    if (!port) {
      return;
    }
    const url = browserUrlForPort(t.session.spec.address, port);
    if (!url.reachable) {
      void vscode.window.showWarningMessage(url.reason);
      return;
    }
    await vscode.env.openExternal(vscode.Uri.parse(url.url));
  };
}
