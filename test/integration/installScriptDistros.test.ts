/**
 * The install script on real distributions: a root filesystem made with debootstrap from the
 * distribution's own mirror (with systemd and OpenSSH, as its Azure images have them), imported as
 * an image, and the product's script run as root in a container of it (host network, so apt
 * reaches the mirror, as a VM does). Packages, group, key and service are then checked as the
 * script intends, a second run changes nothing, and a release outside the list is refused.
 * What cannot run here: systemd as PID 1 (the service is enabled, not started), the RHEL family,
 * and Ubuntu, whose mirror CI does not reach. Needs debootstrap (ensure-test-deps.sh).
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { run } from '../support/engines';
import { dockerCli, loadTestEnvironment, uniqueName } from '../support/testEnv';
import { buildInstallScript, parseInstallOutput } from '../../src/core/azure/dockerInstall/installScript';

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

async function imageOf(d: Distro): Promise<string> {
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
async function inContainer(from: string, script: string, network = ['--network', 'host']): Promise<{ name: string; stdout: string; stderr: string }> {
  const name = uniqueName('install');
  containers.push(name);
  const out = await run(
    'docker',
    ['-H', `unix://${socket}`, 'run', '--name', name, ...network, '-v', `${work}/install.sh:/install.sh:ro`, from, 'sh', '-c', script],
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
