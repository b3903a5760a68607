/**
 * The emulator's virtual networks as real networks (privateNetworks): VMs of one VNet boot in
 * namespaces of their own at their NICs' private addresses and reach each other there, while the
 * test process reaches each daemon at its public address, as a client on the internet would.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { startArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR } from '../support/testEnv';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isAlive, run } from '../support/processes';
import { VnetNamespaces } from '../support/armEmulator/vnetNamespaces';
import { productArmClients, serverTlsFrom } from '../support/productArmClients';
import { executeSwarmProvisioning } from '../../src/core/azure/provisioning/swarmExecutor';
import { planSwarmProvisioning } from '../../src/core/azure/provisioning/swarmPlan';
import { createCertificateAuthority, createClientCertificate } from '../../src/core/azure/provisioning/certificates';
import { waitForDaemon } from '../../src/core/docker/waitForDaemon';
import { DockerHostSession } from '../../src/core/docker/hostSession';
import { probeFromHost } from '../../src/core/swarm/joinSwarm';

const emulatorNamespaces = async () =>
  (await run('ip', ['netns', 'list'])).stdout
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith('doae'));

test('VMs of one virtual network run at their private addresses and reach each other there; their public addresses forward to them', async () => {
  const arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true, privateNetworks: true });
  const sessions: DockerHostSession[] = [];
  let during: string[] = [];
  try {
    const sub = arm.subscriptions[0].subscriptionId;
    const ca = await createCertificateAuthority('vnet test CA');
    const client = await createClientCertificate(ca, 'vnet test client');
    const nodes = await executeSwarmProvisioning(
      planSwarmProvisioning({
        subscriptionId: sub,
        location: 'westeurope',
        resourceGroup: 'lan-rg',
        createResourceGroup: true,
        swarmName: 'lan',
        managers: 1,
        workers: 1,
        vmSize: 'Standard_B2s',
        image: 'ubuntu-24.04',
        adminUser: 'azureuser',
        sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD test',
        sourceRange: '203.0.113.7',
      }),
      {
        clients: productArmClients(arm, sub),
        onEvent: () => undefined,
        makeServerTls: serverTlsFrom(ca),
      },
      async (n) => n,
    );
    await arm.dockerHostsSettled();
    assert.deepEqual(arm.bootFailures(), []);
    const booted = arm.bootedHosts();
    assert.deepEqual(
      nodes.map((n) => booted.find((b) => b.vmId.toLowerCase() === n.vmId.toLowerCase())?.privateAddress),
      nodes.map((n) => n.privateIp),
      'each daemon runs at its NIC private address',
    );
    const env = { homeDir: '/nonexistent', knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 5000 };
    for (const n of nodes) {
      const spec = {
        id: `azure:${n.hostName}`,
        name: n.hostName,
        source: 'azure' as const,
        address: `tcp://${n.publicIp}:2376`,
        tlsPem: { ca: ca.certPem, cert: client.certPem, key: client.keyPem },
      };
      await waitForDaemon(spec, env, { timeoutMs: 60_000, intervalMs: 500 });
      sessions.push(new DockerHostSession(spec, env));
    }
    const infos = (await Promise.all(sessions.map((s) => s.connect().docker.info()))) as { Name: string; ID: string }[];
    assert.deepEqual(
      infos.map((i) => i.Name),
      ['lan-m1', 'lan-w1'],
      'each daemon is the VM it was reached for, named as the VM',
    );
    assert.notEqual(infos[0].ID, infos[1].ID, 'each VM has an engine identity of its own');
    const [m1, w1] = sessions.map((s) => s.connect().docker);
    assert.equal(await probeFromHost(w1, nodes[0].privateIp, 2376, 10_000), undefined, 'lan-w1 reaches lan-m1 at its private address');
    assert.equal(await probeFromHost(m1, nodes[1].privateIp, 2376, 10_000), undefined, 'and back');
    assert.match((await probeFromHost(m1, nodes[1].privateIp, 2377, 10_000)) ?? '', /refused/, 'a port nothing listens on is refused, not faked');
    during = await emulatorNamespaces();
    assert.ok(during.length >= 2, `the VMs have namespaces: ${during.join(', ')}`);
  } finally {
    sessions.forEach((s) => s.dispose());
    await arm.stop();
  }
  const left = await emulatorNamespaces();
  assert.deepEqual(
    during.filter((n) => left.includes(n)),
    [],
    'stopping the emulator removes its namespaces',
  );
});

test('a run killed with a VM booted in its namespace is cleaned up by the next: the daemon stopped, its folder, namespace and bridge gone', async () => {
  const support = path.join(__dirname, '..', 'support');
  const script = `
    const fs = require('node:fs');
    const { VnetNamespaces } = require(${JSON.stringify(path.join(support, 'armEmulator', 'vnetNamespaces.js'))});
    const { startDockerd } = require(${JSON.stringify(path.join(support, 'dockerd.js'))});
    (async () => {
      const vnets = new VnetNamespaces();
      const netns = await vnets.attach('/subscriptions/s/resourceGroups/r/providers/Microsoft.Network/virtualNetworks/killed', '10.0.0.4/24');
      const dir = fs.mkdtempSync('/tmp/vmd-');
      await vnets.recordDaemon(dir);
      const daemon = await startDockerd({ dir, netns });
      process.stdout.write(JSON.stringify({ netns, dir, pid: daemon.pid }) + '\\n');
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) {
        resolve(out.split('\n')[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`the run exited (${code}) before its VM booted`)));
  });
  const { netns, dir, pid } = JSON.parse(line) as { netns: string; dir: string; pid: number };
  const bridge = netns.replace(/n\d+$/, 'b0');
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  assert.ok(isAlive(pid), 'the killed run left its daemon running');
  assert.ok((await emulatorNamespaces()).includes(netns), 'and its namespace');

  await new VnetNamespaces().stop();
  assert.equal(isAlive(pid), false, 'the daemon was stopped');
  assert.equal(fs.existsSync(dir), false, 'its folder removed');
  assert.equal((await emulatorNamespaces()).includes(netns), false, 'its namespace removed');
  await assert.rejects(run('ip', ['link', 'show', bridge]), Error, 'its bridge removed');
});
