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
import { buildInstallScript, DAEMON_JSON_BACKUP, INSTALL_RECORD, parseInstallOutput } from '../../src/core/azure/dockerInstall/installScript';
import { buildUninstallScript, parseUninstallOutput, type UninstallScriptOptions } from '../../src/core/azure/dockerInstall/uninstallScript';
import {
  createCertificateAuthority,
  createClientCertificate,
  createServerCertificate,
  type PemPair,
} from '../../src/core/azure/provisioning/certificates';

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

/** Writes a TLS install script (a new CA, a server certificate for 127.0.0.1) to `file` in the work folder; returns the CA. */
async function writeTlsInstall(file: string): Promise<PemPair> {
  const ca = await createCertificateAuthority('Docker on Azure test CA');
  const server = await createServerCertificate(ca, { dnsNames: [], ipAddresses: ['127.0.0.1'] });
  fs.writeFileSync(
    path.join(work, file),
    buildInstallScript({
      adminUser: 'azureuser',
      sshPublicKey: KEY,
      tls: { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem },
    }),
  );
  return ca;
}

test('Debian 12 in TLS mode: the TLS files go in after the package, the old daemon.json is kept, and a real dockerd started from those files takes only the client certificate of that CA', async () => {
  const d = DISTROS[0];
  const ca = await writeTlsInstall('install-tls.sh');
  const client = await createClientCertificate(ca, 'docker-on-azure');
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
    fs.rmSync(dockerd.dir, { recursive: true, force: true });
  }

  const again = await inContainer(installed, 'sh /install.sh', undefined, 'install-tls.sh');
  assert.deepEqual(parseInstallOutput(again.stdout, again.stderr).changed, [], again.stdout);
  assert.match(again.stdout, /\/etc\/docker\/tls\/server-key\.pem is as it should be already/);
});

/** Runs `script` as root in a new container of `from`, with every script of this run under /doa; keeps the container. */
async function withScripts(from: string, script: string): Promise<{ name: string; stdout: string; stderr: string }> {
  const name = uniqueName('uninstall');
  containers.push(name);
  const out = await run(
    'docker',
    ['-H', `unix://${socket}`, 'run', '--name', name, '--network', 'none', '-v', `${work}:/doa:ro`, from, 'sh', '-c', script],
    {
      timeoutMs: 600_000,
    },
  );
  return { name, ...out };
}

async function commit(container: string, image: string): Promise<string> {
  images.push(image);
  await dockerCli(['commit', container, image], socket);
  return image;
}

const uninstall = (file: string, o: Partial<UninstallScriptOptions> = {}) =>
  fs.writeFileSync(
    path.join(work, file),
    buildUninstallScript({ adminUser: 'azureuser', removeGroupMembership: false, removePackages: false, takeUnrecorded: false, ...o }),
  );

test('Debian 12: Remove Docker Access after a TLS install puts daemon.json back and takes the drop-in and TLS files; the docker group and the packages go only when asked; a second run changes nothing', async () => {
  const d = DISTROS[0];
  await writeTlsInstall('install-tls-2.sh');
  uninstall('keep.sh');
  uninstall('all.sh', { removeGroupMembership: true, removePackages: true });
  const image = await imageOf(d);
  // The user's own package, installed before Docker: removing Docker's must leave it.
  const first = await inContainer(
    image,
    'useradd -m -s /bin/bash azureuser && mkdir -p /etc/docker && echo \'{ "log-level": "warn" }\' >/etc/docker/daemon.json && sh /install.sh',
    undefined,
    'install-tls-2.sh',
  );
  assert.ok(parseInstallOutput(first.stdout, first.stderr).changed.includes('wrote /etc/docker/daemon.json'), first.stdout);
  const installed = await commit(first.name, `${image}-tls-2`);
  const record = (await withScripts(installed, `cat ${INSTALL_RECORD}`)).stdout;
  assert.match(record, /^package docker\.io$/m, record);
  assert.match(record, /^dependency containerd$/m, 'what came with docker.io is recorded as such');
  assert.match(record, /^group-member azureuser$/m);
  assert.match(record, new RegExp(`^backup /etc/docker/daemon\\.json ${DAEMON_JSON_BACKUP}$`, 'm'));
  assert.match(record, /^file \/etc\/docker\/tls\/server-key\.pem [0-9a-f]{64}$/m);

  const tlsFiles = ['/etc/docker/tls/ca.pem', '/etc/docker/tls/server-cert.pem', '/etc/docker/tls/server-key.pem'];
  const dropIn = '/etc/systemd/system/docker.service.d/override.conf';
  // In a subshell, so that `script && state` runs none of it when the script fails; each line marked, apart from apt's.
  const state = `(${[
    'cat /etc/docker/daemon.json',
    `for f in ${DAEMON_JSON_BACKUP} ${tlsFiles.join(' ')} ${dropIn} /etc/docker/tls ${INSTALL_RECORD}; do [ -e "$f" ] && echo "there: $f"; done`,
    'id -nG azureuser',
    "dpkg-query -W -f='${db:Status-Abbrev}${Package}\\n' docker.io containerd runc 2>/dev/null | sed -n 's/^ii *//p'",
    `[ -e ${INSTALL_RECORD} ] && cat ${INSTALL_RECORD} || true`,
  ].join('; ')}) | sed 's/^/state: /'`;
  const stateOf = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('state: '))
      .map((l) => l.slice('state: '.length));

  const kept = await withScripts(installed, `sh /doa/keep.sh && ${state}`);
  const keptReport = parseUninstallOutput(kept.stdout);
  assert.deepEqual(
    keptReport.changed,
    ['restored the previous /etc/docker/daemon.json', ...tlsFiles.map((f) => `removed ${f}`), `removed ${dropIn}`],
    kept.stdout,
  );
  assert.deepEqual(keptReport.kept, ['azureuser in the docker group (Docker over SSH)'], kept.stdout);
  const after = stateOf(kept.stdout);
  assert.equal(after[0], '{ "log-level": "warn" }', 'daemon.json is the one from before the install');
  assert.deepEqual(
    after.filter((l) => l.startsWith('there: ')),
    [`there: ${INSTALL_RECORD}`],
    'the backup, the TLS files, their folder and the drop-in are gone; the record keeps what stays',
  );
  assert.ok(
    after.some((l) => l.split(' ').includes('docker') && !l.startsWith('there')),
    `azureuser is still in the docker group:\n${kept.stdout}`,
  );
  assert.ok(after.includes('docker.io') && after.includes('containerd'), `the packages stay:\n${kept.stdout}`);
  assert.deepEqual(
    after
      .filter((l) => /^(group-member|package|dependency|file|backup) /.test(l))
      .map((l) => l.split(' ')[0])
      .filter((k, i, a) => a.indexOf(k) === i)
      .sort(),
    ['dependency', 'group-member', 'package'],
    'the record keeps only the group membership and the packages',
  );
  const keptImage = await commit(kept.name, `${image}-kept`);

  const again = await withScripts(keptImage, 'sh /doa/keep.sh');
  assert.deepEqual(parseUninstallOutput(again.stdout).changed, [], again.stdout);

  // No service manager here to stop what the packages run: as Debian's own container images do, policy-rc.d says so to their scripts.
  const all = await withScripts(
    keptImage,
    `printf '#!/bin/sh\\nexit 101\\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && sh /doa/all.sh && ${state}`,
  );
  const allReport = parseUninstallOutput(all.stdout);
  assert.deepEqual(
    allReport.changed.map((c) => c.replace(/installed:.*/, 'installed: …')),
    ['removed azureuser from the docker group', 'removed the packages Docker on Azure installed: …'],
    all.stdout,
  );
  const gone = stateOf(all.stdout);
  assert.ok(!gone.some((l) => l.startsWith('there: ')), `the record is gone too:\n${all.stdout}`);
  assert.ok(
    !gone.includes('docker.io') && !gone.includes('containerd') && !gone.includes('runc'),
    `docker.io and what came with it are removed:\n${all.stdout}`,
  );
  assert.ok(!gone.some((l) => l.split(' ').includes('docker') && /azureuser/.test(l)), `azureuser left the docker group:\n${all.stdout}`);
  assert.equal(gone[0], '{ "log-level": "warn" }', "the user's daemon.json stays");
  const removedImage = await commit(all.name, `${image}-removed`);
  const third = await withScripts(removedImage, 'sh /doa/all.sh');
  assert.deepEqual(parseUninstallOutput(third.stdout).changed, [], third.stdout);
});

test('Debian 12: an install that left no record (an earlier version) is only listed until the user agrees; a daemon.json the user changed since is kept', async () => {
  const d = DISTROS[0];
  uninstall('ask.sh', { removeGroupMembership: true });
  uninstall('agreed.sh', { removeGroupMembership: true, takeUnrecorded: true });
  const image = await imageOf(d);
  const installedImage = `${image}-tls-2`;
  assert.ok(images.includes(installedImage), 'the previous test installed with TLS');
  const old = await commit(
    (await withScripts(installedImage, `rm ${INSTALL_RECORD} && rmdir ${INSTALL_RECORD.replace(/\/[^/]*$/, '')}`)).name,
    `${image}-unrecorded`,
  );
  const asked = await withScripts(old, 'sh /doa/ask.sh && ls /etc/docker/tls');
  const report = parseUninstallOutput(asked.stdout);
  assert.deepEqual(report.changed, [], asked.stdout);
  assert.deepEqual(report.unrecorded, [
    '/etc/docker/daemon.json',
    '/etc/docker/tls/ca.pem',
    '/etc/docker/tls/server-cert.pem',
    '/etc/docker/tls/server-key.pem',
    '/etc/systemd/system/docker.service.d/override.conf',
    'azureuser in the docker group',
  ]);
  assert.match(asked.stdout, /server-key\.pem/, 'nothing was removed');
  const agreed = parseUninstallOutput((await withScripts(old, 'sh /doa/agreed.sh')).stdout);
  assert.deepEqual(agreed.changed, [
    'restored the previous /etc/docker/daemon.json',
    'removed /etc/docker/tls/ca.pem',
    'removed /etc/docker/tls/server-cert.pem',
    'removed /etc/docker/tls/server-key.pem',
    'removed /etc/systemd/system/docker.service.d/override.conf',
    'removed azureuser from the docker group',
  ]);
  assert.deepEqual(agreed.kept, [], 'packages were not asked for');

  // With a record, a daemon.json the user edited since the install is theirs now, and so is what it uses.
  const edited = await withScripts(
    installedImage,
    `sed -i 's/"tlsverify": true/"tlsverify": true, "debug": true/' /etc/docker/daemon.json && sh /doa/keep.sh && cat /etc/docker/daemon.json`,
  );
  const editedReport = parseUninstallOutput(edited.stdout);
  assert.deepEqual(editedReport.changed, [], `the TLS listener stays whole, as that daemon.json still uses it:\n${edited.stdout}`);
  assert.ok(editedReport.kept.includes('/etc/docker/tls/server-key.pem, which the changed /etc/docker/daemon.json still uses'), edited.stdout);
  assert.deepEqual(editedReport.kept.slice(0, 1), ['/etc/docker/daemon.json, changed since Docker on Azure wrote it']);
  assert.ok(
    editedReport.kept.some((k) => k.startsWith(`${DAEMON_JSON_BACKUP}, the daemon.json from before`)),
    edited.stdout,
  );
  assert.match(edited.stdout, /"debug": true/);
});
