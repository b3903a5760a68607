import test from 'node:test';
import assert from 'node:assert/strict';
import { powerStateOf, toAzureVms, nsgsOnlyUsedBy, ArmVm, ArmNic } from '../../src/core/azure/vmModel';
import { resolveCloud, AZURE_PUBLIC_CLOUD, portalResourceUrl } from '../../src/core/azure/cloud';
import { awaitsCertificates, dockerSpecForVm, isDockerHost } from '../../src/core/azure/azureHostSpec';
import { planDelete, planIds } from '../../src/core/azure/vmLifecycle';
import { describeAzureError, isAzureSignInError } from '../../src/core/azure/azureErrors';
import { parseArmId } from '../../src/core/azure/armIds';

const sub = '00000000-0000-0000-0000-000000000001';
const rgId = `/subscriptions/${sub}/resourceGroups/rg1`;
const nicId = `${rgId}/providers/Microsoft.Network/networkInterfaces/web-nic`;
const pipId = `${rgId}/providers/Microsoft.Network/publicIPAddresses/web-ip`;
const nsgId = `${rgId}/providers/Microsoft.Network/networkSecurityGroups/web-nsg`;

function vm(over: Partial<ArmVm> = {}): ArmVm {
  return {
    id: `${rgId}/providers/Microsoft.Compute/virtualMachines/web`,
    name: 'web',
    location: 'westeurope',
    tags: { 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': 'ssh', 'dockerOnAzure:adminUser': 'azureuser' },
    hardwareProfile: { vmSize: 'Standard_B2s' },
    storageProfile: { osDisk: { name: 'web-osdisk', managedDisk: { id: `${rgId}/providers/Microsoft.Compute/disks/web-osdisk` } } },
    networkProfile: { networkInterfaces: [{ id: nicId.toUpperCase(), primary: true }] },
    instanceView: { statuses: [{ code: 'ProvisioningState/succeeded' }, { code: 'PowerState/deallocated', time: '2026-11-01T10:00:00Z' }] },
    ...over,
  };
}
const nic: ArmNic = {
  id: nicId,
  networkSecurityGroup: { id: nsgId },
  ipConfigurations: [{ privateIPAddress: '10.0.0.4', publicIPAddress: { id: pipId } }],
};
const pip = { id: pipId, ipAddress: '20.1.2.3', dnsSettings: { fqdn: 'web.westeurope.cloudapp.azure.com' } };

test('power state comes from the PowerState status; a VM being created reads as starting', () => {
  assert.deepEqual(powerStateOf(vm()), { state: 'deallocated', since: '2026-11-01T10:00:00.000Z' });
  assert.equal(powerStateOf({ instanceView: { statuses: [{ code: 'PowerState/running' }] } }).state, 'running');
  assert.equal(powerStateOf({ provisioningState: 'Creating' }).state, 'starting');
  assert.equal(powerStateOf({}).state, 'unknown');
});

test('VMs are joined with NICs and public IPs from the subscription-wide listings (ids compare case-insensitively)', () => {
  const [host] = toAzureVms([vm()], [nic], [pip]);
  assert.equal(host.publicIp, '20.1.2.3');
  assert.equal(host.fqdn, 'web.westeurope.cloudapp.azure.com');
  assert.equal(host.privateIp, '10.0.0.4');
  assert.deepEqual(host.nsgIds, [nsgId]);
  assert.deepEqual(host.publicIpIds, [pipId]);
  assert.equal(host.resourceGroup, 'rg1');
  assert.equal(host.vmSize, 'Standard_B2s');
  assert.deepEqual(host.provisioned, { daemon: 'ssh', adminUser: 'azureuser' });
  const [plain] = toAzureVms([vm({ tags: {} })], [], []);
  assert.equal(plain.provisioned, undefined);
  assert.equal(plain.publicIp, undefined);
});

test('a provisioned host connects over SSH as its admin user at its static IP; TLS hosts on 2376', () => {
  const [host] = toAzureVms([vm()], [nic], [pip]);
  assert.equal(isDockerHost(host, undefined), true);
  const spec = dockerSpecForVm(host, undefined)!;
  assert.equal(spec.address, 'ssh://azureuser@20.1.2.3');
  assert.equal(spec.source, 'azure');
  const [tlsHost] = toAzureVms([vm({ tags: { 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': 'tls' } })], [nic], [pip]);
  const tlsSpec = dockerSpecForVm(tlsHost, undefined, { ca: 'CA', cert: 'CERT', key: 'KEY' })!;
  assert.equal(tlsSpec.address, 'tcp://20.1.2.3:2376');
  assert.deepEqual(tlsSpec.tlsPem, { ca: 'CA', cert: 'CERT', key: 'KEY' });
});

test('a marked VM uses what the user recorded; without a public address there is no spec', () => {
  const [plain] = toAzureVms([vm({ tags: {} })], [nic], [pip]);
  assert.equal(isDockerHost(plain, undefined), false);
  const mark = { access: 'ssh' as const, user: 'ops', port: 2222, identityFile: '/home/me/.ssh/ops' };
  assert.equal(isDockerHost(plain, mark), true);
  const spec = dockerSpecForVm(plain, mark)!;
  assert.equal(spec.address, 'ssh://ops@20.1.2.3:2222');
  assert.equal(spec.identityFile, '/home/me/.ssh/ops');
  const [noIp] = toAzureVms([vm()], [{ ...nic, ipConfigurations: [{ privateIPAddress: '10.0.0.4' }] }], []);
  assert.equal(dockerSpecForVm(noIp, undefined), undefined);
});

test('the retired DockerExtension is read from the agent, a whole model, or a listed id; other extensions are not it', () => {
  const extId = (name: string) => `${rgId}/providers/Microsoft.Compute/virtualMachines/web/extensions/${name}`;
  const legacy = (over: Partial<ArmVm>) => toAzureVms([vm({ tags: {}, ...over })], [nic], [pip])[0];
  const running = { statuses: [{ code: 'PowerState/running' }] };
  assert.equal(
    legacy({ instanceView: { ...running, extensions: [{ name: 'docker', type: 'Microsoft.Azure.Extensions.DockerExtension' }] } })
      .legacyDockerExtension,
    true,
  );
  assert.equal(
    legacy({ resources: [{ id: extId('docker'), publisher: 'Microsoft.Azure.Extensions', typePropertiesType: 'DockerExtension' }] })
      .legacyDockerExtension,
    true,
  );
  assert.equal(legacy({ resources: [{ id: extId('DockerExtension') }] }).legacyDockerExtension, true, 'a list gives the id alone');
  for (const other of [
    legacy({ resources: [{ id: extId('DockerExtension'), publisher: 'Microsoft.Azure.Extensions', typePropertiesType: 'CustomScript' }] }),
    legacy({ resources: [{ id: extId('installDocker') }] }),
    legacy({ instanceView: { ...running, extensions: [{ name: 'installDocker', type: 'Microsoft.Azure.Extensions.CustomScript' }] } }),
  ]) {
    assert.equal(other.legacyDockerExtension, undefined);
  }
  // Listed as a host on TLS 2376, but reached only once the user points at its certificates.
  const old = legacy({ resources: [{ id: extId('DockerExtension') }] });
  assert.equal(isDockerHost(old, undefined), true);
  assert.equal(awaitsCertificates(old, undefined), true);
  assert.equal(dockerSpecForVm(old, undefined)!.address, 'tcp://20.1.2.3:2376');
  const mark = { access: 'tls' as const, port: 2376, tls: { ca: '/c/ca.pem', cert: '/c/cert.pem', key: '/c/key.pem' } };
  assert.equal(awaitsCertificates(old, mark), false);
  assert.deepEqual(dockerSpecForVm(old, mark)!.tls, mark.tls);
});

test('delete takes the VM, its NIC, IP and disk, and an NSG only when no other NIC uses it', () => {
  const [host] = toAzureVms([vm()], [nic], [pip]);
  const otherNic: ArmNic = {
    id: `${rgId}/providers/Microsoft.Network/networkInterfaces/other-nic`,
    networkSecurityGroup: { id: nsgId.toUpperCase() },
  };
  assert.deepEqual(nsgsOnlyUsedBy(host, [nic]), [nsgId]);
  assert.deepEqual(nsgsOnlyUsedBy(host, [nic, otherNic]), []);
  const plan = planDelete(host, [nic, otherNic], { 'dockerOnAzure:createdFor': 'web' });
  assert.deepEqual(
    planIds(plan).map((id) => parseArmId(id).name),
    ['web', 'WEB-NIC', 'web-ip', 'web-osdisk'],
  );
  assert.equal(plan.resourceGroup, 'rg1');
  assert.equal(planDelete(host, [nic], { 'dockerOnAzure:createdFor': 'another-host' }).resourceGroup, undefined);
  assert.equal(planDelete(host, [nic], undefined).resourceGroup, undefined);
});

test("deleting a swarm node keeps the swarm's NSG even when no other node uses it any more: it was made with the swarm, not the node", () => {
  const [node] = toAzureVms([vm({ tags: { ...vm().tags, 'dockerOnAzure:partOf': 'web', 'dockerOnAzure:swarm': 'sw' } })], [nic], [pip]);
  const plan = planDelete(node, [nic], { 'dockerOnAzure:createdFor': 'sw' });
  assert.deepEqual(
    planIds(plan).map((id) => parseArmId(id).name),
    ['web', 'WEB-NIC', 'web-ip', 'web-osdisk'],
  );
  assert.equal(plan.resourceGroup, undefined, "the swarm's group stays");
});

test('custom clouds need https, and derive the token scope from the endpoint or audience', () => {
  assert.equal(resolveCloud({}), AZURE_PUBLIC_CLOUD);
  const stack = resolveCloud({
    resourceManagerEndpoint: 'https://management.local.azurestack.external/',
    authorityHost: 'https://adfs.local.azurestack.external/adfs/',
    audience: 'https://management.adfs.azurestack.local/abc',
  });
  assert.equal(stack.resourceManagerEndpoint, 'https://management.local.azurestack.external');
  assert.equal(stack.authorityHost, 'https://adfs.local.azurestack.external/adfs');
  assert.equal(stack.managementScope, 'https://management.adfs.azurestack.local/abc/.default');
  assert.equal(stack.isCustom, true);
  assert.throws(() => resolveCloud({ resourceManagerEndpoint: 'http://127.0.0.1:8443' }), /must use https/);
  assert.throws(() => resolveCloud({ resourceManagerEndpoint: 'not a url' }), /is not a URL/);
  assert.equal(
    portalResourceUrl(AZURE_PUBLIC_CLOUD, 't1', '/subscriptions/s/resourceGroups/r'),
    'https://portal.azure.com/#@t1/resource/subscriptions/s/resourceGroups/r',
  );
});

test('expired or missing sign-ins become sign-in errors; ARM errors keep their code; no secrets in messages', () => {
  assert.ok(
    isAzureSignInError(describeAzureError({ statusCode: 401, code: 'ExpiredAuthenticationToken', message: 'The access token expiry…' }, 'list VMs')),
  );
  assert.ok(isAzureSignInError(describeAzureError({ name: 'AuthenticationRequiredError', message: 'x' }, 'list VMs')));
  const armErr = describeAzureError({ statusCode: 409, code: 'OperationNotAllowed', message: 'VM is being deleted' }, 'start web');
  assert.equal(isAzureSignInError(armErr), false);
  assert.equal(armErr.message, 'Could not start web: OperationNotAllowed — VM is being deleted');
  assert.match(
    describeAzureError({ statusCode: 403, code: 'AuthorizationFailed', message: 'no access' }, 'delete web').message,
    /not allowed to delete web/,
  );
});
