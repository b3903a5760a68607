/**
 * Everything that exists in the emulated cloud: tenants, subscriptions, resource groups and
 * resources, keyed case-insensitively by ARM id (as ARM is), each stored as the JSON a GET returns
 * before derived fields are added.
 */
import type { JsonObject } from './specLibrary';

export interface Tenant {
  tenantId: string;
  displayName: string;
  defaultDomain: string;
}

export interface Subscription {
  subscriptionId: string;
  displayName: string;
  tenantId: string;
  tags?: Record<string, string>;
}

export interface ResourceIdParts {
  subscriptionId: string;
  resourceGroup: string;
  namespace: string;
  /** e.g. ['virtualNetworks', 'subnets'] */
  types: string[];
  names: string[];
}

export function resourceGroupId(subscriptionId: string, resourceGroup: string): string {
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
}

export function resourceId(subscriptionId: string, resourceGroup: string, namespace: string, type: string, name: string, ...child: string[]): string {
  return [resourceGroupId(subscriptionId, resourceGroup), 'providers', namespace, type, name, ...child].join('/');
}

export function parseResourceId(id: string): ResourceIdParts | undefined {
  const m = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/([^/]+)\/(.+)$/i.exec(id);
  if (!m) {
    return undefined;
  }
  const rest = m[4].split('/');
  if (rest.length % 2 !== 0) {
    return undefined;
  }
  const types = rest.filter((_, i) => i % 2 === 0);
  const names = rest.filter((_, i) => i % 2 === 1);
  return { subscriptionId: m[1], resourceGroup: m[2], namespace: m[3], types, names };
}

/** `Microsoft.Network/virtualNetworks` for any id of that type (children excluded). */
export function typeOfId(id: string): string | undefined {
  const p = parseResourceId(id);
  return p ? `${p.namespace}/${p.types.join('/')}` : undefined;
}

export function sameId(a: unknown, b: unknown): boolean {
  return typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
}

export class ArmState {
  readonly tenants = new Map<string, Tenant>();
  readonly subscriptions = new Map<string, Subscription>();
  /** `location/label` of the DNS labels other Azure customers hold (dnsLabels.ts). */
  readonly foreignDnsLabels = new Set<string>();
  private readonly resources = new Map<string, JsonObject>();
  /** What a resource has that its ARM JSON does not show (power state, write-only fields). */
  private readonly hidden = new Map<string, Record<string, unknown>>();

  tenant(tenantId: string): Tenant | undefined {
    return this.tenants.get(tenantId.toLowerCase());
  }

  subscription(subscriptionId: string): Subscription | undefined {
    return this.subscriptions.get(subscriptionId.toLowerCase());
  }

  get(id: string): JsonObject | undefined {
    return this.resources.get(id.toLowerCase());
  }

  put(body: JsonObject): JsonObject {
    this.resources.set(String(body.id).toLowerCase(), body);
    this.listCache.clear();
    return body;
  }

  /** Removes a resource; a resource group takes everything in it along. */
  delete(id: string): void {
    this.listCache.clear();
    const key = id.toLowerCase();
    for (const k of [...this.resources.keys()]) {
      if (k === key || k.startsWith(`${key}/`)) {
        this.resources.delete(k);
        this.hidden.delete(k);
      }
    }
  }

  hiddenState<T extends Record<string, unknown>>(id: string): T {
    const key = id.toLowerCase();
    let h = this.hidden.get(key);
    if (!h) {
      h = {};
      this.hidden.set(key, h);
    }
    return h as T;
  }

  resourceGroup(subscriptionId: string, name: string): JsonObject | undefined {
    return this.get(resourceGroupId(subscriptionId, name));
  }

  resourceGroups(subscriptionId: string): JsonObject[] {
    const prefix = `/subscriptions/${subscriptionId}/resourcegroups/`.toLowerCase();
    return [...this.resources.entries()].filter(([k]) => k.startsWith(prefix) && !k.slice(prefix.length).includes('/')).map(([, v]) => v);
  }

  /** Top-level resources of `type` in a subscription, or in one of its resource groups. */
  list(type: string, subscriptionId: string, resourceGroup?: string): JsonObject[] {
    const prefix = (resourceGroup ? resourceGroupId(subscriptionId, resourceGroup) + '/' : `/subscriptions/${subscriptionId}/`).toLowerCase();
    const t = type.toLowerCase();
    // Views resolve links (a NIC's VM, a public IP's NIC) by listing; without this, listing N NICs
    // scans every resource N times and the emulator, not the client, dominates any timing.
    const key = `${t} ${prefix}`;
    let found = this.listCache.get(key);
    if (!found) {
      found = [...this.resources.entries()].filter(([k, v]) => k.startsWith(prefix) && String(v.type).toLowerCase() === t).map(([, v]) => v);
      this.listCache.set(key, found);
    }
    return [...found];
  }
  private readonly listCache = new Map<string, JsonObject[]>();

  all(): JsonObject[] {
    return [...this.resources.values()];
  }

  /**
   * Every resource as stored, with what it hides, in id order: two equal snapshots mean nothing
   * was created, changed or removed in between.
   */
  snapshot(): string {
    const keys = [...this.resources.keys()].sort();
    return JSON.stringify(keys.map((k) => ({ resource: this.resources.get(k), hidden: this.hidden.get(k) ?? {} })));
  }
}
