import type { ArmClients } from './armClients';
import type { AzureAccount, AzureSubscriptionRef } from './azureAccount';
import { azureHostId } from './azureHostSpec';
import { listSubscriptionVms, SubscriptionListing } from './discovery';
import type { AzureVm } from './vmModel';
import { azureVendor } from './lazyAzure';

/**
 * Subscriptions and their VMs, cached until refreshed (on demand, and after lifecycle actions), so
 * expanding and collapsing the tree costs no calls.
 */
export class AzureInventory {
  private subscriptionList: Promise<AzureSubscriptionRef[]> | undefined;
  private readonly listings = new Map<string, Promise<SubscriptionListing>>();
  private readonly clientCache = new Map<string, ArmClients>();

  constructor(
    private readonly account: AzureAccount,
    /** Subscription ids the user chose to see; empty means all. */
    private readonly selected: () => string[],
  ) {}

  async subscriptions(): Promise<AzureSubscriptionRef[]> {
    this.subscriptionList ??= this.account.listSubscriptions();
    const all = await this.subscriptionList.catch((err) => {
      this.subscriptionList = undefined;
      throw err;
    });
    const chosen = new Set(this.selected().map((id) => id.toLowerCase()));
    return chosen.size ? all.filter((s) => chosen.has(s.subscriptionId.toLowerCase())) : all;
  }

  /** Every subscription the account sees, ignoring the user's selection (for choosing it). */
  async allSubscriptions(): Promise<AzureSubscriptionRef[]> {
    this.subscriptionList ??= this.account.listSubscriptions();
    return this.subscriptionList;
  }

  clients(sub: AzureSubscriptionRef): ArmClients {
    let clients = this.clientCache.get(sub.subscriptionId);
    if (!clients) {
      clients = azureVendor().createArmClients(sub.credential, sub.subscriptionId, sub.cloud);
      this.clientCache.set(sub.subscriptionId, clients);
    }
    return clients;
  }

  listing(sub: AzureSubscriptionRef): Promise<SubscriptionListing> {
    let listing = this.listings.get(sub.subscriptionId);
    if (!listing) {
      listing = listSubscriptionVms(this.clients(sub));
      listing.catch(() => this.listings.delete(sub.subscriptionId));
      this.listings.set(sub.subscriptionId, listing);
    }
    return listing;
  }

  /** The VM behind an Azure Docker host, from the cached listings. */
  async findHostVm(hostId: string): Promise<{ vm: AzureVm; subscription: AzureSubscriptionRef } | undefined> {
    for (const subscription of await this.subscriptions()) {
      const vm = (await this.listing(subscription)).vms.find((v) => azureHostId(v.id) === hostId);
      if (vm) {
        return { vm, subscription };
      }
    }
    return undefined;
  }

  /** Forget one subscription's VMs, or everything (subscriptions included). */
  invalidate(subscriptionId?: string): void {
    if (subscriptionId) {
      this.listings.delete(subscriptionId);
      return;
    }
    this.subscriptionList = undefined;
    this.listings.clear();
    this.clientCache.clear();
  }
}
