/**
 * Opening a deployed container's port in a provisioned host's network security group, against VMs
 * the ARM emulator boots as real Docker hosts with their NSGs enforced on the VM's address: who may
 * connect is decided by the rules the product wrote, as on Azure. Clients at different addresses
 * are sockets bound to different loopback addresses.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import type { NetworkManagementClient } from '@azure/arm-network';
import { startArmEmulator, type ArmEmulator } from '../support/armEmulator';
import { emulatorClients } from '../support/armEmulator/sdkClients';
import { BASE_IMAGE, importBusybox } from '../support/busyboxImage';
import { ARM_CA_DIR_VAR, dockerCli, eventually } from '../support/testEnv';
import { openPorts } from '../../src/core/azure/nsgPorts';
import { executeProvisioning } from '../../src/core/azure/provisioning/executor';
import { planProvisioning } from '../../src/core/azure/provisioning/plan';
import { createCertificateAuthority, createClientCertificate, createServerCertificate } from '../../src/core/azure/provisioning/certificates';
import { waitForDaemon } from '../../src/core/docker/waitForDaemon';

const ME = '127.0.0.1';
const HOME = '127.1.0.17';
const OFFICE = '127.1.0.18';
const STRANGER = '127.1.0.19';
const WEB = 8080;
const ADMIN = 8081;
const SSH_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD test';

let arm: ArmEmulator;
let network: NetworkManagementClient;
let address: string;
let nsgId: string;

/** The container's answer on `port` to a client at `from`, or 'refused'. */
function get(port: number, from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: address, port, path: '/', localAddress: from }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body.trim()));
      })
      .on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve('refused') : reject(e)));
  });
}

function reachable(port: number, from: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port, localAddress: from });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve(false) : reject(e)));
  });
}

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true, enforceNetworkSecurityGroups: true });
  const sub = arm.subscriptions[0].subscriptionId;
  const clients = emulatorClients(arm, sub);
  network = clients.network;
  const ca = await createCertificateAuthority('ports CA');
  const client = await createClientCertificate(ca, 'ports client');
  const result = await executeProvisioning(
    planProvisioning({
      subscriptionId: sub,
      location: 'westeurope',
      resourceGroup: 'ports-rg',
      createResourceGroup: true,
      hostName: 'ports-host',
      vmSize: 'Standard_B2s',
      image: 'ubuntu-24.04',
      adminUser: 'azureuser',
      sshPublicKey: SSH_KEY,
      access: 'tls',
      // Where this machine's own connections come from, so the product reaches the daemon.
      sourceRange: ME,
    }),
    {
      clients,
      onEvent: () => undefined,
      makeServerTls: async (names) => {
        const server = await createServerCertificate(ca, names);
        return { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem };
      },
    },
  );
  address = result.publicIp;
  nsgId = `/subscriptions/${sub}/resourceGroups/ports-rg/providers/Microsoft.Network/networkSecurityGroups/ports-host-nsg`;
  const spec = {
    id: 'azure:ports',
    name: 'ports-host',
    source: 'azure' as const,
    address: `tcp://${address}:2376`,
    tlsPem: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
  };
  await waitForDaemon(
    spec,
    { homeDir: '/nonexistent', knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 5000 },
    {
      timeoutMs: 60_000,
      intervalMs: 500,
    },
  );
  // The deployed container, set up through the VM's own socket: the test is about who reaches it.
  const socket = arm.bootedHosts()[0].socketPath;
  await importBusybox(socket);
  await dockerCli(
    [
      'run',
      '-d',
      '-p',
      `${WEB}:80`,
      '-p',
      `${ADMIN}:80`,
      BASE_IMAGE,
      'sh',
      '-c',
      'mkdir -p /www && echo hello > /www/index.html && httpd -f -p 80 -h /www',
    ],
    socket,
  );
});

after(() => arm?.stop());

test('opening a port for a second source keeps the first: home and office both reach the container, a stranger does not', async () => {
  // Only SSH and the daemon are open, and only for this machine.
  await eventually(async () => assert.equal(await reachable(2376, ME), true));
  assert.equal(await get(WEB, HOME), 'refused');

  await openPorts(network, nsgId, [{ port: WEB, protocol: 'tcp' }], HOME);
  assert.equal(await get(WEB, HOME), 'hello');
  assert.equal(await get(WEB, OFFICE), 'refused');

  await openPorts(network, nsgId, [{ port: WEB, protocol: 'tcp' }], OFFICE);
  assert.deepEqual(
    [await get(WEB, HOME), await get(WEB, OFFICE), await get(WEB, STRANGER)],
    ['hello', 'hello', 'refused'],
    'home, office, stranger after opening for the office',
  );
  assert.equal(await reachable(2376, ME), true, 'the daemon rule is untouched');
  assert.equal(await reachable(2376, HOME), false);

  assert.deepEqual(await openPorts(network, nsgId, [{ port: WEB, protocol: 'tcp' }], HOME), [], 'already open: nothing written');
  assert.deepEqual([await get(WEB, HOME), await get(WEB, OFFICE)], ['hello', 'hello']);
});

test("a rule of the user's that happens to carry the extension's name is left as it is", async () => {
  const { resourceGroup, name } = { resourceGroup: 'ports-rg', name: 'ports-host-nsg' };
  await network.securityRules.beginCreateOrUpdateAndWait(
    resourceGroup,
    name,
    `docker-on-azure-tcp-${ADMIN}`,
    {
      protocol: 'Tcp',
      access: 'Allow',
      direction: 'Inbound',
      priority: 300,
      sourceAddressPrefix: STRANGER,
      sourcePortRange: '*',
      destinationAddressPrefix: '*',
      destinationPortRange: String(ADMIN),
      description: 'Our partner',
    },
    { updateIntervalInMs: 10 },
  );
  await openPorts(network, nsgId, [{ port: ADMIN, protocol: 'tcp' }], HOME);
  assert.deepEqual([await get(ADMIN, HOME), await get(ADMIN, STRANGER), await get(ADMIN, OFFICE)], ['hello', 'hello', 'refused']);
  const theirs = await network.securityRules.get(resourceGroup, name, `docker-on-azure-tcp-${ADMIN}`);
  assert.deepEqual([theirs.sourceAddressPrefix, theirs.priority, theirs.description], [STRANGER, 300, 'Our partner']);
});
