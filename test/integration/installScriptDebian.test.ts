/**
 * The install script on a real Debian 12: a minimal root filesystem made with debootstrap from
 * Debian's own mirror, imported as an image, and the product's script run as root in a container
 * of it (host network, so apt reaches the mirror, as a VM reaches it). The packages, the group,
 * the key and the service are then checked as the script intends, and a second run changes nothing.
 * What cannot run here: systemd as PID 1 (the service is enabled, not started) and the RHEL family.
 * Needs debootstrap (scripts/ensure-test-deps.sh) and deb.debian.org.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../support/engines';
import { dockerCli, loadTestEnvironment, uniqueName } from '../support/testEnv';
import { buildInstallScript, parseInstallOutput } from '../../src/core/azure/dockerInstall/installScript';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD me@laptop';
const MIRROR = 'http://deb.debian.org/debian';

let work: string;
let socket: string;
const image = `local/${uniqueName('debian-bookworm')}:minbase`;
const installed = `${image}-installed`;
const containers: string[] = [];

before(async () => {
  socket = loadTestEnvironment().unixSocket;
  work = fs.mkdtempSync('/tmp/doa-debian-');
  const root = path.join(work, 'root');
  await run('debootstrap', ['--variant=minbase', 'bookworm', root, MIRROR], { timeoutMs: 600_000 });
  await run('sh', ['-c', `tar -C '${root}' -c . | docker -H 'unix://${socket}' import - '${image}'`], { timeoutMs: 120_000 });
  fs.writeFileSync(path.join(work, 'install.sh'), buildInstallScript({ adminUser: 'azureuser', sshPublicKey: KEY }));
});

after(async () => {
  for (const c of containers) {
    await dockerCli(['rm', '-f', c], socket).catch(() => undefined);
  }
  await dockerCli(['rmi', '-f', image, installed], socket).catch(() => undefined);
  fs.rmSync(work, { recursive: true, force: true });
});

/** Runs `script` as root in a new container of `from` with the install script at /install.sh; keeps the container. */
async function inContainer(from: string, script: string): Promise<{ name: string; stdout: string; stderr: string }> {
  const name = uniqueName('debian-install');
  containers.push(name);
  const out = await run(
    'docker',
    ['-H', `unix://${socket}`, 'run', '--name', name, '--network', 'host', '-v', `${work}/install.sh:/install.sh:ro`, from, 'sh', '-c', script],
    { timeoutMs: 600_000 },
  );
  return { name, ...out };
}

test('on Debian 12 the script installs docker.io, enables it, puts the admin user in the docker group and the key in place', async () => {
  // The image has its admin user, as an Azure image has it after provisioning.
  const first = await inContainer(image, 'useradd -m -s /bin/bash azureuser && sh /install.sh');
  const report = parseInstallOutput(first.stdout, first.stderr);
  assert.equal(report.os, 'Debian GNU/Linux 12 (bookworm)');
  assert.deepEqual(
    report.changed.map((c) => c.replace(/docker\.io \S+/, 'docker.io VERSION')),
    ['installed docker.io VERSION', 'added azureuser to the docker group', 'added the key to /home/azureuser/.ssh/authorized_keys'],
    `the changes, one line each:\n${first.stdout}`,
  );
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
    ].join(' && '),
  );
  const lines = check.stdout.trim().split('\n');
  assert.deepEqual(lines.slice(0, 3), ['install ok installed', 'install ok installed', 'install ok installed'], check.stdout);
  assert.ok(lines[3].split(' ').includes('docker'), `azureuser is in the docker group: ${lines[3]}`);
  assert.deepEqual(lines.slice(4, 7), ['700 azureuser /home/azureuser/.ssh', '600 azureuser /home/azureuser/.ssh/authorized_keys', KEY]);
  assert.equal(lines[7], 'enabled', 'docker.service starts at boot');
  assert.match(lines[8], /^Docker version 20\.10\./, "Debian's own Docker Engine");
});

test('run again on that Debian, the script changes nothing and says what it found', async () => {
  const again = await inContainer(installed, 'sh /install.sh');
  const report = parseInstallOutput(again.stdout, again.stderr);
  assert.deepEqual(report.changed, [], again.stdout);
  assert.match(again.stdout, /Docker Engine is installed already: Docker version 20\.10/);
  assert.match(again.stdout, /azureuser is in the docker group already/);
  assert.match(again.stdout, /the key is in \/home\/azureuser\/\.ssh\/authorized_keys already/);
});

test('the same Debian claiming another release is refused before anything changes', async () => {
  const name = uniqueName('debian-refused');
  containers.push(name);
  const res = await run(
    'docker',
    [
      '-H',
      `unix://${socket}`,
      'run',
      '--name',
      name,
      '-v',
      `${work}/install.sh:/install.sh:ro`,
      image,
      'sh',
      '-c',
      'sed -i \'s/^VERSION_ID=.*/VERSION_ID="10"/\' /etc/os-release && sh /install.sh',
    ],
    { timeoutMs: 60_000 },
  ).then(
    () => assert.fail('the script should have refused Debian 10'),
    (e: Error) => e,
  );
  assert.match(res.message, /doa-refused: Debian GNU\/Linux 12 \(bookworm\) is not supported; supported are Ubuntu 20\.04/);
  const diff = await dockerCli(['diff', name], socket);
  const changed = diff
    .trim()
    .split('\n')
    // The script's own mount point, and the edit.
    .filter((l) => l !== 'A /install.sh' && !/os-release$/.test(l) && !/^C \/(etc|usr|usr\/lib)$/.test(l));
  assert.deepEqual(changed, [], `nothing but the os-release edit:\n${diff}`);
});
