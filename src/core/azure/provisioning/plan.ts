import { TAG_ADMIN_USER, TAG_CREATED_GROUP, TAG_DAEMON, TAG_HOST, TAG_PART_OF } from '../hostTags';

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

/**
 * Everything a host needs, as data: which resources, their bodies and what waits for what. The
 * network pieces and the public IP depend only on the group, so they are created together; the NIC
 * needs them, the VM needs the NIC. The VM body gets its custom data later (it carries a server
 * certificate that names the public IP, known only once the IP exists).
 */
export function planProvisioning(req: ProvisionRequest): ProvisionPlan {
  const rgId = `/subscriptions/${req.subscriptionId}/resourceGroups/${req.resourceGroup}`;
  const net = (type: string, name: string) => `${rgId}/providers/Microsoft.Network/${type}/${name}`;
  const n = req.hostName;
  const names = hostResourceNames(n);
  const partOf = { [TAG_PART_OF]: n };
  const ids = {
    vnet: net('virtualNetworks', names.vnet),
    nsg: net('networkSecurityGroups', names.nsg),
    publicIp: net('publicIPAddresses', names.publicIp),
    nic: net('networkInterfaces', names.nic),
    vm: `${rgId}/providers/Microsoft.Compute/virtualMachines/${names.vm}`,
  };
  const inbound = (name: string, port: number, priority: number) => ({
    name,
    properties: {
      protocol: 'Tcp',
      access: 'Allow',
      direction: 'Inbound',
      priority,
      sourceAddressPrefix: req.sourceRange,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: String(port),
    },
  });
  const rules = [inbound('SSH', 22, 1000), ...(req.access === 'tls' ? [inbound('DockerTLS', DOCKER_TLS_PORT, 1010)] : [])];
  const resources: PlannedResource[] = [];
  if (req.createResourceGroup) {
    resources.push({
      key: 'resourceGroup',
      id: rgId,
      name: req.resourceGroup,
      ...RESOURCE_KINDS.resourceGroup,
      dependsOn: [],
      body: { location: req.location, tags: { [TAG_CREATED_GROUP]: n } },
    });
  }
  const afterGroup: ResourceKey[] = req.createResourceGroup ? ['resourceGroup'] : [];
  resources.push(
    {
      key: 'vnet',
      id: ids.vnet,
      name: names.vnet,
      ...RESOURCE_KINDS.vnet,
      dependsOn: afterGroup,
      body: {
        location: req.location,
        tags: partOf,
        properties: {
          addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
          subnets: [{ name: 'default', properties: { addressPrefix: '10.0.0.0/24' } }],
        },
      },
    },
    {
      key: 'nsg',
      id: ids.nsg,
      name: names.nsg,
      ...RESOURCE_KINDS.nsg,
      dependsOn: afterGroup,
      body: { location: req.location, tags: partOf, properties: { securityRules: rules } },
    },
    {
      key: 'publicIp',
      id: ids.publicIp,
      name: names.publicIp,
      ...RESOURCE_KINDS.publicIp,
      dependsOn: afterGroup,
      body: {
        location: req.location,
        tags: partOf,
        sku: { name: 'Standard', tier: 'Regional' },
        properties: { publicIPAllocationMethod: 'Static', publicIPAddressVersion: 'IPv4', dnsSettings: { domainNameLabel: req.dnsLabel } },
      },
    },
    {
      key: 'nic',
      id: ids.nic,
      name: names.nic,
      ...RESOURCE_KINDS.nic,
      dependsOn: ['vnet', 'nsg', 'publicIp'],
      body: {
        location: req.location,
        tags: partOf,
        properties: {
          networkSecurityGroup: { id: ids.nsg },
          ipConfigurations: [
            {
              name: 'ipconfig1',
              properties: {
                subnet: { id: `${ids.vnet}/subnets/default` },
                privateIPAllocationMethod: 'Dynamic',
                publicIPAddress: { id: ids.publicIp },
              },
            },
          ],
        },
      },
    },
    { key: 'vm', id: ids.vm, name: names.vm, ...RESOURCE_KINDS.vm, dependsOn: ['nic'], body: vmBody(req, ids.nic, '') },
  );
  const osDisk = { id: `${rgId}/providers/Microsoft.Compute/disks/${names.osDisk}`, name: names.osDisk, ...RESOURCE_KINDS.osDisk };
  return { request: req, resources, osDisk };
}

/** The VM, SSH-key-only, with cloud-init in customData; NIC and OS disk go when the VM is deleted. */
export function vmBody(req: ProvisionRequest, nicId: string, customData: string): Record<string, unknown> {
  return {
    location: req.location,
    tags: { [TAG_HOST]: 'true', [TAG_DAEMON]: req.access, [TAG_ADMIN_USER]: req.adminUser, [TAG_PART_OF]: req.hostName },
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
