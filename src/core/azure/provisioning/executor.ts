import type { ArmClients } from '../armClients';
import { describeAzureError } from '../azureErrors';
import { TAG_CREATED_GROUP, tagValue } from '../hostTags';
import { buildCloudConfig, DaemonTls, encodeCustomData, type SshHostKey } from './cloudInit';
import { NamedResource, PlannedResource, ProvisionPlan, RESOURCE_KINDS, ResourceKey, toSdkModel, vmBody } from './plan';

export type ProvisionEvent =
  | { kind: 'resource'; resource: PlannedResource; state: 'creating' | 'created' | 'deleting' | 'deleted' | 'kept' }
  | { kind: 'message'; text: string };

export interface ProvisionDeps {
  clients: ArmClients;
  /** TLS mode: the daemon's certificates, made once the public IP and DNS name are known. */
  makeServerTls?: (names: { ipAddresses: string[]; dnsNames: string[] }) => Promise<DaemonTls>;
  onEvent: (event: ProvisionEvent) => void;
  signal?: AbortSignal;
  /** The host key the VM's sshd is given, so the extension knows it before it connects. */
  sshHostKey?: SshHostKey;
}

export interface ProvisionResult {
  vmId: string;
  publicIp: string;
  fqdn?: string;
}

export interface RollbackReport {
  removed: string[];
  remaining: { id: string; reason: string }[];
}

/** Provisioning failed or was cancelled; what this run created was rolled back as reported. */
export class ProvisionError extends Error {
  constructor(
    message: string,
    readonly rollback: RollbackReport,
    readonly cancelled: boolean,
  ) {
    super(message);
    this.name = 'ProvisionError';
  }
}

type Rg = string;

type Part = Exclude<ResourceKey, 'resourceGroup'>;

interface Creator {
  create(rg: Rg, name: string, body: unknown, signal?: AbortSignal): Promise<unknown>;
  remove(rg: Rg, name: string): Promise<unknown>;
}

function creators(c: ArmClients): Record<Part, Creator> {
  const n = c.network;
  return {
    vnet: {
      create: (rg, name, body, signal) => n.virtualNetworks.beginCreateOrUpdateAndWait(rg, name, toSdkModel(body), { abortSignal: signal }),
      remove: (rg, name) => n.virtualNetworks.beginDeleteAndWait(rg, name),
    },
    nsg: {
      create: (rg, name, body, signal) => n.networkSecurityGroups.beginCreateOrUpdateAndWait(rg, name, toSdkModel(body), { abortSignal: signal }),
      remove: (rg, name) => n.networkSecurityGroups.beginDeleteAndWait(rg, name),
    },
    publicIp: {
      create: (rg, name, body, signal) => n.publicIPAddresses.beginCreateOrUpdateAndWait(rg, name, toSdkModel(body), { abortSignal: signal }),
      remove: (rg, name) => n.publicIPAddresses.beginDeleteAndWait(rg, name),
    },
    nic: {
      create: (rg, name, body, signal) => n.networkInterfaces.beginCreateOrUpdateAndWait(rg, name, toSdkModel(body), { abortSignal: signal }),
      remove: (rg, name) => n.networkInterfaces.beginDeleteAndWait(rg, name),
    },
    vm: {
      create: async (rg, name, body, signal) => c.compute.virtualMachines.createOrUpdate(rg, name, toSdkModel(body), { abortSignal: signal }),
      remove: async (rg, name) => c.compute.virtualMachines.delete(rg, name),
    },
  };
}

type Getter = (rg: Rg, name: string, signal?: AbortSignal) => Promise<unknown>;

/** A GET per type the plan names, resource group included. */
function getters(c: ArmClients): Record<string, Getter> {
  const n = c.network;
  return {
    [RESOURCE_KINDS.resourceGroup.type]: (_rg, name, signal) => c.resources.resourceGroups.get(name, { abortSignal: signal }),
    [RESOURCE_KINDS.vnet.type]: (rg, name, signal) => n.virtualNetworks.get(rg, name, { abortSignal: signal }),
    [RESOURCE_KINDS.nsg.type]: (rg, name, signal) => n.networkSecurityGroups.get(rg, name, { abortSignal: signal }),
    [RESOURCE_KINDS.publicIp.type]: (rg, name, signal) => n.publicIPAddresses.get(rg, name, { abortSignal: signal }),
    [RESOURCE_KINDS.nic.type]: (rg, name, signal) => n.networkInterfaces.get(rg, name, { abortSignal: signal }),
    [RESOURCE_KINDS.vm.type]: (rg, name, signal) => c.compute.virtualMachines.get(rg, name, { abortSignal: signal }),
    [RESOURCE_KINDS.osDisk.type]: (rg, name, signal) => c.compute.disks.get(rg, name, { abortSignal: signal }),
  };
}

function isNotFound(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string };
  return e?.statusCode === 404 || e?.code === 'ResourceNotFound' || e?.code === 'NotFound';
}

async function groupMadeFor(clients: ArmClients, name: string, createdFor: string): Promise<boolean> {
  const group = await clients.resources.resourceGroups.get(name).catch(() => undefined);
  return tagValue(group?.tags, TAG_CREATED_GROUP) === createdFor;
}

/** Nothing was created: what the run found already there, and what to do about it. */
class NameTakenError extends Error {}

/** Where a run creates resources, and what it creates them for (a host, a swarm). */
export interface RunTarget {
  subscriptionId: string;
  resourceGroup: string;
  createResourceGroup: boolean;
  /** The host's or swarm's name: the group the run creates is tagged with it. */
  name: string;
  /** What the user names to pick another: "host name", "swarm name". */
  nameKind: string;
}

/**
 * Looks before anything is created: a PUT over an existing resource replaces it (its NSG rules,
 * its tags), and a rollback would then delete what the user owned. So every name the run needs
 * must answer 404, and a group the user picked must still be there.
 */
async function requireFreeNames(target: RunTarget, parts: NamedResource[], clients: ArmClients, signal?: AbortSignal): Promise<void> {
  const get = getters(clients);
  const exists = async (r: NamedResource) => {
    try {
      await get[r.type](target.resourceGroup, r.name, signal);
      return true;
    } catch (err) {
      if (isNotFound(err)) {
        return false;
      }
      throw err;
    }
  };
  const group = {
    id: `/subscriptions/${target.subscriptionId}/resourceGroups/${target.resourceGroup}`,
    name: target.resourceGroup,
    ...RESOURCE_KINDS.resourceGroup,
  };
  const groupExists = await exists(group);
  if (target.createResourceGroup && groupExists) {
    throw new NameTakenError(
      `Resource group ${target.resourceGroup} already exists: pick it from the list to add ${target.name} to it, or choose another name.`,
    );
  }
  if (!target.createResourceGroup && !groupExists) {
    throw new NameTakenError(`Resource group ${target.resourceGroup} does not exist any more: choose another group for ${target.name}.`);
  }
  if (!groupExists) {
    return;
  }
  const taken = (await Promise.all(parts.map(async (r) => ((await exists(r)) ? r : undefined)))).filter((r) => r !== undefined);
  if (taken.length) {
    const names = taken.map((r) => `${r.kind} ${r.name}`).join(', ');
    throw new NameTakenError(
      `${names} already ${taken.length > 1 ? 'exist' : 'exists'} in resource group ${target.resourceGroup}, and provisioning never replaces what exists: choose another ${target.nameKind}.`,
    );
  }
}

/**
 * One provisioning run: checks that no name it needs is taken, creates resources and remembers each
 * as soon as its creation starts (a failed create can still leave it behind), the group only once
 * ARM answered that it created it; so a failure or cancellation removes exactly what this run may
 * have made: the whole group if this run created it, else each resource in reverse order.
 */
export class ProvisioningRun {
  private readonly started: PlannedResource[] = [];
  private readonly ops: Record<Part, Creator>;

  constructor(
    private readonly target: RunTarget,
    private readonly deps: ProvisionDeps,
  ) {
    this.ops = creators(deps.clients);
  }

  checkCancelled(): void {
    if (this.deps.signal?.aborted) {
      throw new Error('cancelled');
    }
  }

  async requireFreeNames(parts: NamedResource[]): Promise<void> {
    this.checkCancelled();
    this.deps.onEvent({ kind: 'message', text: 'Checking that no resource of these names exists…' });
    await requireFreeNames(this.target, parts, this.deps.clients, this.deps.signal);
  }

  async create(resource: PlannedResource, body?: unknown): Promise<unknown> {
    this.checkCancelled();
    this.started.push(resource);
    this.deps.onEvent({ kind: 'resource', resource, state: 'creating' });
    const result = await this.ops[resource.key as Part].create(this.target.resourceGroup, resource.name, body ?? resource.body, this.deps.signal);
    this.deps.onEvent({ kind: 'resource', resource, state: 'created' });
    return result;
  }

  /** Creates `resources` together; the first failure is thrown once all have ended (each is remembered). */
  createTogether(resources: PlannedResource[]): Promise<unknown[]> {
    return settleAll(resources.map((r) => this.create(r)));
  }

  async createGroup(group: PlannedResource): Promise<void> {
    const { deps, target } = this;
    this.checkCancelled();
    deps.onEvent({ kind: 'resource', resource: group, state: 'creating' });
    let status = 0;
    try {
      await deps.clients.resources.resourceGroups.createOrUpdate(target.resourceGroup, group.body as { location: string }, {
        abortSignal: deps.signal,
        onResponse: (response) => (status = response.status),
      });
    } catch (err) {
      // Cancelled or cut off before ARM answered: the group may exist all the same, and it is this
      // run's if it carries the tag this run's PUT put on it (the look found no group at all).
      if (status === 0 && (await groupMadeFor(deps.clients, target.resourceGroup, target.name))) {
        this.started.push(group);
      }
      throw err;
    }
    // 200 means the group appeared since the look above: it is someone else's, never to be rolled back.
    if (status !== 201) {
      throw new NameTakenError(
        `Resource group ${target.resourceGroup} was created by someone else meanwhile: run again and pick it, or choose another name.`,
      );
    }
    this.started.push(group);
    deps.onEvent({ kind: 'resource', resource: group, state: 'created' });
  }

  /** Rolls back what this run created and returns the error to throw, saying why and what remains. */
  async fail(err: unknown, what: string): Promise<ProvisionError> {
    const cancelled = !!this.deps.signal?.aborted;
    const why = err instanceof NameTakenError ? err.message : describeAzureError(err, what).message;
    const reason = cancelled ? 'Provisioning was cancelled' : `Provisioning failed: ${why}`;
    if (this.started.length) {
      this.deps.onEvent({ kind: 'message', text: `${reason}. Removing what this run created…` });
    }
    const rollback = await rollBack(this.started, this.target.resourceGroup, this.deps);
    return new ProvisionError(reason, rollback, cancelled);
  }
}

/** Every task runs to its end (each resource it starts is remembered); then the first failure is thrown. */
export async function settleAll<T>(tasks: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    throw failed.reason;
  }
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Creates the planned host: the group, then the network pieces and public IP together, then the NIC, then the VM. */
export async function executeProvisioning(plan: ProvisionPlan, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { request: req } = plan;
  const byKey = new Map(plan.resources.map((r) => [r.key, r]));
  const run = new ProvisioningRun({ ...req, name: req.hostName, nameKind: 'host name' }, deps);
  try {
    await run.requireFreeNames([...plan.resources.filter((r) => r.key !== 'resourceGroup'), plan.osDisk]);
    const group = byKey.get('resourceGroup');
    if (group) {
      await run.createGroup(group);
    }
    const [, , created] = await run.createTogether([byKey.get('vnet')!, byKey.get('nsg')!, byKey.get('publicIp')!]);
    const pip = created as { ipAddress?: string; dnsSettings?: { fqdn?: string } };
    if (!pip.ipAddress) {
      throw new Error('The public IP address was created without an address.');
    }
    const fqdn = pip.dnsSettings?.fqdn;
    let tls: DaemonTls | undefined;
    if (req.access === 'tls') {
      deps.onEvent({ kind: 'message', text: 'Creating the daemon certificates…' });
      tls = await deps.makeServerTls!({ ipAddresses: [pip.ipAddress], dnsNames: fqdn ? [fqdn] : [] });
    }
    const customData = encodeCustomData(buildCloudConfig({ adminUser: req.adminUser, access: req.access, tls, sshHostKey: deps.sshHostKey }));
    await run.create(byKey.get('nic')!);
    await run.create(byKey.get('vm')!, vmBody(req, byKey.get('nic')!.id, customData));
    return { vmId: byKey.get('vm')!.id, publicIp: pip.ipAddress, fqdn };
  } catch (err) {
    throw await run.fail(err, `create ${req.hostName}`);
  }
}

async function rollBack(started: PlannedResource[], rg: string, deps: ProvisionDeps): Promise<RollbackReport> {
  const report: RollbackReport = { removed: [], remaining: [] };
  const remove = async (resource: PlannedResource, run: () => Promise<unknown>) => {
    deps.onEvent({ kind: 'resource', resource, state: 'deleting' });
    try {
      await run();
      report.removed.push(resource.id);
      deps.onEvent({ kind: 'resource', resource, state: 'deleted' });
    } catch (err) {
      if (isNotFound(err)) {
        deps.onEvent({ kind: 'resource', resource, state: 'deleted' });
        return;
      }
      report.remaining.push({ id: resource.id, reason: describeAzureError(err, `delete ${resource.name}`).message });
      deps.onEvent({ kind: 'resource', resource, state: 'kept' });
    }
  };
  const group = started.find((r) => r.key === 'resourceGroup');
  if (group) {
    await remove(group, () => deps.clients.resources.resourceGroups.beginDeleteAndWait(rg));
    return report;
  }
  const ops = creators(deps.clients);
  // Reverse dependency order: the VM holds the NIC, the NIC holds the network pieces and the IP.
  for (const wave of [['vm'], ['nic'], ['vnet', 'nsg', 'publicIp']] as const) {
    await Promise.all(
      started.filter((r) => (wave as readonly string[]).includes(r.key)).map((r) => remove(r, () => ops[r.key as Part].remove(rg, r.name))),
    );
  }
  return report;
}
