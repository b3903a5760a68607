import * as vscode from 'vscode';
import { withCancellableProgress } from '../cancellableProgress';
import * as path from 'path';
import { COMPOSE_FILE_PATTERN, composeDown, composeProjectName } from '../../core/docker/compose';
import { vendor } from '../../core/docker/lazyVendor';
import { ComposeProjectNode } from '../tree/hostNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { buildClientId } from './buildClientId';
import { buildRegistryLogins } from './buildRegistryLogins';
import { withPickedHost } from './hostPick';
import { resolveWorkspaceFile } from './workspaceFilePick';
import { errorText, isCancellation } from '../../core/docker/errors';

const memoryKey = (file: vscode.Uri) => `dockerOnAzure.compose.${file.toString()}`;
const INSTALL_GUIDE = 'https://docs.docker.com/compose/install/';

/**
 * Runs the user's own Docker Compose against the chosen host. The services' images are built on
 * the host first, as Deploy builds (BuildKit, only changed files sent); Compose then reaches the
 * host through a private local socket forwarded over the extension's connection, so SSH and
 * mutual-TLS hosts work with the keys and certificates the extension already has.
 */
export function composeUpCommand(deps: CommandDeps): CommandHandler {
  return async (arg) => {
    const file = await resolveWorkspaceFile(arg, {
      glob: '**/{compose,docker-compose}*.{yaml,yml}',
      accepts: (name) => COMPOSE_FILE_PATTERN.test(name),
      title: 'Compose Up which file?',
    });
    if (!file) {
      void vscode.window.showInformationMessage('No compose.yaml or docker-compose.yml found in this workspace.');
      return;
    }
    const tool = await vendor().findComposeTool();
    if (!tool) {
      const choice = await vscode.window.showErrorMessage(
        'Docker Compose is not installed on this machine: install the Compose plugin (`docker compose`) or `docker-compose`, then try again.',
        'Installation Guide',
      );
      if (choice) {
        await vscode.env.openExternal(vscode.Uri.parse(INSTALL_GUIDE));
      }
      return;
    }
    const cwd = path.dirname(file.fsPath);
    const project = composeProjectName(path.basename(cwd));
    await withPickedHost(
      deps,
      { title: `Compose Up "${project}" on which Docker host?`, rememberedHostId: deps.context.workspaceState.get<string>(memoryKey(file)) },
      async (session) => {
        await deps.context.workspaceState.update(memoryKey(file), session.spec.id);
        deps.buildLog.clear();
        deps.buildLog.show(true);
        deps.buildLog.appendLine(
          `Compose Up ${project} on ${session.spec.name}: each service's image is built on the host, then ${[tool.command, ...tool.args].join(' ')} -f ${file.fsPath} -p ${project} up -d --no-build`,
        );
        const connection = session.connect();
        const clientId = await buildClientId(deps);
        let forwarder;
        try {
          forwarder = await vendor().startDaemonForwarder(() => connection.dial());
          const dockerHost = forwarder.dockerHost;
          await withCancellableProgress(`Compose Up ${project} on ${session.spec.name}`, async (progress, signal) => {
            await vendor().composeUp(tool, {
              files: [file.fsPath],
              cwd,
              project,
              dockerHost,
              target: connection,
              clientId,
              credentials: buildRegistryLogins(deps, connection, (line) => deps.buildLog.appendLine(line)),
              signal,
              onStep: (message) => progress.report({ message }),
              onOutput: (t) => deps.buildLog.append(t),
            });
          });
          void vscode.window.showInformationMessage(`${project} is up on ${session.spec.name}.`);
        } catch (err) {
          if (isCancellation(err)) {
            deps.buildLog.appendLine('Cancelled.');
            return;
          }
          const cause = forwarder?.lastDialError();
          const text = cause ? `Compose could not reach ${session.spec.name}: ${errorText(cause)}` : errorText(err);
          deps.buildLog.appendLine(text);
          const choice = await vscode.window.showErrorMessage(text, 'Show Log');
          if (choice) {
            deps.buildLog.show();
          }
        } finally {
          await forwarder?.close();
          deps.hosts.refresh(session.spec.id);
        }
      },
    );
  };
}

/** Takes a project down from the tree, asking first: its containers and networks go, volumes and images stay. */
export function composeDownCommand(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof ComposeProjectNode)) {
      void vscode.window.showInformationMessage('Choose a Compose project in the Docker hosts view, then run Compose Down from its context menu.');
      return;
    }
    const { name, containers } = node.project;
    const answer = await vscode.window.showWarningMessage(
      `Compose Down "${name}" on ${node.session.spec.name}?`,
      { modal: true, detail: `Stops and removes its ${containers.length} container(s) and its networks. Volumes and images stay.` },
      'Compose Down',
    );
    if (answer !== 'Compose Down') {
      return;
    }
    try {
      await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Compose Down ${name}` }, (progress) =>
        composeDown(node.session.connect().docker, name, (message) => progress.report({ message })),
      );
    } finally {
      deps.hosts.refresh(node.session.spec.id);
    }
  };
}
