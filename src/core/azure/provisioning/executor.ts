import type { ArmClients } from '../armClients';
import { describeAzureError } from '../azureErrors';
import { buildCloudConfig, DaemonTls, encodeCustomData } from './cloudInit';
import { PlannedResource, ProvisionPlan, ResourceKey, toSdkModel, vmBody } from './plan';

export type ProvisionEvent =
  | { kind: 'resource'; resource: PlannedResource; state: 'creating' | 'created' | 'deleting' | 'deleted' | 'kept' }
  | { kind: 'message'; text: string };

export interface ProvisionDeps {
  clients: ArmClients;
  /** TLS mode: the daemon's certificates, made once the public IP and DNS name are known. */
  makeServerTls?: (names: { ipAddresses: string[]; dnsNames: string[] }) => Promise<DaemonTls>;
  onEvent: (event: ProvisionEvent) => void;
  signal?: AbortSignal;
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

interface Creator {
  create(rg: Rg, name: string, body: unknown, signal?: AbortSignal): Promise<unknown>;
  remove(rg: Rg, name: string): Promise<unknown>;
}

function creators(c: ArmClients): Record<Exclude<ResourceKey, 'resourceGroup'>, Creator> {
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

function isNotFound(err: unknown): boolean {
  const e = err as { statusCode?: number; code?: string };
  return e?.statusCode === 404 || e?.code === 'ResourceNotFound' || e?.code === 'NotFound';
}

/**
 * Creates the planned resources: the group, then the network pieces and public IP together, then
 * the NIC, then the VM. Every resource is remembered as soon as its creation starts (a failed
 * create can still leave it behind), so a failure or cancellation removes exactly what this run
 * may have made: the whole group if this run created it, else each resource in reverse order.
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
  const create = async (key: Exclude<ResourceKey, 'resourceGroup'>, body?: unknown) => {
    checkCancelled();
    const resource = byKey.get(key)!;
    started.push(resource);
    deps.onEvent({ kind: 'resource', resource, state: 'creating' });
    const result = await ops[key].create(req.resourceGroup, resource.name, body ?? resource.body, deps.signal);
    deps.onEvent({ kind: 'resource', resource, state: 'created' });
    return result;
  };
  try {
    const group = byKey.get('resourceGroup');
    if (group) {
      checkCancelled();
      started.push(group);
      deps.onEvent({ kind: 'resource', resource: group, state: 'creating' });
      await deps.clients.resources.resourceGroups.createOrUpdate(req.resourceGroup, group.body as { location: string }, { abortSignal: deps.signal });
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
    const customData = encodeCustomData(buildCloudConfig({ adminUser: req.adminUser, access: req.access, tls }));
    await create('nic');
    await create('vm', vmBody(req, byKey.get('nic')!.id, customData));
    return { vmId: byKey.get('vm')!.id, publicIp: pip.ipAddress, fqdn };
  } catch (err) {
    const cancelled = !!deps.signal?.aborted;
    const reason = cancelled ? 'Provisioning was cancelled' : `Provisioning failed: ${describeAzureError(err, `create ${req.hostName}`).message}`;
    deps.onEvent({ kind: 'message', text: `${reason}. Removing what this run created…` });
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
      started
        .filter((r) => (wave as readonly string[]).includes(r.key))
        .map((r) => remove(r, () => ops[r.key as Exclude<ResourceKey, 'resourceGroup'>].remove(rg, r.name))),
    );
  }
  return report;
}
