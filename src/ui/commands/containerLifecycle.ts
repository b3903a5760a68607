import type { ContainerInfo } from 'dockerode';
import { ContainerAction, runContainerAction } from '../../core/docker/containerActions';
import { containerName } from '../../core/docker/presentation';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { containerTargets, forEachTarget } from './targets';

const TITLES: Record<ContainerAction, string> = { start: 'Starting', stop: 'Stopping', restart: 'Restarting' };
const APPLIES: Record<ContainerAction, (c: ContainerInfo) => boolean> = {
  start: (c) => c.State !== 'running',
  stop: (c) => c.State === 'running' || c.State === 'paused' || c.State === 'restarting',
  restart: () => true,
};

export function containerLifecycle(action: ContainerAction) {
  return (deps: CommandDeps): CommandHandler =>
    async (node, nodes) => {
      const targets = await containerTargets(deps, node, nodes, APPLIES[action], true);
      const label = (t: (typeof targets)[number]) => containerName(t.info);
      await forEachTarget(
        `${TITLES[action]} ${targets.length === 1 ? label(targets[0]) : `${targets.length} containers`}`,
        targets,
        label,
        (t, signal) => runContainerAction(t.session.connect().docker, t.info.Id, action, signal),
      );
      // No refresh here: the engine's own events (kill, die, stop, start) bring one debounced refresh.
      // A second, immediate one would rebuild the tree twice and could leave a context menu the user
      // has just opened pointing at a replaced node.
    };
}
