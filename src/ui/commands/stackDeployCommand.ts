import * as path from 'path';
import * as vscode from 'vscode';
import { COMPOSE_FILE_PATTERN, composeProjectName } from '../../core/docker/compose';
import { errorText } from '../../core/docker/errors';
import { mayHandOverCredentials } from '../../core/docker/cleartextCredentials';
import type { DockerHostSession } from '../../core/docker/hostSession';
import { registryAuthHeader } from '../../core/docker/registryAuth';
import { deployStackFile, type RegistryAuthLookup } from '../../core/swarm/stackDeploy';
import { CleartextConsentStore } from '../registries/cleartextConsentStore';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { knownRegistryLogin } from './registryLogin';
import { pickSwarm } from './swarmPick';
import { resolveWorkspaceFile } from './workspaceFilePick';

/**
 * X-Registry-Auth for each registry the stack's images name, from the logins this machine keeps
 * (Push Image…'s, or an ACR's through Azure), so workers pull private images. A plain-HTTP
 * manager gets them only with the user's consent.
 */
function storedRegistryAuth(deps: CommandDeps, manager: DockerHostSession): RegistryAuthLookup {
  const consent = new CleartextConsentStore(deps.context.globalState);
  return async (registry) => {
    const known = await knownRegistryLogin(deps, registry, (line) => deps.log.warn(line));
    if (!known || !(await mayHandOverCredentials(manager.connect(), { registry, auth: known.auth }, consent))) {
      return undefined;
    }
    deps.log.info(`Passing the login for ${registry} (${known.from}) to the swarm of ${manager.spec.name}, so its nodes can pull.`);
    return registryAuthHeader(known.auth);
  };
}

/** `docker stack deploy -c` from a compose file in the workspace, onto a swarm the user has. */
export function deployComposeAsStack(deps: CommandDeps): CommandHandler {
  return async (arg) => {
    const target = await pickSwarm(deps, arg, 'Deploy Compose File as Stack: onto which swarm?');
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
        () => deployStackFile(target.manager.connect().docker, file.fsPath, stack.trim(), { registryAuth: storedRegistryAuth(deps, target.manager) }),
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
