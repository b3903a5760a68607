import * as path from 'path';
import * as vscode from 'vscode';
import { COMPOSE_FILE_PATTERN, composeProjectName } from '../../core/docker/compose';
import { errorText } from '../../core/docker/errors';
import { deployStackFile } from '../../core/swarm/stackDeploy';
import { discoverSwarms } from '../../core/swarm/swarmDiscovery';
import { SwarmTreeNode } from '../tree/swarmNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { resolveWorkspaceFile } from './workspaceFilePick';

interface Target {
  name: string;
  docker: () => ReturnType<SwarmTreeNode['docker']>;
}

/** The swarm of the clicked row, or the one swarm with a manager among the hosts, or the one picked. */
async function pickSwarm(deps: CommandDeps, arg: unknown): Promise<Target | undefined> {
  if (arg instanceof SwarmTreeNode) {
    return { name: arg.name, docker: () => arg.docker() };
  }
  const managed = (await discoverSwarms(await deps.hosts.loadAll())).filter((s) => s.managers.length > 0);
  const targets = managed.map((s) => ({ name: s.managers[0].session.spec.name, docker: () => s.managers[0].session.connect().docker }));
  if (!targets.length) {
    void vscode.window.showErrorMessage('None of your hosts manages a swarm: create one with Create Swarm from Hosts, or add a manager host.');
    return undefined;
  }
  if (targets.length === 1) {
    return targets[0];
  }
  const picked = await vscode.window.showQuickPick(
    targets.map((t) => ({ label: `${t.name} swarm`, target: t })),
    { title: 'Deploy Compose File as Stack: onto which swarm?', ignoreFocusOut: true },
  );
  return picked?.target;
}

/** `docker stack deploy -c` from a compose file in the workspace, onto a swarm the user has. */
export function deployComposeAsStack(deps: CommandDeps): CommandHandler {
  return async (arg) => {
    const target = await pickSwarm(deps, arg);
    if (!target) {
      return;
    }
    const file = await resolveWorkspaceFile(arg instanceof vscode.Uri ? arg : undefined, {
      glob: '**/{compose,docker-compose}*.{yaml,yml}',
      accepts: (name) => COMPOSE_FILE_PATTERN.test(name),
      title: 'Deploy which compose file as a stack?',
    });
    if (!file) {
      void vscode.window.showInformationMessage('No compose.yaml or docker-compose.yml found in this workspace.');
      return;
    }
    const stack = await vscode.window.showInputBox({
      title: `Deploy ${path.basename(file.fsPath)} as a stack on the ${target.name} swarm`,
      prompt: 'Stack name (its services are named <stack>_<service>)',
      value: composeProjectName(path.basename(path.dirname(file.fsPath))),
      ignoreFocusOut: true,
      validateInput: (v) =>
        /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(v.trim()) ? undefined : "Letters, digits, '_', '.' and '-', starting with a letter or digit.",
    });
    if (!stack) {
      return;
    }
    let result: Awaited<ReturnType<typeof deployStackFile>>;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Deploying stack ${stack.trim()} on the ${target.name} swarm` },
        () => deployStackFile(target.docker(), file.fsPath, stack.trim()),
      );
    } catch (err) {
      void vscode.window.showErrorMessage(`Stack ${stack.trim()} was not deployed on the ${target.name} swarm: ${errorText(err)}`);
      return;
    }
    deps.log.info(
      `stack ${stack.trim()} deployed on ${target.name}: created ${result.created.join(', ') || 'nothing'}; updated ${result.updated.join(', ') || 'nothing'}`,
    );
    deps.otherHosts.refreshSwarms();
    const parts = [
      result.created.length && `created ${result.created.join(', ')}`,
      result.updated.length && `updated ${result.updated.join(', ')}`,
    ].filter(Boolean);
    void vscode.window.showInformationMessage(`Stack ${stack.trim()} deployed on the ${target.name} swarm: ${parts.join('; ')}.`);
  };
}
