import * as vscode from 'vscode';
import type { DockerHostSession } from '../../core/docker/hostSession';
import { advertiseAddressFor, createSwarm } from '../../core/swarm/createSwarm';
import type { SwarmMember } from '../../core/swarm/joinSwarm';
import { removeService, removeStack, scaleService, setNodeAvailability, setNodeRole, type NodeAvailability } from '../../core/swarm/swarmApi';
import { SwarmNodeRow, SwarmServiceRow, SwarmStackRow } from '../tree/swarmNodes';
import type { CommandDeps, CommandHandler } from './commandDeps';

/** A host as a swarm member, with the address where the other hosts reach it (asked when its Docker address does not say). */
export async function memberFor(session: DockerHostSession): Promise<SwarmMember | undefined> {
  const derived = advertiseAddressFor(session.spec.address);
  const advertiseAddress =
    derived ??
    (
      await vscode.window.showInputBox({
        title: `Address of ${session.spec.name} that the other hosts reach`,
        prompt: `${session.spec.address} does not say where the other hosts find this one: give its IP address or DNS name on their network.`,
        ignoreFocusOut: true,
        validateInput: (v) => (/^[A-Za-z0-9.:-]+$/.test(v.trim()) ? undefined : 'An IP address or DNS name, without a port.'),
      })
    )?.trim();
  return advertiseAddress ? { name: session.spec.name, docker: session.connect().docker, advertiseAddress } : undefined;
}

/** Pick hosts from the catalog, choose the manager, then init there and join the rest. */
export function createSwarmFromHosts(deps: CommandDeps): CommandHandler {
  return async () => {
    const sessions = await deps.hosts.loadAll();
    const picked = await vscode.window.showQuickPick(
      sessions.map((session) => ({ label: session.spec.name, description: session.spec.address, session })),
      { title: 'Create Swarm from Hosts: which hosts?', canPickMany: true, ignoreFocusOut: true },
    );
    if (!picked?.length) {
      return;
    }
    const manager =
      picked.length === 1
        ? picked[0]
        : await vscode.window.showQuickPick(picked, { title: 'Create Swarm from Hosts: which host is the manager?', ignoreFocusOut: true });
    if (!manager) {
      return;
    }
    const members: SwarmMember[] = [];
    for (const p of [manager, ...picked.filter((p) => p !== manager)]) {
      const m = await memberFor(p.session);
      if (!m) {
        return;
      }
      members.push(m);
    }
    const [first, ...workers] = members;
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Creating swarm' }, (progress) =>
      createSwarm({ manager: first, workers, onProgress: (message) => progress.report({ message }) }),
    );
    deps.log.info(`swarm created: manager ${first.name}, workers ${workers.map((w) => w.name).join(', ') || 'none'}`);
    deps.otherHosts.refreshSwarms();
    void vscode.window.showInformationMessage(
      `Swarm created: ${first.name} manages it${workers.length ? `, ${workers.map((w) => w.name).join(', ')} joined` : ''}.`,
    );
  };
}

export function scaleSwarmService(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof SwarmServiceRow)) {
      return;
    }
    const { service } = node;
    const typed = await vscode.window.showInputBox({
      title: `Scale ${service.name}`,
      prompt: `Replicas (now ${service.running} running of ${service.desired})`,
      value: String(service.desired),
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A whole number of 0 or more.'),
    });
    if (typed === undefined) {
      return;
    }
    await scaleService(node.swarm.docker(), service.id, Number(typed.trim()));
    deps.otherHosts.refreshSwarms();
  };
}

export function removeSwarmService(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof SwarmServiceRow)) {
      return;
    }
    const answer = await vscode.window.showWarningMessage(
      `Remove service "${node.service.name}"?`,
      { modal: true, detail: `Its ${node.service.running} running task(s) stop on every node. Its image, networks and volumes stay.` },
      'Remove',
    );
    if (answer !== 'Remove') {
      return;
    }
    await removeService(node.swarm.docker(), node.service.id);
    deps.otherHosts.refreshSwarms();
  };
}

export function nodeAvailability(availability: NodeAvailability) {
  return (deps: CommandDeps): CommandHandler =>
    async (node) => {
      if (!(node instanceof SwarmNodeRow)) {
        return;
      }
      if (availability === 'drain') {
        const answer = await vscode.window.showWarningMessage(
          `Drain ${node.node.hostname}?`,
          { modal: true, detail: 'Its tasks stop there and the swarm starts them on other nodes; it takes no new tasks until activated.' },
          'Drain',
        );
        if (answer !== 'Drain') {
          return;
        }
      }
      await setNodeAvailability(node.swarm.docker(), node.node.id, availability);
      deps.otherHosts.refreshSwarms();
    };
}

export function nodeRole(role: 'manager' | 'worker') {
  return (deps: CommandDeps): CommandHandler =>
    async (node) => {
      if (!(node instanceof SwarmNodeRow)) {
        return;
      }
      await setNodeRole(node.swarm.docker(), node.node.id, role);
      deps.otherHosts.refreshSwarms();
    };
}

export function removeSwarmStack(deps: CommandDeps): CommandHandler {
  return async (node) => {
    if (!(node instanceof SwarmStackRow)) {
      return;
    }
    const { stack } = node;
    const answer = await vscode.window.showWarningMessage(
      `Remove stack "${stack.name}"?`,
      {
        modal: true,
        detail: `Its ${stack.services.length} service(s) stop on every node, and its networks, secrets and configs are removed: everything labelled as this stack's, as \`docker stack rm\` does. Images and volumes stay.`,
      },
      'Remove',
    );
    if (answer !== 'Remove') {
      return;
    }
    await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Removing stack ${stack.name}` }, () =>
      removeStack(node.swarm.docker(), stack.name),
    );
    deps.otherHosts.refreshSwarms();
  };
}
