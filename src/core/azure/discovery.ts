import type { ArmClients } from './armClients';
import { describeAzureError } from './azureErrors';
import { ArmNic, ArmVm, AzureVm, toAzureVms } from './vmModel';

async function collect<T>(pages: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of pages) {
    items.push(item);
  }
  return items;
}

export interface SubscriptionListing {
  vms: AzureVm[];
  /** Every NIC of the subscription: delete needs them to tell which NSGs are shared. */
  nics: ArmNic[];
}

/**
 * Every VM of a subscription with its power state and addresses, in a fixed number of paged calls
 * whatever the number of VMs: all VMs with their status, all NICs, all public IPs.
 */
export async function listSubscriptionVms(clients: Pick<ArmClients, 'compute' | 'network'>, signal?: AbortSignal): Promise<SubscriptionListing> {
  try {
    const [withStatus, nics, publicIps] = await Promise.all([
      collect<ArmVm>(clients.compute.virtualMachines.listAll({ statusOnly: 'true', abortSignal: signal })),
      collect<ArmNic>(clients.network.networkInterfaces.listAll({ abortSignal: signal })),
      collect(clients.network.publicIPAddresses.listAll({ abortSignal: signal })),
    ]);
    let vms = withStatus;
    // Should a cloud answer statusOnly with status alone, one more listing brings the models.
    if (withStatus.some((vm) => !vm.hardwareProfile)) {
      const models = new Map(
        (await collect<ArmVm>(clients.compute.virtualMachines.listAll({ abortSignal: signal }))).map((vm) => [vm.id?.toLowerCase(), vm]),
      );
      vms = withStatus.map((vm) => ({ ...models.get(vm.id?.toLowerCase()), ...vm, instanceView: vm.instanceView }) as ArmVm);
    }
    return { vms: toAzureVms(vms, nics, publicIps), nics };
  } catch (err) {
    throw describeAzureError(err, 'list the virtual machines');
  }
}
