import * as vscode from 'vscode';
import { DockerHostError, isCancellation } from '../../core/docker/errors';
import { addWorker } from '../../core/swarm/joinSwarm';
import { refuseManagerRemoval, removeNode } from '../../core/swarm/removeNode';
import { hostsInNoSwarm } from '../../core/swarm/swarmDiscovery';
import { withCancellableProgress } from '../cancellableProgress';
import { SwarmNodeRow, SwarmTreeNode } from '../tree/swarmNodes';
import { deleteAzureHost } from './azureHostDelete';
import type { CommandDeps, CommandHandler } from './commandDeps';
import { memberFor } from './swarmCommands';

/** A catalog host in no swarm joins this one as a worker, through its own daemon. */
export function addHostToSwarm(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof SwarmTreeNode)) {
      return;
    }
    const manager = node.swarm.managers[0];
    if (!manager) {
      throw new DockerHostError(
        `None of your hosts is a manager of the ${node.name} swarm: add a manager host to add nodes to it.`,
        'SWARM_NO_MANAGER',
      );
    }
    const free = await hostsInNoSwarm(await deps.hosts.loadAll());
    if (!free.length) {
      void vscode.window.showInformationMessage(
        'Every host that answers already belongs to a swarm: add a host (Other Docker Hosts, or a new Azure host), then add it here.',
      );
      return;
    }
    const picked = await vscode.window.showQuickPick(
      free.map((session) => ({ label: session.spec.name, description: session.spec.address, session })),
      { title: `Add Host to the ${node.name} Swarm: which host joins as a worker?`, ignoreFocusOut: true },
    );
    const worker = picked && (await memberFor(picked.session));
    if (!worker) {
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Adding ${worker.name} to the swarm` }, (progress) =>
      addWorker({
        manager: { name: manager.session.spec.name, docker: manager.session.connect().docker },
        worker,
        onProgress: (message) => progress.report({ message }),
      }),
    );
    deps.log.info(`swarm of ${node.name}: ${worker.name} joined as a worker`);
    deps.otherHosts.refreshSwarms();
    void vscode.window.showInformationMessage(`${worker.name} joined the ${node.name} swarm as a worker.`);
  };
}

const REMOVE = 'Remove';
const REMOVE_FORCE = 'Remove by Force';
const DELETE_VM = 'Delete VM…';

/** Drain, wait for the tasks to move, leave, `node rm`; then, for a VM this extension made, offer to delete it. */
export function removeSwarmNode(deps: CommandDeps): CommandHandler {
  return async (row) => {
    if (!(row instanceof SwarmNodeRow)) {
      return;
    }
    const { node, host } = row;
    // Before anything is asked: the same check runs again in removeNode, on a fresh read.
    refuseManagerRemoval(node, (await row.swarm.snapshot()).nodes);
    const answer = host
      ? await vscode.window.showWarningMessage(
          `Remove ${node.hostname} from the swarm?`,
          { modal: true, detail: 'It is drained first: its tasks start on other nodes. Then it leaves the swarm and is removed from the node list.' },
          REMOVE,
        )
      : await vscode.window.showWarningMessage(
          `${node.hostname} is not among your hosts, so it cannot be made to leave the swarm. Remove it by force?`,
          {
            modal: true,
            detail: `Once its tasks run on other nodes, it is removed from the node list (docker node rm --force). Its engine still believes it is in the swarm until \`docker swarm leave\` runs there.`,
          },
          REMOVE_FORCE,
        );
    if (answer !== (host ? REMOVE : REMOVE_FORCE)) {
      return;
    }
    let removed;
    try {
      removed = await withCancellableProgress(`Removing ${node.hostname} from the swarm`, (progress, signal) =>
        removeNode({
          manager: row.swarm.docker(),
          nodeId: node.id,
          own: host?.connect().docker,
          onProgress: (message) => progress.report({ message }),
          signal,
        }),
      );
    } catch (err) {
      if (!isCancellation(err)) {
        throw err;
      }
      void vscode.window.showWarningMessage(
        `Stopped waiting: ${node.hostname} stays drained, so it runs no tasks and takes none. Activate Node takes it back; Remove Node from Swarm… tries again.`,
      );
      return;
    } finally {
      deps.otherHosts.refreshSwarms();
    }
    deps.log.info(`swarm of ${row.swarm.name}: ${node.hostname} removed`);
    const vm = host && deps.azureHosts.listedHosts().find((h) => h.session?.spec.id === host.spec.id);
    const done = removed.forced
      ? `${node.hostname} was removed from the swarm by force; run \`docker swarm leave\` on it before it joins a swarm again.`
      : `${node.hostname} left the swarm and was removed from it.`;
    if (!vm?.vm.provisioned) {
      void vscode.window.showInformationMessage(done);
      return;
    }
    const next = await vscode.window.showInformationMessage(
      `${done} Delete its VM ${vm.vm.name} too? Only what was created with it goes.`,
      DELETE_VM,
    );
    if (next === DELETE_VM) {
      await deleteAzureHost(deps)(vm);
    }
  };
}
