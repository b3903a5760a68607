import * as vscode from 'vscode';
import type { DockerHostSession } from '../../core/docker/hostSession';
import { discoverSwarms } from '../../core/swarm/swarmDiscovery';
import { SwarmTreeNode } from '../tree/swarmNodes';
import type { CommandDeps } from './commandDeps';

export interface PickedSwarm {
  /** As the Swarms group names it: after its first manager's host. */
  name: string;
  /** A manager's host, where swarm changes are made (and where Deploy to Swarm builds). */
  manager: DockerHostSession;
}

/** The swarm of the clicked row, or the one swarm with a manager among the hosts, or the one picked. */
export async function pickSwarm(deps: CommandDeps, arg: unknown, title: string): Promise<PickedSwarm | undefined> {
  if (arg instanceof SwarmTreeNode) {
    const manager = arg.swarm.managers[0]?.session;
    if (!manager) {
      void vscode.window.showErrorMessage(`None of your hosts is a manager of the swarm of ${arg.name}: add a manager host to change it.`);
      return undefined;
    }
    return { name: arg.name, manager };
  }
  const managed = (await discoverSwarms(await deps.hosts.loadAll())).filter((s) => s.managers.length > 0);
  const targets = managed.map((s) => ({ name: s.managers[0].session.spec.name, manager: s.managers[0].session }));
  if (!targets.length) {
    void vscode.window.showErrorMessage('None of your hosts manages a swarm: create one with Create Swarm from Hosts, or add a manager host.');
    return undefined;
  }
  if (targets.length === 1) {
    return targets[0];
  }
  const picked = await vscode.window.showQuickPick(
    targets.map((t) => ({ label: `${t.name} swarm`, target: t })),
    { title, ignoreFocusOut: true },
  );
  return picked?.target;
}
