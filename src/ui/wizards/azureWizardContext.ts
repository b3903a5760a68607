import { parseArmId } from '../../core/azure/armIds';
import type { AzureInventory } from '../../core/azure/azureInventory';
import type { ExistingResource } from '../../core/azure/provisioning/takenNames';
import { azureVendor } from '../../core/azure/lazyAzure';
import type { WizardContext } from './provisionWizard';

/** What the provisioning wizard offers, read from the subscription: groups, regions, sizes in a region. */
export async function azureWizardContext(
  inventory: AzureInventory,
  extra: Pick<WizardContext, 'existingKeys' | 'keyDirectory' | 'lastSourceRange' | 'forTemplate'>,
): Promise<WizardContext> {
  return {
    ...extra,
    subscriptions: await inventory.subscriptions(),
    resourceGroups: async (sub) => {
      const groups: { name: string; location: string }[] = [];
      for await (const g of inventory.clients(sub).resources.resourceGroups.list()) {
        groups.push({ name: g.name!, location: g.location });
      }
      return groups;
    },
    existingResources: async (sub) => {
      const found: ExistingResource[] = [];
      for await (const r of inventory.clients(sub).resources.resources.list()) {
        if (r.id && r.name && r.type) {
          found.push({ name: r.name, type: r.type, resourceGroup: parseArmId(r.id).resourceGroup });
        }
      }
      return found;
    },
    dnsLabelAvailable: async (sub, location, label) =>
      (await inventory.clients(sub).network.checkDnsNameAvailability(location, label)).available === true,
    regions: async (sub) => {
      const regions: { name: string; displayName: string }[] = [];
      for await (const l of azureVendor().createSubscriptionClient(sub.credential, sub.cloud).subscriptions.listLocations(sub.subscriptionId)) {
        if (l.name && l.metadata?.regionType !== 'Logical') {
          regions.push({ name: l.name, displayName: l.displayName ?? l.name });
        }
      }
      return regions;
    },
    sizes: async (sub, location) => {
      const sizes: { name: string; cores: number; memoryMb: number }[] = [];
      for await (const s of inventory.clients(sub).compute.virtualMachineSizes.list(location)) {
        if (s.name) {
          sizes.push({ name: s.name, cores: s.numberOfCores ?? 0, memoryMb: s.memoryInMB ?? 0 });
        }
      }
      return sizes;
    },
  };
}
