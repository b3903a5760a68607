/**
 * The ARM emulator booting provisioned VMs as real Docker hosts (`bootDockerHosts`), driven as the
 * product provisions on real Azure: create the static public IP first and read its address, make
 * the server certificate for that address, put it in the cloud-config's write_files, create the VM.
 * The VM then answers `docker` over mutual TLS on that address with exactly those bytes; power
 * actions and deletes stop, start and remove its daemon, and stopping the emulator leaves nothing.
 * Its address admits only whom the VM's network security groups let in, on every port.
 * Needs root and dockerd, as every integration test.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { startArmEmulator, trustEmulatorCa, type ArmEmulator } from '../support/armEmulator';
import { cloudConfigFiles, dockerTlsDaemon, writeFilesUnder } from '../support/armEmulator/cloudConfig';
import { emulatorClients, type EmulatorClients } from '../support/armEmulator/sdkClients';
import { BASE_IMAGE, importBusybox } from '../support/busyboxImage';
import { run, toolEnv } from '../support/engines';
import { dockerCli, eventually, type TlsTarget } from '../support/testEnv';
import { buildCloudConfig } from '../../src/core/azure/provisioning/cloudInit';
import { generateSshKeyPair } from '../../src/core/azure/provisioning/sshKeys';
import { DockerHostSession } from '../../src/core/docker/hostSession';

const FAST = { updateIntervalInMs: 10 };
const LOCATION = 'westeurope';
// Long enough to see the VM exist while nothing answers yet, as in the minutes real cloud-init takes.
const BOOT_DELAY_MS = 1500;
const PORT = 2376;

let emu: ArmEmulator;
let az: EmulatorClients;
let work: string;
/** Every daemon folder seen, to prove at the end that nothing of them runs. */
const daemonDirs = new Set<string>();
/** Every VM address handed out, to prove at the end that no packet filter of theirs is left. */
const addresses = new Set<string>();

before(async () => {
  emu = await startArmEmulator({ bootDockerHosts: true, bootDelayMs: BOOT_DELAY_MS, enforceNetworkSecurityGroups: true });
  // The test process was not started with NODE_EXTRA_CA_CERTS pointing at this CA.
  trustEmulatorCa(emu.caCertPath);
  az = emulatorClients(emu, emu.subscriptions[0].subscriptionId);
  work = fs.mkdtempSync('/tmp/doa-boot-');
});

after(async () => {
  await emu?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

// ---- certificates, made as the product makes them: after the public IP's address is known ----

function openssl(cwd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd }, (err, _out, stderr) => (err ? reject(new Error(`openssl ${args.join(' ')}: ${stderr}`)) : resolve()));
  });
}

interface Certs {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** CA, server certificate for IP:`address`, client certificate; EC P-256. */
async function makeCerts(dir: string, address: string): Promise<Certs> {
  fs.mkdirSync(dir, { recursive: true });
  const ext = (name: string, lines: string[]) => {
    fs.writeFileSync(
      path.join(dir, name),
      ['basicConstraints = CA:FALSE', 'keyUsage = critical,digitalSignature,keyAgreement', ...lines, ''].join('\n'),
    );
    return path.join(dir, name);
  };
  await openssl(dir, ['req', '-x509', '-new', ...EC, '-subj', '/CN=doa-boot-ca', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2']);
  const leaf = async (name: string, cn: string, extFile: string) => {
    await openssl(dir, ['req', '-new', ...EC, '-subj', `/CN=${cn}`, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`]);
    await openssl(dir, [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca-key.pem',
      '-CAcreateserial',
      '-out',
      `${name}-cert.pem`,
      '-days',
      '2',
      '-extfile',
      extFile,
    ]);
  };
  await leaf('server', address, ext('server.ext', [`subjectAltName = IP:${address}`, 'extendedKeyUsage = serverAuth']));
  await leaf('client', 'doa-boot-client', ext('client.ext', ['extendedKeyUsage = clientAuth']));
  const p = (f: string) => path.join(dir, f);
  return {
    ca: p('ca.pem'),
    serverCert: p('server-cert.pem'),
    serverKey: p('server-key.pem'),
    clientCert: p('client-cert.pem'),
    clientKey: p('client-key.pem'),
  };
}

// ---- the cloud-config, in the shape the product generates ----

const DAEMON_JSON =
  '{"hosts": ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"], "tlsverify": true, "tlscacert": "/etc/docker/tls/ca.pem", ' +
  '"tlscert": "/etc/docker/tls/server-cert.pem", "tlskey": "/etc/docker/tls/server-key.pem"}';

const indent = (text: string) =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');

/** TLS mode; the server key goes base64-encoded (`encoding: b64`), as a generator may choose. */
function tlsCloudConfig(c: Certs, opts: { dropIn?: boolean } = {}): string {
  const pem = (f: string) => indent(fs.readFileSync(f, 'utf8'));
  const lines = [
    '#cloud-config',
    'package_update: true',
    'packages: [docker.io]',
    'write_files:',
    '  - path: /etc/docker/daemon.json',
    "    permissions: '0644'",
    '    content: |',
    indent(DAEMON_JSON),
    '  - path: /etc/docker/tls/ca.pem',
    "    permissions: '0644'",
    '    content: |',
    pem(c.ca),
    '  - path: /etc/docker/tls/server-cert.pem',
    "    permissions: '0644'",
    '    content: |',
    pem(c.serverCert),
    '  - path: /etc/docker/tls/server-key.pem',
    '    owner: root:root',
    "    permissions: '0600'",
    '    encoding: b64',
    `    content: ${fs.readFileSync(c.serverKey).toString('base64')}`,
  ];
  if (opts.dropIn !== false) {
    lines.push(
      '  - path: /etc/systemd/system/docker.service.d/override.conf',
      "    permissions: '0644'",
      '    content: "[Service]\\nExecStart=\\nExecStart=/usr/bin/dockerd\\n"',
    );
  }
  lines.push('runcmd:', '  - [usermod, -aG, docker, azureuser]', '  - [systemctl, daemon-reload]', '  - [systemctl, restart, docker]', '');
  return lines.join('\n');
}

// ---- provisioning through the real SDKs ----

interface Network {
  nicId: string;
  address: string;
}

/** RG, VNet, NSG (`port`, 2376 unless given, open), static public IP, NIC: everything before the VM. */
async function network(rg: string, name: string, port = PORT): Promise<Network> {
  await az.resources.resourceGroups.createOrUpdate(rg, { location: LOCATION });
  const vnet = await az.network.virtualNetworks.beginCreateOrUpdateAndWait(
    rg,
    `${name}-vnet`,
    { location: LOCATION, addressSpace: { addressPrefixes: ['10.0.0.0/16'] }, subnets: [{ name: 'default', addressPrefix: '10.0.0.0/24' }] },
    FAST,
  );
  const nsg = await az.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
    rg,
    `${name}-nsg`,
    {
      location: LOCATION,
      securityRules: [
        {
          name: 'DockerTLS',
          protocol: 'Tcp',
          access: 'Allow',
          direction: 'Inbound',
          priority: 1000,
          sourceAddressPrefix: '*',
          sourcePortRange: '*',
          destinationAddressPrefix: '*',
          destinationPortRange: String(port),
        },
      ],
    },
    FAST,
  );
  const pip = await az.network.publicIPAddresses.beginCreateOrUpdateAndWait(
    rg,
    `${name}-ip`,
    { location: LOCATION, sku: { name: 'Standard' }, publicIPAllocationMethod: 'Static', dnsSettings: { domainNameLabel: `${name}-${process.pid}` } },
    FAST,
  );
  const nic = await az.network.networkInterfaces.beginCreateOrUpdateAndWait(
    rg,
    `${name}-nic`,
    {
      location: LOCATION,
      networkSecurityGroup: { id: nsg.id },
      ipConfigurations: [{ name: 'ipconfig1', subnet: { id: vnet.subnets![0].id }, publicIPAddress: { id: pip.id } }],
    },
    FAST,
  );
  addresses.add(pip.ipAddress ?? '');
  return { nicId: nic.id!, address: pip.ipAddress ?? '' };
}

async function createVm(rg: string, name: string, nicId: string, cloudConfig: string, sshPublicKey = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHk9 test') {
  return az.compute.virtualMachines.beginCreateOrUpdateAndWait(
    rg,
    name,
    {
      location: LOCATION,
      tags: { dockerOnAzure: 'host' },
      hardwareProfile: { vmSize: 'Standard_B2s' },
      storageProfile: {
        imageReference: { publisher: 'Canonical', offer: 'ubuntu-24_04-lts', sku: 'server', version: 'latest' },
        osDisk: { createOption: 'FromImage', deleteOption: 'Delete', managedDisk: { storageAccountType: 'Premium_LRS' } },
      },
      osProfile: {
        computerName: name,
        adminUsername: 'azureuser',
        customData: Buffer.from(cloudConfig).toString('base64'),
        linuxConfiguration: {
          disablePasswordAuthentication: true,
          ssh: { publicKeys: [{ path: '/home/azureuser/.ssh/authorized_keys', keyData: sshPublicKey }] },
        },
      },
      networkProfile: { networkInterfaces: [{ id: nicId, primary: true, deleteOption: 'Delete' }] },
    },
    FAST,
  );
}

// ---- reaching the host ----

const target = (address: string, c: Certs): TlsTarget => ({ host: address, port: PORT, ca: c.ca, cert: c.clientCert, key: c.clientKey });

/**
 * Whether something accepts TCP connections at address:port from `from` (a loopback address the
 * client binds to; the machine's own 127.0.0.1 by default). 'refused' is what a stopped VM's port
 * says, and what an NSG that denies the client answers here.
 */
function probe(address: string, port = PORT, from?: string): Promise<'open' | 'refused'> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port, localAddress: from });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve('refused') : reject(e)));
  });
}

/** `docker version` over mutual TLS, retried while the daemon boots; resolves to the engine's version. */
async function whenAnswering(address: string, c: Certs): Promise<string> {
  return eventually(() => dockerCli(['version', '--format', '{{.Server.Version}}'], target(address, c)), 60_000, 200).then((v) => v.trim());
}

function hostOf(vmId: string) {
  const h = emu.bootedHosts().find((b) => b.vmId.toLowerCase() === vmId.toLowerCase());
  if (h) {
    daemonDirs.add(h.daemonDir);
  }
  return h;
}

test('a VM with a TLS cloud-config boots as a real Docker host on its public IP: mutual TLS with the generated certificates; deallocate, start, power off and delete follow', async (t) => {
  const rg = 'rg-boot';
  const { nicId, address } = await network(rg, 'dockerhost1');
  // The address is decided when the public IP is created, before any certificate exists.
  assert.match(address, /^127\.0\.\d+\.\d+$/);
  assert.notEqual(address, '127.0.0.1');
  const certs = await makeCerts(path.join(work, 'host1'), address);
  const cloudConfig = tlsCloudConfig(certs);

  const vm = await createVm(rg, 'dockerhost1', nicId, cloudConfig);
  const succeededAt = Date.now();
  assert.equal(vm.provisioningState, 'Succeeded');
  // As on Azure, Succeeded comes before cloud-init is done: the VM exists and nothing answers yet.
  assert.equal(await probe(address), 'refused');
  assert.equal(hostOf(vm.id!), undefined);

  const version = await whenAnswering(address, certs);
  const answeringAfter = Date.now() - succeededAt;
  t.diagnostic(`VM Succeeded -> daemon answering over TLS: ${answeringAfter} ms (boot delay ${BOOT_DELAY_MS} ms)`);
  assert.match(version, /^\d+\.\d+/);
  assert.equal(await dockerCli(['ps', '-a', '--format', '{{.ID}}'], target(address, certs)), '');

  // Mutual TLS: without a client certificate the daemon turns the client away.
  await assert.rejects(
    run('docker', ['--tlsverify', '--tlscacert', certs.ca, '-H', `tcp://${address}:${PORT}`, 'ps'], { env: toolEnv({ DOCKER_CLI_HINTS: 'false' }) }),
    /certificate|tls/i,
  );

  // What cloud-init wrote is byte for byte what the product sent; the key kept its 0600.
  const host = hostOf(vm.id!)!;
  assert.equal(host.address, address);
  assert.deepEqual(host.ports, [PORT]);
  const written = (p: string) => path.join(host.filesDir, p);
  assert.equal(fs.readFileSync(written('etc/docker/daemon.json'), 'utf8'), DAEMON_JSON + '\n');
  assert.deepEqual(fs.readFileSync(written('etc/docker/tls/server-key.pem')), fs.readFileSync(certs.serverKey));
  assert.deepEqual(fs.readFileSync(written('etc/docker/tls/server-cert.pem')), fs.readFileSync(certs.serverCert));
  assert.equal(fs.statSync(written('etc/docker/tls/server-key.pem')).mode & 0o777, 0o600);
  assert.equal(
    fs.readFileSync(written('etc/systemd/system/docker.service.d/override.conf'), 'utf8'),
    '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd\n',
  );
  // ... and the daemon runs with that daemon.json, moved into the emulator's world.
  const effective = JSON.parse(fs.readFileSync(path.join(host.daemonDir, 'daemon.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(effective.hosts, [`unix://${host.socketPath}`, `tcp://${address}:${PORT}`]);
  assert.equal(effective.tlscacert, written('etc/docker/tls/ca.pem'));
  assert.equal(effective.tlsverify, true);
  // The unix socket reaches the same engine, for setting things up behind the product's back.
  await dockerCli(['volume', 'create', 'kept-across-deallocation'], host.socketPath);

  await az.compute.virtualMachines.beginDeallocateAndWait(rg, 'dockerhost1', FAST);
  await emu.dockerHostsSettled();
  assert.equal(emu.powerState(vm.id!), 'deallocated');
  assert.equal(await probe(address), 'refused');
  assert.equal(hostOf(vm.id!), undefined);
  // A static public IP keeps its address while the VM is deallocated, so the certificate stays valid.
  assert.equal((await az.network.publicIPAddresses.get(rg, 'dockerhost1-ip')).ipAddress, address);

  const startedAt = Date.now();
  await az.compute.virtualMachines.beginStartAndWait(rg, 'dockerhost1', FAST);
  await whenAnswering(address, certs);
  t.diagnostic(`start -> daemon answering again: ${Date.now() - startedAt} ms`);
  assert.match(await dockerCli(['volume', 'ls', '-q'], target(address, certs)), /^kept-across-deallocation$/m);

  await az.compute.virtualMachines.beginPowerOffAndWait(rg, 'dockerhost1', FAST);
  await emu.dockerHostsSettled();
  assert.equal(await probe(address), 'refused');
  await az.compute.virtualMachines.beginStartAndWait(rg, 'dockerhost1', FAST);
  await whenAnswering(address, certs);

  await az.compute.virtualMachines.beginDeleteAndWait(rg, 'dockerhost1', FAST);
  await emu.dockerHostsSettled();
  assert.equal(await probe(address), 'refused');
  assert.equal(fs.existsSync(host.filesDir), false, 'the VM folder is removed');
  assert.equal(fs.existsSync(host.daemonDir), false, 'the daemon folder is removed');
  assert.deepEqual(emu.bootFailures(), []);
});

test('customData is read as cloud-init reads it: gzip, b64 and gz+b64 files, YAML 1.1 octal permissions, append, paths kept below the folder', async () => {
  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
  assert.equal(cloudConfigFiles(undefined), undefined);
  assert.equal(cloudConfigFiles(b64('#!/bin/sh\necho not a cloud-config\n')), undefined);
  assert.throws(() => cloudConfigFiles(b64('#cloud-config\nwrite_files: [\n')), /cannot parse/);
  const config = [
    '#cloud-config',
    'write_files:',
    '  - path: /etc/a/plain.txt',
    '    permissions: 0600',
    '    content: hello',
    '  - path: /etc/a/plain.txt',
    '    append: true',
    '    content: " world"',
    `  - {path: /etc/a/b64.bin, encoding: base64, content: ${b64('bytes')}}`,
    `  - {path: /etc/a/gz.txt, encoding: gz+b64, content: ${b64(gzipSync('zipped'))}}`,
    '  - {path: /../../escape.txt, content: kept inside}',
    '',
  ].join('\n');
  // Azure passes customData through; cloud-init also takes it gzip-compressed.
  const files = cloudConfigFiles(b64(gzipSync(config)))!;
  assert.deepEqual(
    files.map((f) => [f.path, f.mode.toString(8), f.append]),
    [
      ['/etc/a/plain.txt', '600', false],
      ['/etc/a/plain.txt', '644', true],
      ['/etc/a/b64.bin', '644', false],
      ['/etc/a/gz.txt', '644', false],
      ['/escape.txt', '644', false],
    ],
  );
  const root = path.join(work, 'cloud-init-root');
  await writeFilesUnder(root, files);
  assert.equal(fs.readFileSync(path.join(root, 'etc/a/plain.txt'), 'utf8'), 'hello world');
  assert.equal(fs.readFileSync(path.join(root, 'etc/a/b64.bin'), 'utf8'), 'bytes');
  assert.equal(fs.readFileSync(path.join(root, 'etc/a/gz.txt'), 'utf8'), 'zipped');
  assert.equal(fs.readFileSync(path.join(root, 'escape.txt'), 'utf8'), 'kept inside');
  // No daemon.json, or one without TLS on TCP: SSH mode, nothing to boot.
  assert.equal(dockerTlsDaemon(files), undefined);
  const daemon = (json: string, dropIn?: string) =>
    dockerTlsDaemon([
      { path: '/etc/docker/daemon.json', content: Buffer.from(json), mode: 0o644, append: false },
      { path: '/etc/docker/tls/ca.pem', content: Buffer.from('x'), mode: 0o644, append: false },
      ...(dropIn ? [{ path: '/etc/systemd/system/docker.service.d/override.conf', content: Buffer.from(dropIn), mode: 0o644, append: false }] : []),
    ]);
  assert.equal(daemon('{"hosts": ["unix:///var/run/docker.sock"]}'), undefined);
  assert.throws(() => daemon('{"hosts": '), /unable to configure the Docker daemon/);
  assert.throws(
    () => daemon('{"hosts": ["tcp://0.0.0.0:2376"], "tlsverify": true, "tlscacert": "/etc/docker/tls/ca.pem", "tlscert": "/etc/docker/cert.pem"}'),
    /tlscert .* which write_files does not write/,
  );
  const full =
    '{"hosts": ["tcp://0.0.0.0"], "tlsverify": true, "tlscacert": "/etc/docker/tls/ca.pem", "tlscert": "/etc/docker/tls/ca.pem", "tlskey": "/etc/docker/tls/ca.pem"}';
  // Without resetting ExecStart first, systemd refuses a second one.
  assert.throws(() => daemon(full, '[Service]\nExecStart=/usr/bin/dockerd\n'), /more than one ExecStart/);
  assert.throws(() => daemon(full, '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd -H fd://\n'), /from flag: \[fd:\/\/\]/);
  assert.deepEqual(daemon(full, '[Service]\nExecStart=\nExecStart=/usr/bin/dockerd\n')?.ports, [2376]);
});

test("an SSH-mode VM from the product's own cloud-init boots a real sshd in front of its dockerd: the host key it was given, its admin user's key, Docker through dial-stdio", async () => {
  const rg = 'rg-boot-ssh';
  const { nicId, address } = await network(rg, 'sshhost', 22);
  assert.match(address, /^127\.0\.\d+\.\d+$/);
  const hostKey = generateSshKeyPair('root@sshhost');
  const client = generateSshKeyPair('azureuser@sshhost');
  const dir = fs.mkdtempSync(path.join(work, 'ssh-'));
  const identityFile = path.join(dir, 'id_ed25519');
  fs.writeFileSync(identityFile, client.privateKey, { mode: 0o600 });
  const knownHostsFile = path.join(dir, 'known_hosts');
  fs.writeFileSync(knownHostsFile, `${address} ${hostKey.publicKey.split(' ').slice(0, 2).join(' ')}\n`);
  const vm = await createVm(rg, 'sshhost', nicId, buildCloudConfig({ adminUser: 'azureuser', access: 'ssh', sshHostKey: hostKey }), client.publicKey);
  const session = new DockerHostSession(
    { id: 'sshhost', name: 'sshhost', source: 'azure', address: `ssh://azureuser@${address}`, identityFile },
    { homeDir: dir, knownHostsFile, localUser: 'root', connectTimeoutMs: 5000 },
  );
  try {
    // The known_hosts above is all the trust there is: a key other than the one given would be refused.
    const listing = await eventually(() => session.load(), 60_000, 500);
    assert.ok(Array.isArray(listing.images));
    const booted = hostOf(vm.id!);
    assert.deepEqual(
      [booted?.ports, booted?.ssh],
      [[22], { user: 'azureuser', hostKeyPublic: hostKey.publicKey.split(' ').slice(0, 2).join(' ') }],
    );
    assert.equal(await probe(address, PORT), 'refused', 'Docker itself is on no TCP port');
    assert.deepEqual(emu.bootFailures(), []);
  } finally {
    session.dispose();
  }
  await az.resources.resourceGroups.beginDeleteAndWait(rg, FAST);
  await emu.dockerHostsSettled();
  assert.equal(await probe(address, 22), 'refused', 'the deleted VM no longer answers SSH');
});

test('a daemon.json with hosts but no drop-in clearing ExecStart fails as on Ubuntu (dockerd -H fd:// refuses it): nothing listens, the reason is reported', async () => {
  const rg = 'rg-boot-trap';
  const { nicId, address } = await network(rg, 'traphost');
  const certs = await makeCerts(path.join(work, 'trap'), address);
  const vm = await createVm(rg, 'traphost', nicId, tlsCloudConfig(certs, { dropIn: false }));
  await emu.dockerHostsSettled();
  const failure = emu.bootFailures().find((f) => f.vmId.toLowerCase() === vm.id!.toLowerCase());
  assert.match(failure?.error ?? '', /directives are specified both as a flag and in the configuration file: hosts/);
  assert.equal(hostOf(vm.id!), undefined);
  assert.equal(await probe(address), 'refused');
  await az.resources.resourceGroups.beginDeleteAndWait(rg, FAST);
});

test("deleting a running host's resource group stops its daemon and removes its folders", async () => {
  const rg = 'rg-boot-gone';
  const { nicId, address } = await network(rg, 'rghost');
  const certs = await makeCerts(path.join(work, 'rghost'), address);
  const vm = await createVm(rg, 'rghost', nicId, tlsCloudConfig(certs));
  await whenAnswering(address, certs);
  const host = hostOf(vm.id!)!;
  await az.resources.resourceGroups.beginDeleteAndWait(rg, FAST);
  await emu.dockerHostsSettled();
  assert.equal(await probe(address), 'refused');
  assert.equal(fs.existsSync(host.filesDir), false);
  assert.equal(fs.existsSync(host.daemonDir), false);
});

// Clients "at" other addresses than this machine's 127.0.0.1: a socket bound to them.
const ALICE = '127.1.0.7';
const BOB = '127.1.0.8';
const WEB = 8080;

/** An HTTP GET of the VM's published port from `from`: the container's answer. */
function fetchFrom(address: string, from: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: address, port: WEB, path: '/', localAddress: from }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

test("with enforceNetworkSecurityGroups a VM's address admits only whom its NSGs let in: the NIC's and the subnet's, by priority, on every port", async () => {
  const rg = 'rg-boot-nsg';
  const { nicId, address } = await network(rg, 'nsghost');
  const certs = await makeCerts(path.join(work, 'nsghost'), address);
  const vm = await createVm(rg, 'nsghost', nicId, tlsCloudConfig(certs));
  await whenAnswering(address, certs);
  const host = hostOf(vm.id!)!;
  // A container publishing a port, set up behind the product's back: it lands on the VM's address.
  await importBusybox(host.socketPath);
  await dockerCli(
    [
      'run',
      '-d',
      '--name',
      'web',
      '-p',
      `${WEB}:80`,
      BASE_IMAGE,
      'sh',
      '-c',
      'mkdir -p /www && echo hello > /www/index.html && httpd -f -p 80 -h /www',
    ],
    host.socketPath,
  );
  const from = async (who: string | undefined) => probe(address, WEB, who);
  // Only 2376 is allowed (for anyone): the published port is closed to everyone, the daemon is not.
  await eventually(async () => assert.equal(await probe(address, PORT, ALICE), 'open'));
  assert.deepEqual([await from(ALICE), await from(BOB), await from(undefined)], ['refused', 'refused', 'refused']);

  const rule = (over: Record<string, unknown>) => ({
    protocol: 'Tcp',
    access: 'Allow',
    direction: 'Inbound',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: String(WEB),
    ...over,
  });
  await az.network.securityRules.beginCreateOrUpdateAndWait(rg, 'nsghost-nsg', 'web', rule({ priority: 1100, sourceAddressPrefix: ALICE }), FAST);
  assert.deepEqual([await from(ALICE), await from(BOB)], ['open', 'refused']);
  assert.equal(await eventually(() => fetchFrom(address, ALICE)), 'hello\n', "the container's answer");

  // Several sources in one (augmented) rule; a Deny of higher priority still wins over it.
  await az.network.securityRules.beginCreateOrUpdateAndWait(
    rg,
    'nsghost-nsg',
    'web',
    rule({ priority: 1100, sourceAddressPrefixes: [ALICE, BOB] }),
    FAST,
  );
  assert.deepEqual([await from(ALICE), await from(BOB)], ['open', 'open']);
  await az.network.securityRules.beginCreateOrUpdateAndWait(
    rg,
    'nsghost-nsg',
    'no-bob',
    rule({ priority: 1050, access: 'Deny', sourceAddressPrefix: BOB, destinationPortRange: '8000-8100' }),
    FAST,
  );
  assert.deepEqual([await from(ALICE), await from(BOB)], ['open', 'refused']);
  await az.network.securityRules.beginDeleteAndWait(rg, 'nsghost-nsg', 'no-bob', FAST);
  assert.equal(await from(BOB), 'open');
  // ARM takes no tag or '*' in an address list.
  await assert.rejects(
    az.network.securityRules.beginCreateOrUpdateAndWait(
      rg,
      'nsghost-nsg',
      'tagged',
      rule({ priority: 1200, sourceAddressPrefixes: [ALICE, 'Internet'] }),
      FAST,
    ),
    /SecurityRuleParameterContainsUnsupportedValue|cannot specify existing/,
  );

  // The subnet's NSG is passed first: its Deny stops Alice although the NIC's NSG lets her in.
  const subnetNsg = await az.network.networkSecurityGroups.beginCreateOrUpdateAndWait(
    rg,
    'nsghost-subnet-nsg',
    {
      location: LOCATION,
      securityRules: [
        { name: 'no-alice', ...rule({ priority: 100, access: 'Deny', sourceAddressPrefix: ALICE }) },
        { name: 'rest', ...rule({ priority: 200, protocol: '*', sourceAddressPrefix: '*', destinationPortRange: '*' }) },
      ],
    },
    FAST,
  );
  await az.network.subnets.beginCreateOrUpdateAndWait(
    rg,
    'nsghost-vnet',
    'default',
    { addressPrefix: '10.0.0.0/24', networkSecurityGroup: { id: subnetNsg.id } },
    FAST,
  );
  assert.deepEqual([await from(ALICE), await from(BOB), await probe(address, PORT, ALICE)], ['refused', 'open', 'open']);

  // With neither NSG, a Standard public IP admits nobody, not even to the daemon.
  await az.network.subnets.beginCreateOrUpdateAndWait(rg, 'nsghost-vnet', 'default', { addressPrefix: '10.0.0.0/24' }, FAST);
  const nic = await az.network.networkInterfaces.get(rg, 'nsghost-nic');
  await az.network.networkInterfaces.beginCreateOrUpdateAndWait(rg, 'nsghost-nic', { ...nic, networkSecurityGroup: undefined }, FAST);
  assert.deepEqual([await from(BOB), await probe(address)], ['refused', 'refused']);
  assert.deepEqual(
    emu.bootFailures().filter((f) => f.vmId.toLowerCase() === vm.id!.toLowerCase()),
    [],
  );
  await az.resources.resourceGroups.beginDeleteAndWait(rg, FAST);
});

// Last: it stops the emulator (after() then has nothing left to do).
test('stopping the emulator stops every booted daemon: no dockerd, containerd or shim of theirs is left, no folder, no address held', async () => {
  const rg = 'rg-boot-stop';
  const { nicId, address } = await network(rg, 'stophost');
  const certs = await makeCerts(path.join(work, 'stophost'), address);
  const vm = await createVm(rg, 'stophost', nicId, tlsCloudConfig(certs));
  await whenAnswering(address, certs);
  const host = hostOf(vm.id!)!;
  // Something in it, as a real host has.
  await dockerCli(['volume', 'create', 'data'], target(address, certs));

  await emu.stop();
  assert.equal(await probe(address), 'refused');
  const { stdout } = await run('ps', ['-eo', 'pid=,args=']);
  const leftovers = stdout.split('\n').filter((l) => [...daemonDirs].some((d) => l.includes(d)));
  assert.deepEqual(leftovers, [], 'processes of booted daemons still running');
  assert.ok(daemonDirs.size >= 3);
  for (const d of daemonDirs) {
    assert.equal(fs.existsSync(d), false, `${d} is removed`);
  }
  assert.equal(fs.existsSync(host.filesDir), false);
  assert.equal(fs.existsSync(path.join('/tmp/arm-emulator-loopback', address)), false, 'the address is given back');
  const filters = (await run('iptables', ['-S'])).stdout;
  for (const a of addresses) {
    assert.doesNotMatch(filters, new RegExp(`DOA-NSG-${a.replace(/\./g, '\\.')}\\b`), `the packet filter of ${a} is removed`);
  }
});
