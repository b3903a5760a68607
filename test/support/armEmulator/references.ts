/**
 * Who uses whom. ARM shows these links on both ends (a NIC's virtualMachine, a subnet's
 * ipConfigurations, a public IP's ipConfiguration) and refuses deletes while they exist; the
 * emulator stores each link once, where the client wrote it, and derives the other end on read.
 */
import { parseResourceId, sameId, type ArmState } from './armState';
import { isObject, type Json, type JsonObject } from './specLibrary';

export const TYPES = {
  vm: 'Microsoft.Compute/virtualMachines',
  disk: 'Microsoft.Compute/disks',
  vnet: 'Microsoft.Network/virtualNetworks',
  nsg: 'Microsoft.Network/networkSecurityGroups',
  pip: 'Microsoft.Network/publicIPAddresses',
  nic: 'Microsoft.Network/networkInterfaces',
} as const;

export function props(resource: JsonObject): JsonObject {
  if (!isObject(resource.properties)) {
    resource.properties = {};
  }
  return resource.properties as JsonObject;
}

export function arr(v: Json | undefined): JsonObject[] {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

export function refId(v: Json | undefined): string | undefined {
  return isObject(v) && typeof v.id === 'string' ? v.id : undefined;
}

function inSubscription(state: ArmState, type: string, anyId: string): JsonObject[] {
  const p = parseResourceId(anyId);
  return p ? state.list(type, p.subscriptionId) : [];
}

/** NIC ip configurations: [ip configuration id, its properties]. */
function ipConfigurations(state: ArmState, anyId: string): [string, JsonObject][] {
  return inSubscription(state, TYPES.nic, anyId).flatMap((nic) =>
    arr(props(nic).ipConfigurations).map((c): [string, JsonObject] => [String(c.id), props(c)]),
  );
}

export function ipConfigurationsInSubnet(state: ArmState, subnetId: string): string[] {
  return ipConfigurations(state, subnetId)
    .filter(([, p]) => sameId(refId(p.subnet), subnetId))
    .map(([id]) => id);
}

export function ipConfigurationOfPublicIp(state: ArmState, pipId: string): string | undefined {
  return ipConfigurations(state, pipId).find(([, p]) => sameId(refId(p.publicIPAddress), pipId))?.[0];
}

export function nicsUsingNsg(state: ArmState, nsgId: string): string[] {
  return inSubscription(state, TYPES.nic, nsgId)
    .filter((nic) => sameId(refId(props(nic).networkSecurityGroup), nsgId))
    .map((nic) => String(nic.id));
}

export function subnetsUsingNsg(state: ArmState, nsgId: string): string[] {
  return inSubscription(state, TYPES.vnet, nsgId).flatMap((vnet) =>
    arr(props(vnet).subnets)
      .filter((s) => sameId(refId(props(s).networkSecurityGroup), nsgId))
      .map((s) => String(s.id)),
  );
}

export function vmNicReferences(vm: JsonObject): JsonObject[] {
  const networkProfile = props(vm).networkProfile;
  return isObject(networkProfile) ? arr(networkProfile.networkInterfaces) : [];
}

export function vmUsingNic(state: ArmState, nicId: string): JsonObject | undefined {
  return inSubscription(state, TYPES.vm, nicId).find((vm) => vmNicReferences(vm).some((r) => sameId(r.id, nicId)));
}

export function nicOfIpConfiguration(state: ArmState, ipConfigurationId: string): JsonObject | undefined {
  const nicId = ipConfigurationId.split('/').slice(0, -2).join('/');
  return state.get(nicId);
}

export function vmUsingDisk(state: ArmState, diskId: string): JsonObject | undefined {
  return inSubscription(state, TYPES.vm, diskId).find((vm) => {
    const storage = props(vm).storageProfile;
    const disks = isObject(storage) ? [storage.osDisk, ...arr(storage.dataDisks)].filter(isObject) : [];
    return disks.some((d) => isObject(d.managedDisk) && sameId(d.managedDisk.id, diskId));
  });
}

/** ARM ids that Compute hands out spell the resource group in upper case; clients must compare ids case-insensitively. */
export function computeStyleId(id: string): string {
  return id.replace(/(\/resourceGroups\/)([^/]+)/i, (_, p: string, rg: string) => `${p}${rg.toUpperCase()}`);
}
