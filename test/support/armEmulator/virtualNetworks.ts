/** Microsoft.Network/virtualNetworks and their subnets (inline and as child resources). */
import type { EmulatorCore, HandlerContext } from './emulatorCore';
import type { ChildSpec } from './networkChildren';
import { etag, networkHandler } from './networkLifecycle';
import { ArmError, newGuid } from './protocol';
import { arr, ipConfigurationsInSubnet, props, refId } from './references';
import type { JsonObject } from './specLibrary';

interface Cidr {
  base: number;
  bits: number;
}

export function parseCidr(s: string): Cidr | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(s.trim());
  if (!m || m.slice(1, 5).some((o) => Number(o) > 255) || Number(m[5]) > 32) {
    return undefined;
  }
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  return { base, bits: Number(m[5]) };
}

function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function ipToString(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.bits >= outer.bits && inner.base >= outer.base && inner.base + size(inner) <= outer.base + size(outer);
}

export function addressInPrefix(address: string, prefix: string): boolean {
  const a = parseCidr(`${address}/32`);
  const c = parseCidr(prefix);
  return !!a && !!c && contains(c, a);
}

/** The next free address of a subnet, skipping the first four and the last (Azure reserves them). */
export function nextFreeAddress(prefix: string, used: Set<string>): string | undefined {
  const c = parseCidr(prefix);
  if (!c) {
    return undefined;
  }
  for (let n = c.base + 4; n < c.base + size(c) - 1; n++) {
    if (!used.has(ipToString(n))) {
      return ipToString(n);
    }
  }
  return undefined;
}

function subnetInUse(core: EmulatorCore, subnet: JsonObject): ArmError | undefined {
  const users = ipConfigurationsInSubnet(core.state, String(subnet.id));
  return users.length === 0
    ? undefined
    : new ArmError(
        400,
        'InUseSubnetCannotBeDeleted',
        `Subnet ${String(subnet.name)} is in use by ${users[0]} and cannot be deleted. In order to delete the subnet, delete all the resources within the subnet. See aka.ms/deletesubnet.`,
      );
}

function buildSubnet(ctx: HandlerContext, vnet: { id: string; addressPrefixes: string[] }, id: string, name: string, body: JsonObject): JsonObject {
  const given = props(structuredClone(body));
  const prefixes = Array.isArray(given.addressPrefixes) ? given.addressPrefixes.map(String) : [];
  const prefix = typeof given.addressPrefix === 'string' ? given.addressPrefix : (prefixes[0] ?? '');
  const cidr = parseCidr(prefix);
  if (!cidr || !vnet.addressPrefixes.some((p) => parseCidr(p) && contains(parseCidr(p)!, cidr))) {
    throw new ArmError(400, 'NetcfgInvalidSubnet', `Subnet '${name}' is not valid in virtual network '${vnet.id.split('/').pop()}'.`);
  }
  const nsg = refId(given.networkSecurityGroup);
  if (nsg && !ctx.core.state.get(nsg)) {
    throw new ArmError(
      400,
      'InvalidResourceReference',
      `Resource ${nsg} referenced by resource ${id} was not found. Please make sure that the referenced resource exists, and that both resources are in the same region.`,
    );
  }
  delete given.ipConfigurations;
  const properties: JsonObject = {
    provisioningState: 'Updating',
    privateEndpointNetworkPolicies: 'Disabled',
    privateLinkServiceNetworkPolicies: 'Enabled',
    delegations: [],
    ...given,
  };
  if (nsg) {
    properties.networkSecurityGroup = { id: nsg };
  }
  return { name, id, etag: etag(), properties, type: 'Microsoft.Network/virtualNetworks/subnets' };
}

const addressPrefixesOf = (vnet: JsonObject): string[] => {
  const space = props(vnet).addressSpace as JsonObject | undefined;
  return Array.isArray(space?.addressPrefixes) ? space.addressPrefixes.map(String) : [];
};

const subnets: ChildSpec = {
  type: 'subnets',
  opPrefix: 'Subnets',
  property: 'subnets',
  build: (ctx, parent, id, name, body) => buildSubnet(ctx, { id: String(parent.id), addressPrefixes: addressPrefixesOf(parent) }, id, name, body),
  inUse: subnetInUse,
};

export const virtualNetworksHandler = networkHandler({
  type: 'virtualNetworks',
  opPrefix: 'VirtualNetworks',
  topLevel: ['extendedLocation'],
  child: subnets,
  build(ctx, id, body, existing) {
    const given = props(structuredClone(body));
    const addressPrefixes = addressPrefixesOf(body);
    if (addressPrefixes.length === 0 || addressPrefixes.some((p) => !parseCidr(p))) {
      throw new ArmError(
        400,
        'InvalidAddressPrefixFormat',
        `Address prefix ${addressPrefixes.join(',') || '(none)'} of resource ${id} is not formatted correctly. It should follow CIDR notation, for example 10.0.0.0/24.`,
      );
    }
    const built = arr(given.subnets).map((s) => buildSubnet(ctx, { id, addressPrefixes }, `${id}/subnets/${String(s.name)}`, String(s.name), s));
    for (const old of arr(existing ? props(existing).subnets : undefined)) {
      const kept = built.some((s) => String(s.name).toLowerCase() === String(old.name).toLowerCase());
      const blocked = kept ? undefined : subnetInUse(ctx.core, old);
      if (blocked) {
        throw blocked;
      }
    }
    return {
      provisioningState: 'Updating',
      resourceGuid: existing ? String(props(existing).resourceGuid) : newGuid(),
      addressSpace: { addressPrefixes },
      privateEndpointVNetPolicies: 'Disabled',
      virtualNetworkPeerings: [],
      enableDdosProtection: false,
      ...given,
      subnets: built,
    };
  },
  view(core, copy) {
    for (const s of arr(props(copy).subnets)) {
      const users = ipConfigurationsInSubnet(core.state, String(s.id));
      if (users.length > 0) {
        props(s).ipConfigurations = users.map((id) => ({ id }));
      }
    }
  },
  inUse(core, stored) {
    for (const s of arr(props(stored).subnets)) {
      const blocked = subnetInUse(core, s);
      if (blocked) {
        return blocked;
      }
    }
    return undefined;
  },
});
