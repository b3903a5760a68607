/**
 * Names a new host must not take, checked against what the subscription already holds, so the
 * wizard refuses them while they are typed instead of the run overwriting what someone owns.
 */
import { hostResourceNames, HostPart, RESOURCE_KINDS } from './plan';
import { swarmNodeNames, swarmSharedNames } from './swarmPlan';

export interface ExistingResource {
  name: string;
  /** ARM type, e.g. Microsoft.Compute/virtualMachines. */
  type: string;
  resourceGroup: string;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/**
 * Why a host cannot be called `hostName`: one of the resources it would make already exists. Any
 * group counts, since the group is chosen after the name, and two hosts of one name would look alike.
 */
export function hostNameTaken(hostName: string, existing: ExistingResource[]): string | undefined {
  const names = hostResourceNames(hostName);
  const mostTelling: HostPart[] = ['vm', 'vnet', 'nsg', 'publicIp', 'nic', 'osDisk'];
  for (const part of mostTelling) {
    const { type, kind } = RESOURCE_KINDS[part];
    const name = names[part];
    const hit = existing.find((e) => same(e.type, type) && same(e.name, name));
    if (hit) {
      return `The ${kind} ${hit.name} already exists in resource group ${hit.resourceGroup}: choose another host name.`;
    }
  }
  return undefined;
}

/** The wizard's default host name: docker-host-1, else the first docker-host-N whose resources are all free. */
export function freeHostName(existing: ExistingResource[]): string {
  let n = 1;
  while (hostNameTaken(`docker-host-${n}`, existing)) {
    n++;
  }
  return `docker-host-${n}`;
}

/** `base`, or `base-2`, `base-3`… : the first name no group has (group names ignore case). */
export function freeGroupName(base: string, groups: { name: string }[]): string {
  const taken = new Set(groups.map((g) => g.name.toLowerCase()));
  let candidate = base;
  for (let n = 2; taken.has(candidate.toLowerCase()); n++) {
    candidate = `${base}-${n}`;
  }
  return candidate;
}

/**
 * Why a swarm cannot be called `swarmName`: its shared network or first manager would reuse a
 * resource that exists (any group). The run checks every node's names again in its group.
 */
export function swarmNameTaken(swarmName: string, existing: ExistingResource[]): string | undefined {
  const shared = swarmSharedNames(swarmName);
  for (const [name, { type, kind }] of [
    [shared.vnet, RESOURCE_KINDS.vnet],
    [shared.nsg, RESOURCE_KINDS.nsg],
  ] as const) {
    const hit = existing.find((e) => same(e.type, type) && same(e.name, name));
    if (hit) {
      return `The ${kind} ${hit.name} already exists in resource group ${hit.resourceGroup}: choose another swarm name.`;
    }
  }
  return hostNameTaken(swarmNodeNames(swarmName, 1, 0)[0].name, existing)?.replace(/host name\.$/, 'swarm name.');
}

/** The wizard's default swarm name: swarm-1, else the first swarm-N that is free. */
export function freeSwarmName(existing: ExistingResource[]): string {
  let n = 1;
  while (swarmNameTaken(`swarm-${n}`, existing)) {
    n++;
  }
  return `swarm-${n}`;
}

/** The first `<swarm>-wN` none of whose resources exists: the name of a swarm's next worker. */
export function freeWorkerName(swarmName: string, existing: ExistingResource[]): string {
  let n = 1;
  while (hostNameTaken(`${swarmName}-w${n}`, existing)) {
    n++;
  }
  return `${swarmName}-w${n}`;
}
