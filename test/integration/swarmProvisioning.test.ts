/**
 * A swarm's VMs through the real Azure SDKs against the ARM emulator: what exists afterwards is read
 * from the emulator's inventory, not from what the product says it made.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR } from '../support/testEnv';
import type { ArmClients } from '../../src/core/azure/armClients';
import { productArmClients, serverTlsFrom } from '../support/productArmClients';
import { ProvisionError, type ProvisionEvent } from '../../src/core/azure/provisioning/executor';
import { executeSwarmProvisioning, type ProvisionedNode } from '../../src/core/azure/provisioning/swarmExecutor';
import { planSwarmProvisioning, type SwarmProvisionRequest } from '../../src/core/azure/provisioning/swarmPlan';
import { createCertificateAuthority, type PemPair } from '../../src/core/azure/provisioning/certificates';
import { TAG_HOST } from '../../src/core/azure/hostTags';

let arm: ArmEmulator;
let clients: ArmClients;
let sub: string;
let ca: PemPair;
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD test';

function request(over: Partial<SwarmProvisionRequest>): SwarmProvisionRequest {
  return {
    subscriptionId: sub,
    location: 'westeurope',
    resourceGroup: 'swarm-rg',
    createResourceGroup: true,
    swarmName: 'sw',
    managers: 1,
    workers: 2,
    vmSize: 'Standard_B2s',
    image: 'ubuntu-24.04',
    adminUser: 'azureuser',
    sshPublicKey: SSH_KEY,
    sourceRange: '203.0.113.7',
    ...over,
  };
}

function deps(events: ProvisionEvent[] = []) {
  return {
    clients,
    onEvent: (e: ProvisionEvent) => events.push(e),
    makeServerTls: serverTlsFrom(ca),
  };
}

const ofGroup = (rg: string) =>
  arm
    .inventory()
    .filter(
      (id) => id.toLowerCase().includes(`/resourcegroups/${rg.toLowerCase()}/`) || id.toLowerCase().endsWith(`/resourcegroups/${rg.toLowerCase()}`),
    );
const tail = (id: string) => id.split('/').slice(-2).join('/');

type Rule = {
  name: string;
  properties: { protocol: string; sourceAddressPrefix: string; destinationPortRange: string; access: string; direction: string };
};

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  sub = arm.subscriptions[0].subscriptionId;
  clients = productArmClients(arm, sub);
  ca = await createCertificateAuthority('swarm test CA');
});

after(() => arm.stop());

test('three nodes share one VNet and one NSG; swarm ports are open from VirtualNetwork only, SSH and 2376 from the user', async () => {
  const nodes = await executeSwarmProvisioning(planSwarmProvisioning(request({})), deps(), async (n) => n);
  assert.deepEqual(ofGroup('swarm-rg').map(tail).sort(), [
    'disks/sw-m1-osdisk',
    'disks/sw-w1-osdisk',
    'disks/sw-w2-osdisk',
    'networkInterfaces/sw-m1-nic',
    'networkInterfaces/sw-w1-nic',
    'networkInterfaces/sw-w2-nic',
    'networkSecurityGroups/sw-nsg',
    'publicIPAddresses/sw-m1-ip',
    'publicIPAddresses/sw-w1-ip',
    'publicIPAddresses/sw-w2-ip',
    'resourceGroups/swarm-rg',
    'virtualMachines/sw-m1',
    'virtualMachines/sw-w1',
    'virtualMachines/sw-w2',
    'virtualNetworks/sw-vnet',
  ]);
  const rg = `/subscriptions/${sub}/resourceGroups/swarm-rg`;
  const nsg = arm.resource(`${rg}/providers/Microsoft.Network/networkSecurityGroups/sw-nsg`) as { properties: { securityRules: Rule[] } };
  assert.deepEqual(
    nsg.properties.securityRules.map((r) => [
      r.name,
      r.properties.protocol,
      r.properties.destinationPortRange,
      r.properties.sourceAddressPrefix,
      r.properties.access,
      r.properties.direction,
    ]),
    [
      ['SSH', 'Tcp', '22', '203.0.113.7', 'Allow', 'Inbound'],
      ['DockerTLS', 'Tcp', '2376', '203.0.113.7', 'Allow', 'Inbound'],
      ['SwarmManagement', 'Tcp', '2377', 'VirtualNetwork', 'Allow', 'Inbound'],
      ['SwarmGossipTcp', 'Tcp', '7946', 'VirtualNetwork', 'Allow', 'Inbound'],
      ['SwarmGossipUdp', 'Udp', '7946', 'VirtualNetwork', 'Allow', 'Inbound'],
      ['SwarmOverlay', 'Udp', '4789', 'VirtualNetwork', 'Allow', 'Inbound'],
    ],
  );
  const subnet = `${rg}/providers/Microsoft.Network/virtualNetworks/sw-vnet/subnets/default`;
  const privateIps: string[] = [];
  for (const name of ['sw-m1', 'sw-w1', 'sw-w2']) {
    const nic = arm.resource(`${rg}/providers/Microsoft.Network/networkInterfaces/${name}-nic`) as {
      properties: { networkSecurityGroup: { id: string }; ipConfigurations: { properties: { subnet: { id: string }; privateIPAddress: string } }[] };
    };
    assert.equal(
      nic.properties.networkSecurityGroup.id.toLowerCase(),
      `${rg}/providers/Microsoft.Network/networkSecurityGroups/sw-nsg`.toLowerCase(),
    );
    assert.equal(nic.properties.ipConfigurations[0].properties.subnet.id.toLowerCase(), subnet.toLowerCase());
    privateIps.push(nic.properties.ipConfigurations[0].properties.privateIPAddress);
    const vm = arm.resource(`${rg}/providers/Microsoft.Compute/virtualMachines/${name}`) as { tags: Record<string, string> };
    assert.equal(vm.tags[TAG_HOST], 'true', `${name} is marked as a Docker host`);
    assert.equal(vm.tags['dockerOnAzure:daemon'], 'tls');
  }
  assert.deepEqual(
    nodes.map((n: ProvisionedNode) => [n.hostName, n.role, n.privateIp]),
    [
      ['sw-m1', 'manager', privateIps[0]],
      ['sw-w1', 'worker', privateIps[1]],
      ['sw-w2', 'worker', privateIps[2]],
    ],
  );
  assert.equal(new Set(privateIps).size, 3, 'each node has its own address in the subnet');
  assert.equal(new Set(nodes.map((n) => n.publicIp)).size, 3);
});

test('a refused second VM removes exactly what the run created; the pre-existing group and what is in it stay byte-identical', async () => {
  arm.addVm({ subscriptionId: sub, resourceGroup: 'owned-rg', name: 'bystander' });
  const before = arm.snapshot();
  arm.faults.refuseNext(
    'PUT',
    /\/virtualMachines\/rb-w1$/i,
    409,
    'OperationNotAllowed',
    'Operation could not be completed as it results in exceeding approved standardBSFamily Cores quota.',
  );
  const events: ProvisionEvent[] = [];
  const err = await executeSwarmProvisioning(
    planSwarmProvisioning(request({ resourceGroup: 'owned-rg', createResourceGroup: false, swarmName: 'rb' })),
    deps(events),
    async () => assert.fail('no swarm is formed after a failed VM'),
  ).then(
    () => assert.fail('provisioning should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProvisionError);
  assert.match(err.message, /quota/);
  assert.deepEqual(err.rollback.remaining, []);
  // Everything the run started, the refused VM too: a create that failed may still have left it (ARM answers its delete 204).
  assert.deepEqual(err.rollback.removed.map(tail).sort(), [
    'networkInterfaces/rb-m1-nic',
    'networkInterfaces/rb-w1-nic',
    'networkInterfaces/rb-w2-nic',
    'networkSecurityGroups/rb-nsg',
    'publicIPAddresses/rb-m1-ip',
    'publicIPAddresses/rb-w1-ip',
    'publicIPAddresses/rb-w2-ip',
    'virtualMachines/rb-m1',
    'virtualMachines/rb-w1',
    'virtualMachines/rb-w2',
    'virtualNetworks/rb-vnet',
  ]);
  assert.equal(arm.snapshot(), before, 'the store is as it was before the run');
  assert.ok(
    events.some((e) => e.kind === 'resource' && e.resource.name === 'rb-w1' && e.state === 'creating'),
    'progress names each node',
  );
});

test('a failure while forming the swarm rolls back the whole run: the group it created goes whole', async () => {
  const before = arm.snapshot();
  const err = await executeSwarmProvisioning(
    planSwarmProvisioning(request({ resourceGroup: 'doomed-rg', swarmName: 'dm', workers: 1 })),
    deps(),
    async () => {
      throw new Error('dm-w1 could not join the swarm');
    },
  ).then(
    () => assert.fail('provisioning should fail'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProvisionError);
  assert.match(err.message, /could not join/);
  assert.deepEqual(err.rollback.removed.map(tail), ['resourceGroups/doomed-rg']);
  assert.equal(arm.snapshot(), before);
});

test('a swarm name whose resources exist is refused before anything is created', async () => {
  await executeSwarmProvisioning(planSwarmProvisioning(request({ resourceGroup: 'first-rg', swarmName: 'dup', workers: 0 })), deps(), async (n) => n);
  const before = arm.snapshot();
  const err = await executeSwarmProvisioning(
    planSwarmProvisioning(request({ resourceGroup: 'first-rg', createResourceGroup: false, swarmName: 'dup', workers: 1 })),
    deps(),
    async (n) => n,
  ).then(
    () => assert.fail('provisioning should be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ProvisionError);
  assert.match(err.message, /already exist in resource group first-rg.*choose another swarm name\.$/);
  assert.equal(arm.snapshot(), before);
});
