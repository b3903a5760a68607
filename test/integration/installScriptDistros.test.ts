/**
 * The install script on real distributions: a root filesystem made with debootstrap from the
 * distribution's own mirror (with systemd and OpenSSH, as its Azure images have them), imported as
 * an image, and the product's script run as root in a container of it (host network, so apt
 * reaches the mirror, as a VM does). Packages, group, key and service are then checked as the
 * script intends, a second run changes nothing, and a release outside the list is refused. In TLS
 * mode, a real dockerd started from the files the script left takes the client certificate and
 * refuses a wrong one.
 * What cannot run here: systemd as PID 1 (the service is enabled, not started), the RHEL family,
 * and Ubuntu, whose mirror CI does not reach. Needs debootstrap (ensure-test-deps.sh).
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { run } from '../support/engines';
import { startDockerd } from '../support/dockerd';
import { dockerTlsDaemon, type WriteFile } from '../support/armEmulator/cloudConfig';
import { dockerCli, loadTestEnvironment, uniqueName } from '../support/testEnv';
import { buildInstallScript, DAEMON_JSON_BACKUP, parseInstallOutput } from '../../src/core/azure/dockerInstall/installScript';
import { createCertificateAuthority, createClientCertificate, createServerCertificate } from '../../src/core/azure/provisioning/certificates';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD me@laptop';

interface Distro {
  suite: string;
  os: string;
  mirror: string;
  engine: RegExp;
}

const DISTROS: Distro[] = [
  { suite: 'bookworm', os: 'Debian GNU/Linux 12 (bookworm)', mirror: 'http://deb.debian.org/debian', engine: /^Docker version 20\.10\./ },
  { suite: 'bullseye', os: 'Debian GNU/Linux 11 (bullseye)', mirror: 'http://deb.debian.org/debian', engine: /^Docker version 20\.10\./ },
];

let work: string;
let socket: string;
const images: string[] = [];
const containers: string[] = [];

before(() => {
  socket = loadTestEnvironment().unixSocket;
  work = fs.mkdtempSync('/tmp/doa-distros-');
  fs.writeFileSync(path.join(work, 'install.sh'), buildInstallScript({ adminUser: 'azureuser', sshPublicKey: KEY }));
});

after(async () => {
  for (const c of containers) {
    await dockerCli(['rm', '-f', c], socket).catch(() => undefined);
  }
  await dockerCli(['rmi', '-f', ...images], socket).catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
});

const built = new Map<string, Promise<string>>();

/** The suite's image, made once per run. */
function imageOf(d: Distro): Promise<string> {
  let image = built.get(d.suite);
  if (!image) {
    image = debootstrapImage(d);
    built.set(d.suite, image);
  }
  return image;
}

async function debootstrapImage(d: Distro): Promise<string> {
  const root = path.join(work, d.suite);
  await run('debootstrap', ['--variant=minbase', '--include=systemd,openssh-server', d.suite, root, d.mirror], {
    timeoutMs: 600_000,
  });
  const image = `local/${uniqueName(d.suite)}:minbase`;
  images.push(image);
  await run('sh', ['-c', `tar -C '${root}' -c . | docker -H 'unix://${socket}' import - '${image}'`], { timeoutMs: 120_000 });
  fs.rmSync(root, { recursive: true, force: true });
  return image;
}

/** Runs `script` as root in a new container of `from` with the install script at /install.sh; keeps the container. */
async function inContainer(
  from: string,
  script: string,
  network = ['--network', 'host'],
  installScript = 'install.sh',
): Promise<{ name: string; stdout: string; stderr: string }> {
  const name = uniqueName('install');
  containers.push(name);
  const out = await run(
    'docker',
    ['-H', `unix://${socket}`, 'run', '--name', name, ...network, '-v', `${work}/${installScript}:/install.sh:ro`, from, 'sh', '-c', script],
    { timeoutMs: 600_000 },
  );
  return { name, ...out };
}

for (const d of DISTROS) {
  test(`${d.os}: installs docker.io and enables it, puts the admin user in the docker group and the key in place, reports the host key; then changes nothing`, async () => {
    const image = await imageOf(d);
    // The image has its admin user, as an Azure image has it after provisioning.
    const first = await inContainer(image, 'useradd -m -s /bin/bash azureuser && sh /install.sh');
    const report = parseInstallOutput(first.stdout, first.stderr);
    assert.equal(report.os, d.os);
    assert.deepEqual(
      report.changed.map((c) => c.replace(/docker\.io \S+/, 'docker.io VERSION')),
      ['installed docker.io VERSION', 'added azureuser to the docker group', 'added the key to /home/azureuser/.ssh/authorized_keys'],
      `the changes, one line each:\n${first.stdout}`,
    );
    assert.match(report.hostKey ?? '', /^ssh-ed25519 AAAA[A-Za-z0-9+/]+=*$/, 'the host key sshd has, without its comment');
    const installed = `${image}-installed`;
    images.push(installed);
    await dockerCli(['commit', first.name, installed], socket);
    const check = await inContainer(
      installed,
      [
        "dpkg-query -W -f='${Status}\\n' docker.io containerd runc",
        'id -nG azureuser',
        "stat -c '%a %U %n' /home/azureuser/.ssh /home/azureuser/.ssh/authorized_keys",
        'cat /home/azureuser/.ssh/authorized_keys',
        'systemctl is-enabled docker',
        'dockerd --version',
        "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub",
      ].join(' && '),
    );
    const lines = check.stdout.trim().split('\n');
    assert.deepEqual(lines.slice(0, 3), ['install ok installed', 'install ok installed', 'install ok installed'], check.stdout);
    assert.ok(lines[3].split(' ').includes('docker'), `azureuser is in the docker group: ${lines[3]}`);
    assert.deepEqual(lines.slice(4, 7), ['700 azureuser /home/azureuser/.ssh', '600 azureuser /home/azureuser/.ssh/authorized_keys', KEY]);
    assert.equal(lines[7], 'enabled', 'docker.service starts at boot');
    assert.match(lines[8], d.engine, "the distribution's own Docker Engine");
    assert.equal(lines[9], report.hostKey, 'the reported host key is the one sshd serves');

    const again = await inContainer(installed, 'sh /install.sh');
    assert.deepEqual(parseInstallOutput(again.stdout, again.stderr).changed, [], again.stdout);
    assert.match(again.stdout, /Docker Engine is installed already: Docker version/);
    assert.match(again.stdout, /azureuser is in the docker group already/);
    assert.match(again.stdout, /the key is in \/home\/azureuser\/\.ssh\/authorized_keys already/);

    // A release outside the list (os-release says another version) is refused before anything changes.
    const refused = await inContainer(image, 'sed -i \'s/^VERSION_ID=.*/VERSION_ID="10"/\' /etc/os-release && sh /install.sh', [
      '--network',
      'none',
    ]).then(
      () => assert.fail('the script should have refused another release'),
      (e: Error) => e,
    );
    assert.match(refused.message, new RegExp(`doa-refused: ${d.os.replace(/[()]/g, '\\$&')} is not supported; supported are Ubuntu 20\\.04`));
    const diff = await dockerCli(['diff', containers.at(-1)!], socket);
    const changed = diff
      .trim()
      .split('\n')
      // The script's own mount point, and the edit.
      .filter((l) => l !== 'A /install.sh' && !/os-release$/.test(l) && !/^C \/(etc|usr|usr\/lib)$/.test(l));
    assert.deepEqual(changed, [], `nothing but the os-release edit:\n${diff}`);
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

test('Debian 12 in TLS mode: the TLS files go in after the package, the old daemon.json is kept, and a real dockerd started from those files takes only the client certificate of that CA', async () => {
  const d = DISTROS[0];
  const ca = await createCertificateAuthority('Docker on Azure test CA');
  const server = await createServerCertificate(ca, { dnsNames: [], ipAddresses: ['127.0.0.1'] });
  const client = await createClientCertificate(ca, 'docker-on-azure');
  fs.writeFileSync(
    path.join(work, 'install-tls.sh'),
    buildInstallScript({
      adminUser: 'azureuser',
      sshPublicKey: KEY,
      tls: { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem },
    }),
  );
  const image = await imageOf(d);
  const first = await inContainer(
    image,
    'useradd -m -s /bin/bash azureuser && mkdir -p /etc/docker && echo \'{ "log-level": "warn" }\' >/etc/docker/daemon.json && sh /install.sh',
    undefined,
    'install-tls.sh',
  );
  const tlsFiles = ['/etc/docker/daemon.json', '/etc/docker/tls/ca.pem', '/etc/docker/tls/server-cert.pem', '/etc/docker/tls/server-key.pem'];
  const dropIn = '/etc/systemd/system/docker.service.d/override.conf';
  assert.deepEqual(
    parseInstallOutput(first.stdout, first.stderr).changed.map((c) => c.replace(/docker\.io \S+/, 'docker.io VERSION')),
    [
      'installed docker.io VERSION',
      `kept the previous /etc/docker/daemon.json as ${DAEMON_JSON_BACKUP}`,
      ...[...tlsFiles, dropIn].map((f) => `wrote ${f}`),
      'added azureuser to the docker group',
      'added the key to /home/azureuser/.ssh/authorized_keys',
    ],
    first.stdout,
  );
  const installed = `${image}-tls`;
  images.push(installed);
  await dockerCli(['commit', first.name, installed], socket);
  const check = await inContainer(
    installed,
    `stat -c '%a %n' ${tlsFiles.join(' ')} ${dropIn} && cat ${DAEMON_JSON_BACKUP} && grep '^ExecStart=' /lib/systemd/system/docker.service && command -v dockerd`,
  );
  const lines = check.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 5), [
    '644 /etc/docker/daemon.json',
    '644 /etc/docker/tls/ca.pem',
    '644 /etc/docker/tls/server-cert.pem',
    '600 /etc/docker/tls/server-key.pem',
    `644 ${dropIn}`,
  ]);
  assert.equal(lines[5], '{ "log-level": "warn" }');
  // Debian's dockerd is in /usr/sbin, Ubuntu's in /usr/bin: the drop-in names the one the VM has.
  assert.match(lines[6], /^ExecStart=\/usr\/sbin\/dockerd -H fd:\/\//);
  assert.equal(lines[7], '/usr/sbin/dockerd');

  // What the VM's files configure, read as the emulator reads them: the checks dockerd and systemd make.
  const out = path.join(work, 'tls-etc');
  fs.mkdirSync(out);
  const copied: WriteFile[] = [];
  for (const f of [...tlsFiles, dropIn]) {
    const local = path.join(out, path.basename(f));
    await dockerCli(['cp', `${first.name}:${f}`, local], socket);
    copied.push({ path: f, content: fs.readFileSync(local), mode: fs.statSync(local).mode & 0o777, append: false });
  }
  assert.equal(copied[4].content.toString(), '[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd\n');
  const daemon = dockerTlsDaemon(copied)!;
  assert.deepEqual(daemon.ports, [2376]);

  // That daemon.json, with this machine's dockerd on a free port of 127.0.0.1 instead of the VM's 2376.
  const port = await freePort();
  const config: Record<string, unknown> = { ...daemon.daemonJson, hosts: [`tcp://127.0.0.1:${port}`] };
  for (const [k, vmPath] of Object.entries(daemon.tlsFiles)) {
    config[k] = path.join(out, path.basename(vmPath));
  }
  const dockerd = await startDockerd({ dir: fs.mkdtempSync('/tmp/vtd-'), daemonConfig: config });
  try {
    const pem = (name: string, content: string) => {
      const file = path.join(work, name);
      fs.writeFileSync(file, content, { mode: 0o600 });
      return file;
    };
    const target = {
      host: '127.0.0.1',
      port,
      ca: pem('ca.pem', ca.certPem),
      cert: pem('cert.pem', client.certPem),
      key: pem('key.pem', client.keyPem),
    };
    assert.match(await dockerCli(['version', '--format', '{{.Server.Os}}'], target), /^linux/);
    const env = loadTestEnvironment().tls;
    await assert.rejects(
      dockerCli(['version'], { ...target, ca: env.ca }),
      /certificate/i,
      'a CA that did not sign the server is refused by the client',
    );
    await assert.rejects(
      dockerCli(['version'], { ...target, cert: env.cert, key: env.key }),
      /certificate|tls|remote error/i,
      'a client certificate of another CA is refused by the daemon',
    );
  } finally {
    await dockerd.stop();
  }

  const again = await inContainer(installed, 'sh /install.sh', undefined, 'install-tls.sh');
  assert.deepEqual(parseInstallOutput(again.stdout, again.stderr).changed, [], again.stdout);
  assert.match(again.stdout, /\/etc\/docker\/tls\/server-key\.pem is as it should be already/);
});
