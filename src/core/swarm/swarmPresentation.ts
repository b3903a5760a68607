/** What the Swarms rows show, without VS Code types. */
import { contextValue } from '../contextValue';
import type { NodeModel } from '../docker/presentation';
import { markdownCode, markdownText } from '../markdown';
import { taskName, type SwarmNode, type SwarmPort, type SwarmService, type SwarmStack, type SwarmTask } from './swarmModel';

/** `hostName`: the user's host that is this node, when one is. */
export function swarmNodeModel(swarmId: string, n: SwarmNode, hostName?: string): NodeModel {
  const down = n.status !== 'ready';
  const drained = n.availability !== 'active';
  return {
    id: `swarm:${swarmId}/nodes/${n.id}`,
    label: n.hostname,
    description: [n.leader ? 'manager (leader)' : n.role, n.availability, n.status, n.engineVersion].filter(Boolean).join(' · '),
    tooltip: [
      `**${markdownText(n.hostname)}**`,
      `Role: ${markdownText(n.role)}${n.managerReachability ? ` (${markdownText(n.managerReachability)})` : ''}`,
      `Availability: ${markdownText(n.availability)}`,
      `Status: ${markdownText(n.status)}`,
      n.address ? `Address: ${markdownCode(n.address)}` : '',
      n.engineVersion ? `Engine: ${markdownCode(n.engineVersion)}` : '',
      `Node ID: ${markdownCode(n.id)}`,
      hostName ? `Your host: ${markdownText(hostName)}` : '',
    ]
      .filter(Boolean)
      .join('  \n'),
    icon: n.role === 'manager' ? 'server-process' : 'server',
    iconColor: down ? 'charts.red' : drained ? 'charts.yellow' : undefined,
    contextValue: contextValue('swarmNode', n.role === 'manager' ? 'manager' : 'worker', n.leader && 'leader', n.availability, down && 'down'),
  };
}

export function portsText(ports: readonly SwarmPort[]): string {
  return ports
    .map((p) =>
      p.published ? `${p.published}→${p.target ?? '?'}/${p.protocol}${p.mode === 'host' ? ' (host)' : ''}` : `${p.target ?? '?'}/${p.protocol}`,
    )
    .join(', ');
}

export function swarmServiceModel(swarmId: string, s: SwarmService, parentId = `swarm:${swarmId}/services`): NodeModel {
  const healthy = s.running >= s.desired;
  return {
    id: `${parentId}/${s.id}`,
    label: s.name,
    description: [
      s.mode === 'replicated' ? `${s.running}/${s.desired}` : `global ${s.running}/${s.desired}`,
      s.image,
      portsText(s.ports),
      s.updateState,
    ]
      .filter(Boolean)
      .join(' · '),
    tooltip: [
      `**${markdownText(s.name)}**`,
      `Mode: ${markdownText(s.mode)}`,
      `Replicas: ${s.running} running of ${s.desired}`,
      `Image: ${markdownCode(s.image)}`,
      s.ports.length ? `Ports: ${markdownCode(portsText(s.ports))}` : '',
      s.stack ? `Stack: ${markdownText(s.stack)}` : '',
      s.updateState ? `Update: ${markdownText(s.updateState)}` : '',
    ]
      .filter(Boolean)
      .join('  \n'),
    icon: 'symbol-namespace',
    iconColor: healthy ? 'charts.green' : 'charts.yellow',
    contextValue: contextValue('swarmService', s.mode, s.stack && 'inStack', s.hasPreviousSpec && 'rollbackable'),
  };
}

const TASK_ICON: Record<string, { icon: string; color?: string }> = {
  running: { icon: 'pass-filled', color: 'charts.green' },
  failed: { icon: 'error', color: 'charts.red' },
  rejected: { icon: 'error', color: 'charts.red' },
  shutdown: { icon: 'circle-slash', color: 'disabledForeground' },
  complete: { icon: 'check' },
};

export function swarmTaskModel(serviceRowId: string, serviceName: string, t: SwarmTask, nodeName: string | undefined): NodeModel {
  const icon = TASK_ICON[t.state] ?? { icon: 'loading~spin' };
  const name = taskName(serviceName, t);
  return {
    id: `${serviceRowId}/tasks/${t.id}`,
    label: name,
    description: [
      nodeName ?? (t.nodeId ? t.nodeId.slice(0, 12) : 'not placed'),
      t.desiredState === t.state ? t.state : `${t.state} → ${t.desiredState}`,
      t.error,
    ]
      .filter(Boolean)
      .join(' · '),
    tooltip: [
      `**${markdownText(name)}**`,
      `Node: ${markdownText(nodeName ?? t.nodeId)}`,
      `State: ${markdownText(t.state)} (desired ${markdownText(t.desiredState)})`,
      t.error ? `Error: ${markdownCode(t.error)}` : '',
      t.message ? `Message: ${markdownText(t.message)}` : '',
      `Task ID: ${markdownCode(t.id)}`,
    ]
      .filter(Boolean)
      .join('  \n'),
    icon: icon.icon,
    iconColor: icon.color,
    contextValue: contextValue('swarmTask', t.state),
  };
}

export function swarmStackModel(swarmId: string, stack: SwarmStack): NodeModel {
  const running = stack.services.reduce((n, s) => n + s.running, 0);
  const desired = stack.services.reduce((n, s) => n + s.desired, 0);
  return {
    id: `swarm:${swarmId}/stacks/${stack.name}`,
    label: stack.name,
    description: `${stack.services.length} service${stack.services.length === 1 ? '' : 's'} · ${running}/${desired} tasks`,
    icon: 'layers',
    contextValue: contextValue('swarmStack'),
  };
}
