import test from 'node:test';
import assert from 'node:assert/strict';
import {
  planSwarmProvisioning,
  planSwarmWorker,
  swarmInboundRules,
  validateSwarmName,
  validateWorkerCount,
  type SwarmProvisionRequest,
} from '../../src/core/azure/provisioning/swarmPlan';
import { freeSwarmName, freeWorkerName, swarmNameTaken } from '../../src/core/azure/provisioning/takenNames';
import { TAG_SWARM } from '../../src/core/azure/hostTags';
import { imageKeyOf, IMAGES } from '../../src/core/azure/provisioning/plan';
import { dockerSpecForVm } from '../../src/core/azure/azureHostSpec';

const request = (over: Partial<SwarmProvisionRequest> = {}): SwarmProvisionRequest => ({
  subscriptionId: 'sub',
  location: 'westeurope',
  resourceGroup: 'rg',
  createResourceGroup: true,
  swarmName: 'sw',
  managers: 3,
  workers: 1,
  vmSize: 'Standard_B2s',
  image: 'ubuntu-24.04',
  adminUser: 'azureuser',
  sshPublicKey: 'ssh-ed25519 AAAA test',
  sourceRange: '203.0.113.7',
  ...over,
});

test('managers come first, then workers; every NIC is in the one shared subnet behind the one NSG', () => {
  const plan = planSwarmProvisioning(request());
  assert.deepEqual(
    plan.nodes.map((n) => [n.host.hostName, n.role]),
    [
      ['sw-m1', 'manager'],
      ['sw-m2', 'manager'],
      ['sw-m3', 'manager'],
      ['sw-w1', 'worker'],
    ],
  );
  for (const n of plan.nodes) {
    const nic = n.nic.body as {
      properties: { networkSecurityGroup: { id: string }; ipConfigurations: { properties: { subnet: { id: string } } }[] };
    };
    assert.equal(nic.properties.networkSecurityGroup.id, plan.nsg.id);
    assert.equal(nic.properties.ipConfigurations[0].properties.subnet.id, `${plan.vnet.id}/subnets/default`);
    assert.equal(n.host.access, 'tls');
  }
  assert.equal(plan.group?.name, 'rg');
  assert.equal(planSwarmProvisioning(request({ createResourceGroup: false })).group, undefined);
});

test('the swarm rules admit only VirtualNetwork, never the internet', () => {
  const sources = swarmInboundRules().map((r) => (r as { properties: { sourceAddressPrefix: string } }).properties.sourceAddressPrefix);
  assert.deepEqual([...new Set(sources)], ['VirtualNetwork']);
});

test('a manager count other than 1 or 3, or a worker count out of range, is refused with one sentence', () => {
  assert.throws(() => planSwarmProvisioning(request({ managers: 2 })), /^Error: A swarm on Azure has 1 or 3 managers, not 2\.$/);
  assert.throws(() => planSwarmProvisioning(request({ workers: 21 })), /^Error: A swarm on Azure has 0 to 20 workers, not 21\.$/);
  assert.equal(validateWorkerCount('0'), undefined);
  assert.equal(validateWorkerCount('20'), undefined);
  for (const bad of ['21', '-1', 'two', '1.5', '']) {
    assert.equal(validateWorkerCount(bad), 'Enter a whole number from 0 to 20.', bad);
  }
});

test('a swarm name leaves room for its longest node name and follows the host name rule', () => {
  assert.equal(validateSwarmName('a'.repeat(59)), undefined);
  assert.match(validateSwarmName('a'.repeat(60)) ?? '', /^Use at most 59 characters/);
  assert.match(validateSwarmName('Swarm') ?? '', /lowercase/);
});

test('a swarm name is taken by its network, its NSG or its first node anywhere in the subscription', () => {
  const vm = { name: 'swarm-1-m1', type: 'Microsoft.Compute/virtualMachines', resourceGroup: 'other' };
  assert.equal(swarmNameTaken('swarm-1', [vm]), 'The virtual machine swarm-1-m1 already exists in resource group other: choose another swarm name.');
  assert.equal(freeSwarmName([vm]), 'swarm-2');
  const nsg = { name: 'SWARM-2-NSG', type: 'Microsoft.Network/networkSecurityGroups', resourceGroup: 'g' };
  assert.equal(
    swarmNameTaken('swarm-2', [nsg]),
    'The network security group SWARM-2-NSG already exists in resource group g: choose another swarm name.',
  );
  assert.equal(freeSwarmName([vm, nsg]), 'swarm-3');
});

test("every node VM carries its swarm's name, and that name reaches the node's host spec", () => {
  const plan = planSwarmProvisioning(request());
  for (const n of plan.nodes) {
    assert.equal((n.vm.body as { tags: Record<string, string> }).tags[TAG_SWARM], 'sw', n.host.hostName);
  }
  const vm = { id: '/subscriptions/s/resourceGroups/rg/providers/Microsoft.Compute/virtualMachines/sw-w1', name: 'sw-w1', publicIp: '203.0.113.9' };
  const spec = (tags: Record<string, string>) => dockerSpecForVm({ ...vm, tags, provisioned: { daemon: 'tls' } } as never, undefined);
  assert.equal(spec({ [TAG_SWARM]: 'sw' })?.swarmOnAzure, 'sw');
  assert.equal(spec({})?.swarmOnAzure, undefined, 'a host made alone is no swarm node');
});

test("a worker added later is planned as the swarm's own nodes are: same subnet and NSG, which it only refers to", () => {
  const swarm = planSwarmProvisioning(request({ createResourceGroup: false }));
  const { sourceRange: _s, createResourceGroup: _c, managers: _m, workers: _w, ...base } = request();
  const added = planSwarmWorker(base, 'sw-w2');
  const planned = swarm.nodes.find((n) => n.host.hostName === 'sw-w1')!;
  const rename = (text: string) => text.replaceAll('sw-w1', 'sw-w2');
  assert.deepEqual(JSON.parse(rename(JSON.stringify(planned))), added, 'the same builders, only the name differs');
  assert.deepEqual(added.nic.dependsOn, ['vnet', 'nsg', 'publicIp']);
  assert.deepEqual(added.publicIp.dependsOn, [], 'nothing waits for a group this run does not create');
});

test('the next worker takes the first -wN none of whose resources exists', () => {
  const vm = (name: string) => ({ name, type: 'Microsoft.Compute/virtualMachines', resourceGroup: 'rg' });
  assert.equal(freeWorkerName('sw', []), 'sw-w1');
  assert.equal(freeWorkerName('sw', [vm('sw-m1'), vm('sw-w1'), vm('sw-w3')]), 'sw-w2');
  assert.equal(freeWorkerName('sw', [vm('sw-w1'), { name: 'sw-w2-osdisk', type: 'Microsoft.Compute/disks', resourceGroup: 'rg' }]), 'sw-w3');
});

test('the image of an existing node is recognised, case aside; another image is not', () => {
  assert.equal(imageKeyOf({ ...IMAGES['ubuntu-22.04'].reference, publisher: 'canonical' }), 'ubuntu-22.04');
  assert.equal(imageKeyOf({ publisher: 'Debian', offer: 'debian-12', sku: '12' }), undefined);
});
