import type { ArmClients } from './armClients';
import { describeAzureError } from './azureErrors';
import { parseArmId, sameArmId } from './armIds';
import { tagValue, TAG_CREATED_GROUP, TAG_PART_OF, TAG_SWARM } from './hostTags';
import { ArmNic, AzureVm, nsgsOnlyUsedBy } from './vmModel';

export type VmAction = 'start' | 'deallocate' | 'restart' | 'powerOff';

const ACTION_TEXT: Record<VmAction, string> = { start: 'start', deallocate: 'stop (deallocate)', restart: 'restart', powerOff: 'power off' };

/**
 * Runs a power action to completion (ARM's long-running operation), or until `signal` aborts.
 * `onAccepted` runs once ARM has accepted it, when the VM shows its transitional state.
 */
export async function runVmAction(
  clients: Pick<ArmClients, 'compute'>,
  vm: Pick<AzureVm, 'resourceGroup' | 'name'>,
  action: VmAction,
  signal?: AbortSignal,
  onAccepted?: () => void,
): Promise<void> {
  const options = { abortSignal: signal };
  try {
    const poller = clients.compute.virtualMachines[action](vm.resourceGroup, vm.name, options);
    await poller.submitted();
    onAccepted?.();
    await poller;
  } catch (err) {
    throw describeAzureError(err, `${ACTION_TEXT[action]} ${vm.name}`);
  }
}

export interface DeletePlan {
  vm: AzureVm;
  nicIds: string[];
  publicIpIds: string[];
  /** Only NSGs no other NIC uses, and never a swarm's. */
  nsgIds: string[];
  osDiskId?: string;
  /** Set when the extension created the group for this host: it goes too, if nothing else is in it. */
  resourceGroup?: string;
}

/** What deleting a host removes: the VM and what was created with it, never anything shared. */
export function planDelete(vm: AzureVm, subscriptionNics: readonly ArmNic[], groupTags: Record<string, string> | undefined): DeletePlan {
  return {
    vm,
    nicIds: vm.nicIds,
    publicIpIds: vm.publicIpIds,
    // A swarm node's NSG is the swarm's, made with its VNet: it stays with them, last node or not.
    nsgIds: tagValue(vm.tags, TAG_SWARM) ? [] : nsgsOnlyUsedBy(vm, subscriptionNics),
    osDiskId: vm.osDiskId,
    resourceGroup: tagValue(groupTags, TAG_CREATED_GROUP) === vm.name ? vm.resourceGroup : undefined,
  };
}

export function planIds(plan: DeletePlan): string[] {
  return [plan.vm.id, ...plan.nicIds, ...plan.publicIpIds, ...plan.nsgIds, ...(plan.osDiskId ? [plan.osDiskId] : [])];
}

export interface DeleteResult {
  deleted: string[];
  /** What could not be removed, with why; the user is told so they can clean up. */
  remaining: { id: string; reason: string }[];
}

/**
 * Deletes in dependency order: the VM, then its NICs, then public IPs, NSGs and the OS disk. A group
 * the extension created goes last, and only if what is left in it was created with this host.
 */
export async function executeDelete(
  clients: ArmClients,
  plan: DeletePlan,
  onStep: (text: string) => void,
  signal?: AbortSignal,
): Promise<DeleteResult> {
  const result: DeleteResult = { deleted: [], remaining: [] };
  const opts = { abortSignal: signal };
  const attempt = async (id: string, run: () => Promise<unknown>) => {
    try {
      await run();
      result.deleted.push(id);
    } catch (err) {
      result.remaining.push({ id, reason: describeAzureError(err, `delete ${id.split('/').pop()}`).message });
    }
  };
  const { resourceGroup: rg } = plan.vm;
  onStep(`Deleting virtual machine ${plan.vm.name}…`);
  await attempt(plan.vm.id, () => clients.compute.virtualMachines.delete(rg, plan.vm.name, opts));
  if (result.remaining.length) {
    // With the VM still there, its NICs and disk are in use: stop rather than fail on each.
    result.remaining.push(
      ...planIds(plan)
        .slice(1)
        .map((id) => ({ id, reason: 'kept because the virtual machine could not be deleted' })),
    );
    return result;
  }
  onStep('Deleting network interfaces…');
  await Promise.all(
    plan.nicIds.map((id) =>
      attempt(id, () => clients.network.networkInterfaces.beginDeleteAndWait(parseArmId(id).resourceGroup, parseArmId(id).name, opts)),
    ),
  );
  onStep('Deleting public IP, network security group and OS disk…');
  await Promise.all([
    ...plan.publicIpIds.map((id) =>
      attempt(id, () => clients.network.publicIPAddresses.beginDeleteAndWait(parseArmId(id).resourceGroup, parseArmId(id).name, opts)),
    ),
    ...plan.nsgIds.map((id) =>
      attempt(id, () => clients.network.networkSecurityGroups.beginDeleteAndWait(parseArmId(id).resourceGroup, parseArmId(id).name, opts)),
    ),
    ...(plan.osDiskId
      ? [attempt(plan.osDiskId, () => clients.compute.disks.delete(parseArmId(plan.osDiskId!).resourceGroup, parseArmId(plan.osDiskId!).name, opts))]
      : []),
  ]);
  if (plan.resourceGroup) {
    const leftovers: { id?: string; tags?: Record<string, string> }[] = [];
    for await (const r of clients.resources.resources.listByResourceGroup(plan.resourceGroup, opts)) {
      leftovers.push(r);
    }
    const foreign = leftovers.filter((r) => tagValue(r.tags, TAG_PART_OF) !== plan.vm.name && !result.deleted.some((d) => sameArmId(d, r.id)));
    if (foreign.length) {
      result.remaining.push({
        id: plan.resourceGroup,
        reason: `kept: it also holds ${foreign.map((r) => (r.id ? parseArmId(r.id).name : '?')).join(', ')}`,
      });
    } else {
      onStep(`Deleting resource group ${plan.resourceGroup}…`);
      await attempt(`/subscriptions/${plan.vm.subscriptionId}/resourceGroups/${plan.resourceGroup}`, () =>
        clients.resources.resourceGroups.beginDeleteAndWait(plan.resourceGroup!, opts),
      );
    }
  }
  return result;
}
