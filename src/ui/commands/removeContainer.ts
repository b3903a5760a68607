import * as vscode from 'vscode';
import { removeContainer } from '../../core/docker/containerActions';
import { containerName } from '../../core/docker/presentation';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { containerTargets, forEachTarget } from './targets';

export function removeContainers(deps: CommandDeps): CommandHandler {
  return async (node, nodes) => {
    const targets = await containerTargets(deps, node, nodes, () => true, true);
    if (!targets.length) {
      return;
    }
    const names = targets.map((t) => containerName(t.info));
    const running = targets.filter((t) => t.info.State === 'running' || t.info.State === 'restarting' || t.info.State === 'paused');
    const detail = running.length
      ? `${running.map((t) => containerName(t.info)).join(', ')} ${running.length === 1 ? 'is' : 'are'} running and will be stopped first.`
      : undefined;
    const answer = await vscode.window.showWarningMessage(
      targets.length === 1 ? `Remove container "${names[0]}"?` : `Remove ${targets.length} containers (${names.join(', ')})?`,
      { modal: true, detail },
      'Remove',
    );
    if (answer !== 'Remove') {
      return;
    }
    await forEachTarget(
      `Removing ${targets.length === 1 ? names[0] : `${targets.length} containers`}`,
      targets,
      (t) => containerName(t.info),
      (t) => removeContainer(t.session.connect().docker, t.info.Id, running.includes(t)),
    );
    for (const hostId of new Set(targets.map((t) => t.session.spec.id))) {
      deps.hosts.refresh(hostId);
    }
  };
}
