/**
 * Seeds a complete Docker host VM the way provisioning creates one, through the same request
 * handlers clients use (so seeded resources look exactly like created ones), with every
 * long-running operation run to completion and nothing recorded.
 */
import { randomBytes } from 'node:crypto';
import { resourceGroupId, resourceId } from './armState';
import type { EmulatorCore } from './emulatorCore';
import { API_VERSIONS } from './routes';
import { seedExtension, type SeedExtension } from './vmExtensions';
import type { VmHidden } from './vmModel';

export interface SeedVm {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
  location?: string;
  vmSize?: string;
  tags?: Record<string, string>;
  powerState?: 'running' | 'stopped' | 'deallocated';
  publicIp?: boolean;
  dnsLabel?: string;
  /** A fixed public address, e.g. 127.0.0.1 so a test's own daemon answers as the VM. */
  publicIpAddress?: string;
  adminUsername?: string;
  /** The image reference (default Ubuntu 24.04 LTS); a MicrosoftWindowsServer image makes a Windows VM. */
  image?: { publisher: string; offer: string; sku: string; version?: string };
  /** What happens to the NIC and OS disk when the VM is deleted (default 'Delete', as the portal does). */
  deleteOption?: 'Delete' | 'Detach';
  /** Extensions already on the VM, e.g. the retired DockerExtension, which no PUT could add today. */
  extensions?: SeedExtension[];
  /** False: the NSG opens SSH only, as on a VM never set up for Docker, so a test sees the 2376 rule the product adds. */
  dockerTlsRule?: boolean;
}

// A well-formed public key; nothing ever connects with it.
const SEED_SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD arm-emulator-seed';

export function seedVm(core: EmulatorCore, v: SeedVm): string {
  const location = v.location ?? 'westeurope';
  const sub = v.subscriptionId;
  const net = API_VERSIONS.network[API_VERSIONS.network.length - 1];
  const id = (type: string, name: string) => resourceId(sub, v.resourceGroup, 'Microsoft.Network', type, name);
  if (!core.state.resourceGroup(sub, v.resourceGroup)) {
    core.seed('PUT', resourceGroupId(sub, v.resourceGroup), { location }, API_VERSIONS.resources[0]);
  }
  const vnetId = id('virtualNetworks', `${v.name}-vnet`);
  core.seed(
    'PUT',
    vnetId,
    {
      location,
      properties: {
        addressSpace: { addressPrefixes: ['10.0.0.0/16'] },
        subnets: [{ name: 'default', properties: { addressPrefix: '10.0.0.0/24' } }],
      },
    },
    net,
  );
  const nsgId = id('networkSecurityGroups', `${v.name}-nsg`);
  const rule = (name: string, port: string, priority: number) => ({
    name,
    properties: {
      protocol: 'Tcp',
      access: 'Allow',
      direction: 'Inbound',
      priority,
      sourceAddressPrefix: '*',
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: port,
    },
  });
  core.seed(
    'PUT',
    nsgId,
    { location, properties: { securityRules: [rule('SSH', '22', 1000), ...(v.dockerTlsRule === false ? [] : [rule('DockerTLS', '2376', 1010)])] } },
    net,
  );
  const ipConfig: Record<string, unknown> = { subnet: { id: `${vnetId}/subnets/default` } };
  if (v.publicIp !== false) {
    const pipId = id('publicIPAddresses', `${v.name}-ip`);
    const base = v.name.toLowerCase().replace(/[^a-z0-9-]/g, '');
    // Labels must start with a letter and be unique per region, as Azure requires.
    const dnsLabel = v.dnsLabel ?? `${/^[a-z]/.test(base) ? '' : 'h'}${base.slice(0, 50)}-${randomBytes(3).toString('hex')}`;
    core.seed(
      'PUT',
      pipId,
      {
        location,
        sku: { name: 'Standard', tier: 'Regional' },
        properties: {
          publicIPAllocationMethod: 'Static',
          // An empty label means no DNS name, so clients fall back to the address.
          ...(v.dnsLabel === '' ? {} : { dnsSettings: { domainNameLabel: dnsLabel } }),
          ...(v.publicIpAddress ? { ipAddress: v.publicIpAddress } : {}),
        },
      },
      net,
    );
    ipConfig.publicIPAddress = { id: pipId };
  }
  const nicId = id('networkInterfaces', `${v.name}-nic`);
  core.seed(
    'PUT',
    nicId,
    { location, properties: { networkSecurityGroup: { id: nsgId }, ipConfigurations: [{ name: 'ipconfig1', properties: ipConfig }] } },
    net,
  );
  const user = v.adminUsername ?? 'azureuser';
  const deleteOption = v.deleteOption ?? 'Delete';
  const vmId = resourceId(sub, v.resourceGroup, 'Microsoft.Compute', 'virtualMachines', v.name);
  const image = { version: 'latest', ...(v.image ?? { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server' }) };
  const windows = image.publisher.toLowerCase() === 'microsoftwindowsserver';
  const osProfile = windows
    ? {
        computerName: v.name.slice(0, 15),
        adminUsername: user,
        adminPassword: `Seed-${randomBytes(9).toString('base64')}1a`,
        windowsConfiguration: {},
      }
    : {
        computerName: v.name,
        adminUsername: user,
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: `/home/${user}/.ssh/authorized_keys`, keyData: SEED_SSH_KEY }] },
        },
      };
  core.seed(
    'PUT',
    vmId,
    {
      location,
      ...(v.tags ? { tags: v.tags } : {}),
      properties: {
        hardwareProfile: { vmSize: v.vmSize ?? 'Standard_B2s' },
        storageProfile: {
          imageReference: image,
          osDisk: { createOption: 'FromImage', deleteOption, managedDisk: { storageAccountType: 'Premium_LRS' } },
        },
        osProfile,
        networkProfile: { networkInterfaces: [{ id: nicId, properties: { primary: true, deleteOption } }] },
      },
    },
    API_VERSIONS.virtualMachines[0],
  );
  for (const e of v.extensions ?? []) {
    seedExtension(core, core.state.get(vmId)!, e);
  }
  if (v.powerState && v.powerState !== 'running') {
    core.state.hiddenState<VmHidden>(vmId).power = v.powerState;
  }
  return vmId;
}
