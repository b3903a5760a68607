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

async function groupMadeFor(clients: ArmClients, name: string, hostName: string): Promise<boolean> {
  const group = await clients.resources.resourceGroups.get(name).catch(() => undefined);
  return tagValue(group?.tags, TAG_CREATED_GROUP) === hostName;
}

/** Nothing was created: what the run found already there, and what to do about it. */
class NameTakenError extends Error {}

/**
 * Looks before anything is created: a PUT over an existing resource replaces it (its NSG rules,
 * its tags), and a rollback would then delete what the user owned. So every name the run needs
 * must answer 404, and a group the user picked must still be there.
 */
async function requireFreeNames(plan: ProvisionPlan, clients: ArmClients, signal?: AbortSignal): Promise<void> {
  const { request: req } = plan;
  const get = getters(clients);
  const exists = async (r: NamedResource) => {
    try {
      await get[r.type](req.resourceGroup, r.name, signal);
      return true;
    } catch (err) {
      if (isNotFound(err)) {
        return false;
      }
      throw err;
    }
  };
  const group = {
    id: `/subscriptions/${req.subscriptionId}/resourceGroups/${req.resourceGroup}`,
    name: req.resourceGroup,
    ...RESOURCE_KINDS.resourceGroup,
  };
  const groupExists = await exists(group);
  if (req.createResourceGroup && groupExists) {
    throw new NameTakenError(
      `Resource group ${req.resourceGroup} already exists: pick it from the list to add ${req.hostName} to it, or choose another name.`,
    );
  }
  if (!req.createResourceGroup && !groupExists) {
    throw new NameTakenError(`Resource group ${req.resourceGroup} does not exist any more: choose another group for ${req.hostName}.`);
  }
  if (!groupExists) {
    return;
  }
  const parts = [...plan.resources.filter((r) => r.key !== 'resourceGroup'), plan.osDisk];
  const taken = (await Promise.all(parts.map(async (r) => ((await exists(r)) ? r : undefined)))).filter((r) => r !== undefined);
  if (taken.length) {
    const names = taken.map((r) => `${r.kind} ${r.name}`).join(', ');
    throw new NameTakenError(
      `${names} already ${taken.length > 1 ? 'exist' : 'exists'} in resource group ${req.resourceGroup}, and provisioning never replaces what exists: choose another host name.`,
    );
  }
}

/**
 * Creates the planned resources once it has seen that none of them exists: the group, then the
 * network pieces and public IP together, then the NIC, then the VM. Every resource is remembered
 * as soon as its creation starts (a failed create can still leave it behind), the group only once
 * ARM answered that it created it; so a failure or cancellation removes exactly what this run may
 * have made: the whole group if this run created it, else each resource in reverse order.
 */
export async function executeProvisioning(plan: ProvisionPlan, deps: ProvisionDeps): Promise<ProvisionResult> {
  const { request: req } = plan;
  const byKey = new Map(plan.resources.map((r) => [r.key, r]));
  const ops = creators(deps.clients);
  const started: PlannedResource[] = [];
  const checkCancelled = () => {
    if (deps.signal?.aborted) {
      throw new Error('cancelled');
    }
  };
  const create = async (key: Part, body?: unknown) => {
    checkCancelled();
    const resource = byKey.get(key)!;
    started.push(resource);
    deps.onEvent({ kind: 'resource', resource, state: 'creating' });
    const result = await ops[key].create(req.resourceGroup, resource.name, body ?? resource.body, deps.signal);
    deps.onEvent({ kind: 'resource', resource, state: 'created' });
    return result;
  };
  try {
    checkCancelled();
    deps.onEvent({ kind: 'message', text: 'Checking that no resource of these names exists…' });
    await requireFreeNames(plan, deps.clients, deps.signal);
    const group = byKey.get('resourceGroup');
    if (group) {
      checkCancelled();
      deps.onEvent({ kind: 'resource', resource: group, state: 'creating' });
      let status = 0;
      try {
        await deps.clients.resources.resourceGroups.createOrUpdate(req.resourceGroup, group.body as { location: string }, {
          abortSignal: deps.signal,
          onResponse: (response) => (status = response.status),
        });
      } catch (err) {
        // Cancelled or cut off before ARM answered: the group may exist all the same, and it is this
        // run's if it carries the tag this run's PUT put on it (the look found no group at all).
        if (status === 0 && (await groupMadeFor(deps.clients, req.resourceGroup, req.hostName))) {
          started.push(group);
        }
        throw err;
      }
      // 200 means the group appeared since the look above: it is someone else's, never to be rolled back.
      if (status !== 201) {
        throw new NameTakenError(
          `Resource group ${req.resourceGroup} was created by someone else meanwhile: run again and pick it, or choose another name.`,
        );
      }
      started.push(group);
      deps.onEvent({ kind: 'resource', resource: group, state: 'created' });
    }
    const results = await Promise.allSettled([create('vnet'), create('nsg'), create('publicIp')]);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      throw failed.reason;
    }
    const pip = (results[2] as PromiseFulfilledResult<unknown>).value as { ipAddress?: string; dnsSettings?: { fqdn?: string } };
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
    await create('nic');
    await create('vm', vmBody(req, byKey.get('nic')!.id, customData));
    return { vmId: byKey.get('vm')!.id, publicIp: pip.ipAddress, fqdn };
  } catch (err) {
    const cancelled = !!deps.signal?.aborted;
    const why = err instanceof NameTakenError ? err.message : describeAzureError(err, `create ${req.hostName}`).message;
    const reason = cancelled ? 'Provisioning was cancelled' : `Provisioning failed: ${why}`;
    if (started.length) {
      deps.onEvent({ kind: 'message', text: `${reason}. Removing what this run created…` });
    }
    const rollback = await rollBack(started, plan, deps);
    throw new ProvisionError(reason, rollback, cancelled);
  }
}

async function rollBack(started: PlannedResource[], plan: ProvisionPlan, deps: ProvisionDeps): Promise<RollbackReport> {
  const report: RollbackReport = { removed: [], remaining: [] };
  const rg = plan.request.resourceGroup;
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
