import { TAG_ADMIN_USER, TAG_CREATED_GROUP, TAG_DAEMON, TAG_HOST, TAG_PART_OF, TAG_SWARM } from '../hostTags';

export type DaemonAccess = 'ssh' | 'tls';

export const DOCKER_TLS_PORT = 2376;

export const IMAGES = {
  'ubuntu-24.04': { label: 'Ubuntu 24.04 LTS', reference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' } },
  'ubuntu-22.04': {
    label: 'Ubuntu 22.04 LTS',
    reference: { publisher: 'Canonical', offer: '0001-com-ubuntu-server-jammy', sku: '22_04-lts-gen2', version: 'latest' },
  },
} as const;
export type ImageKey = keyof typeof IMAGES;

export interface ProvisionRequest {
  subscriptionId: string;
  location: string;
  resourceGroup: string;
  /** The run creates the group (and may then remove it whole on rollback or delete). */
  createResourceGroup: boolean;
  hostName: string;
  /** The public IP's DNS label: `<label>.<region>.cloudapp.azure.com`, unique in the region across all of Azure. */
  dnsLabel: string;
  vmSize: string;
  image: ImageKey;
  adminUser: string;
  sshPublicKey: string;
  access: DaemonAccess;
  /** IPv4 address or CIDR allowed inbound to SSH (and 2376 in TLS mode). */
  sourceRange: string;
  /** The swarm on Azure this host is a node of. */
  swarm?: string;
}

export type ResourceKey = 'resourceGroup' | 'vnet' | 'nsg' | 'publicIp' | 'nic' | 'vm';

/** Every kind of Azure resource a host is made of, keyed as the plan names them; the OS disk is made by the VM. */
export const RESOURCE_KINDS = {
  resourceGroup: { type: 'Microsoft.Resources/resourceGroups', kind: 'resource group' },
  vnet: { type: 'Microsoft.Network/virtualNetworks', kind: 'virtual network' },
  nsg: { type: 'Microsoft.Network/networkSecurityGroups', kind: 'network security group' },
  publicIp: { type: 'Microsoft.Network/publicIPAddresses', kind: 'public IP address' },
  nic: { type: 'Microsoft.Network/networkInterfaces', kind: 'network interface' },
  vm: { type: 'Microsoft.Compute/virtualMachines', kind: 'virtual machine' },
  osDisk: { type: 'Microsoft.Compute/disks', kind: 'OS disk' },
} as const;

export type HostPart = Exclude<keyof typeof RESOURCE_KINDS, 'resourceGroup'>;

/** The names a host's resources get, whichever group they go in. */
export function hostResourceNames(hostName: string): Record<HostPart, string> {
  return {
    vnet: `${hostName}-vnet`,
    nsg: `${hostName}-nsg`,
    publicIp: `${hostName}-ip`,
    nic: `${hostName}-nic`,
    vm: hostName,
    osDisk: `${hostName}-osdisk`,
  };
}

export interface NamedResource {
  /** ARM id. */
  id: string;
  name: string;
  /** ARM type, e.g. Microsoft.Network/networkSecurityGroups. */
  type: string;
  /** A friendly kind for progress ("network security group"). */
  kind: string;
}

export interface PlannedResource extends NamedResource {
  key: ResourceKey;
  dependsOn: ResourceKey[];
  /** The PUT body in Resource Manager's REST shape (what ARM templates and the specs use). */
  body: Record<string, unknown>;
}

export interface ProvisionPlan {
  request: ProvisionRequest;
  resources: PlannedResource[];
  /** The OS disk the VM creates: not planned as a resource, but its name must be free too. */
  osDisk: NamedResource;
}

/** One inbound rule of the NSG, in the REST shape. */
export function inboundRule(name: string, port: number, priority: number, source: string, protocol: 'Tcp' | 'Udp' = 'Tcp'): Record<string, unknown> {
  return {
    name,
    properties: {
      protocol,
      access: 'Allow',
      direction: 'Inbound',
      priority,
      sourceAddressPrefix: source,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: String(port),
    },
  };
}

/** SSH, and in TLS mode the daemon's port, from the user's source only. */
export function userInboundRules(sourceRange: string, access: DaemonAccess): Record<string, unknown>[] {
  return [inboundRule('SSH', 22, 1000, sourceRange), ...(access === 'tls' ? [inboundRule('DockerTLS', DOCKER_TLS_PORT, 1010, sourceRange)] : [])];
}

export const VNET_PREFIX = '10.0.0.0/16';
export const SUBNET_NAME = 'default';

export function vnetBody(location: string, tags: Record<string, string>): Record<string, unknown> {
  return {
    location,
    tags,
    properties: {
      addressSpace: { addressPrefixes: [VNET_PREFIX] },
      subnets: [{ name: SUBNET_NAME, properties: { addressPrefix: '10.0.0.0/24' } }],
    },
  };
}

/** A static Standard public IP, with a DNS label when one is given. */
export function publicIpBody(location: string, tags: Record<string, string>, dnsLabel?: string): Record<string, unknown> {
  return {
    location,
    tags,
    sku: { name: 'Standard', tier: 'Regional' },
    properties: {
      publicIPAllocationMethod: 'Static',
      publicIPAddressVersion: 'IPv4',
      ...(dnsLabel ? { dnsSettings: { domainNameLabel: dnsLabel } } : {}),
    },
  };
}

export function nicBody(
  location: string,
  tags: Record<string, string>,
  ids: { vnet: string; nsg: string; publicIp: string },
): Record<string, unknown> {
  return {
    location,
    tags,
    properties: {
      networkSecurityGroup: { id: ids.nsg },
      ipConfigurations: [
        {
          name: 'ipconfig1',
          properties: {
            subnet: { id: `${ids.vnet}/subnets/${SUBNET_NAME}` },
            privateIPAllocationMethod: 'Dynamic',
            publicIPAddress: { id: ids.publicIp },
          },
        },
      ],
    },
  };
}

/** The ids of a group and of resources in it. */
export function armIds(subscriptionId: string, resourceGroup: string) {
  const group = `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}`;
  return {
    group,
    network: (type: string, name: string) => `${group}/providers/Microsoft.Network/${type}/${name}`,
    compute: (type: string, name: string) => `${group}/providers/Microsoft.Compute/${type}/${name}`,
  };
}

/** The resource group a run creates, tagged with what it was created for. */
export function plannedGroup(subscriptionId: string, resourceGroup: string, location: string, createdFor: string): PlannedResource {
  return {
    key: 'resourceGroup',
    id: armIds(subscriptionId, resourceGroup).group,
    name: resourceGroup,
    ...RESOURCE_KINDS.resourceGroup,
    dependsOn: [],
    body: { location, tags: { [TAG_CREATED_GROUP]: createdFor } },
  };
}

/**
 * Everything a host needs, as data: which resources, their bodies and what waits for what. The
 * network pieces and the public IP depend only on the group, so they are created together; the NIC
 * needs them, the VM needs the NIC. The VM body gets its custom data later (it carries a server
 * certificate that names the public IP, known only once the IP exists).
 */
export function planProvisioning(req: ProvisionRequest): ProvisionPlan {
  const at = armIds(req.subscriptionId, req.resourceGroup);
  const n = req.hostName;
  const names = hostResourceNames(n);
  const partOf = { [TAG_PART_OF]: n };
  const ids = {
    vnet: at.network('virtualNetworks', names.vnet),
    nsg: at.network('networkSecurityGroups', names.nsg),
    publicIp: at.network('publicIPAddresses', names.publicIp),
    nic: at.network('networkInterfaces', names.nic),
    vm: at.compute('virtualMachines', names.vm),
  };
  const resources: PlannedResource[] = [];
  if (req.createResourceGroup) {
    resources.push(plannedGroup(req.subscriptionId, req.resourceGroup, req.location, n));
  }
  const afterGroup: ResourceKey[] = req.createResourceGroup ? ['resourceGroup'] : [];
  resources.push(
    { key: 'vnet', id: ids.vnet, name: names.vnet, ...RESOURCE_KINDS.vnet, dependsOn: afterGroup, body: vnetBody(req.location, partOf) },
    {
      key: 'nsg',
      id: ids.nsg,
      name: names.nsg,
      ...RESOURCE_KINDS.nsg,
      dependsOn: afterGroup,
      body: { location: req.location, tags: partOf, properties: { securityRules: userInboundRules(req.sourceRange, req.access) } },
    },
    {
      key: 'publicIp',
      id: ids.publicIp,
      name: names.publicIp,
      ...RESOURCE_KINDS.publicIp,
      dependsOn: afterGroup,
      body: publicIpBody(req.location, partOf, req.dnsLabel),
    },
    {
      key: 'nic',
      id: ids.nic,
      name: names.nic,
      ...RESOURCE_KINDS.nic,
      dependsOn: ['vnet', 'nsg', 'publicIp'],
      body: nicBody(req.location, partOf, ids),
    },
    { key: 'vm', id: ids.vm, name: names.vm, ...RESOURCE_KINDS.vm, dependsOn: ['nic'], body: vmBody(req, ids.nic, '') },
  );
  const osDisk = { id: at.compute('disks', names.osDisk), name: names.osDisk, ...RESOURCE_KINDS.osDisk };
  return { request: req, resources, osDisk };
}

/** The VM, SSH-key-only, with cloud-init in customData; NIC and OS disk go when the VM is deleted. */
export function vmBody(req: ProvisionRequest, nicId: string, customData: string): Record<string, unknown> {
  return {
    location: req.location,
    tags: {
      [TAG_HOST]: 'true',
      [TAG_DAEMON]: req.access,
      [TAG_ADMIN_USER]: req.adminUser,
      [TAG_PART_OF]: req.hostName,
      ...(req.swarm ? { [TAG_SWARM]: req.swarm } : {}),
    },
    properties: {
      hardwareProfile: { vmSize: req.vmSize },
      storageProfile: {
        imageReference: IMAGES[req.image].reference,
        osDisk: {
          name: hostResourceNames(req.hostName).osDisk,
          createOption: 'FromImage',
          deleteOption: 'Delete',
          managedDisk: { storageAccountType: 'StandardSSD_LRS' },
        },
      },
      osProfile: {
        computerName: req.hostName,
        adminUsername: req.adminUser,
        customData,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: `/home/${req.adminUser}/.ssh/authorized_keys`, keyData: req.sshPublicKey }] },
        },
      },
      networkProfile: { networkInterfaces: [{ id: nicId, properties: { primary: true, deleteOption: 'Delete' } }] },
    },
  };
}

/** Which of the offered images a VM was made from; undefined for any other. */
export function imageKeyOf(reference: { publisher?: string; offer?: string; sku?: string } | undefined): ImageKey | undefined {
  const same = (a?: string, b?: string) => (a ?? '').toLowerCase() === (b ?? '').toLowerCase();
  return (Object.keys(IMAGES) as ImageKey[]).find((key) => {
    const known = IMAGES[key].reference;
    return same(known.publisher, reference?.publisher) && same(known.offer, reference?.offer) && same(known.sku, reference?.sku);
  });
}

/**
 * The Azure SDKs take models with every `properties` envelope lifted into its parent (the
 * `x-ms-client-flatten` convention); the plan keeps the REST shape that templates and specs use.
 */
export function toSdkModel<T>(rest: unknown): T {
  if (Array.isArray(rest)) {
    return rest.map((item) => toSdkModel(item)) as T;
  }
  if (!rest || typeof rest !== 'object') {
    return rest as T;
  }
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(rest)) {
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      Object.assign(out, toSdkModel(value));
    } else if (key === 'tags') {
      out[key] = value;
    } else {
      out[key] = toSdkModel(value);
    }
  }
  return out as T;
}
