/**
 * The install script and how its output is read back: it parses as POSIX sh (dash, as Debian's
 * /bin/sh), refuses to embed anything that is not a user name or one public key line, and the
 * product reads its markers from either shape of a Custom Script instance view.
 */
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { buildInstallScript, parseInstallOutput } from '../../src/core/azure/dockerInstall/installScript';
import { outputOf } from '../../src/core/azure/dockerInstall/customScriptRun';
import { buildUninstallScript, parseUninstallOutput } from '../../src/core/azure/dockerInstall/uninstallScript';
import { daemonTlsFiles, DOCKER_DROP_IN } from '../../src/core/azure/provisioning/cloudInit';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2yQ0v1mRkQ3b8kZ8wJ5x7d4e2h1v6cN0pT9sUaBcD me@laptop';

test('the script is valid POSIX sh, for dash and bash alike', () => {
  const script = buildInstallScript({ adminUser: 'azureuser', sshPublicKey: KEY });
  for (const shell of ['dash', 'bash']) {
    execFileSync(shell, ['-n'], { input: script });
  }
  assert.match(script, /^#!\/bin\/sh\n/);
  assert.ok(script.includes(`SSH_KEY='${KEY}'`));
});

test('a user name or key that could break out of the script is refused', () => {
  assert.throws(() => buildInstallScript({ adminUser: "x'; rm -rf /; '", sshPublicKey: KEY }), /not a Linux user name/);
  assert.throws(() => buildInstallScript({ adminUser: 'azureuser', sshPublicKey: `${KEY}' && reboot '` }), /not one OpenSSH line/);
  assert.throws(() => buildInstallScript({ adminUser: 'azureuser', sshPublicKey: `${KEY}\nssh-rsa AAAA other` }), /not one OpenSSH line/);
});

test('the report reads the markers: OS, each change, the host key, a refusal', () => {
  const stdout =
    'doa-os: Ubuntu 24.04.3 LTS\nDocker Engine is installed already\ndoa-changed: added azureuser to the docker group\ndoa-host-key: ssh-ed25519 AAAAkey\n';
  assert.deepEqual(parseInstallOutput(stdout, ''), {
    os: 'Ubuntu 24.04.3 LTS',
    changed: ['added azureuser to the docker group'],
    hostKey: 'ssh-ed25519 AAAAkey',
    refused: undefined,
  });
  assert.equal(parseInstallOutput('', 'doa-refused: SLES 15 is not supported\n').refused, 'SLES 15 is not supported');
});

test("output comes from the StdOut/StdErr substatuses, else from the Linux handler's status message", () => {
  assert.deepEqual(
    outputOf({
      statuses: [{ code: 'ProvisioningState/succeeded', message: 'Enable succeeded: \n[stdout]\nignored\n[stderr]\n' }],
      substatuses: [
        { code: 'ComponentStatus/StdOut/succeeded', message: 'out\n' },
        { code: 'ComponentStatus/StdErr/succeeded', message: 'err\n' },
      ],
    }),
    { stdout: 'out\n', stderr: 'err\n' },
  );
  assert.deepEqual(
    outputOf({
      statuses: [{ code: 'ProvisioningState/failed/1', message: 'Enable failed: exit status=1\n[stdout]\nline 1\nline 2\n[stderr]\nboom\n' }],
    }),
    {
      stdout: 'line 1\nline 2',
      stderr: 'boom\n',
    },
  );
  assert.deepEqual(outputOf(undefined), { stdout: '', stderr: '' });
});

test('in TLS mode the script writes what provisioning writes, the drop-in naming the dockerd the VM has; SSH mode writes none of it', () => {
  const tls = { caPem: 'CA PEM\n', serverCertPem: 'SERVER CERT\n', serverKeyPem: "SERVER KEY with ' and $(x)\n" };
  const script = buildInstallScript({ adminUser: 'azureuser', sshPublicKey: KEY, tls });
  for (const shell of ['dash', 'bash']) {
    execFileSync(shell, ['-n'], { input: script });
  }
  const written = new Map(
    [...script.matchAll(/^put_file '([^']+)' (\d+) '([A-Za-z0-9+/=]+)'$/gm)].map((m) => [
      m[1],
      { mode: m[2], content: Buffer.from(m[3], 'base64').toString() },
    ]),
  );
  const provisioned = daemonTlsFiles(tls).filter((f) => f.path !== DOCKER_DROP_IN);
  assert.deepEqual(
    [...written],
    provisioned.map((f) => [f.path, { mode: f.permissions, content: f.content }]),
  );
  assert.ok(!script.includes('SERVER KEY'), 'contents travel encoded, so none can break the quoting');
  assert.match(
    script,
    new RegExp(`put_file '${DOCKER_DROP_IN}' 0644 "\\$\\(printf '\\[Service\\]\\nExecStart=\\nExecStart=%s\\n' "\\$\\(command -v dockerd\\)"`),
  );
  assert.ok(
    script.indexOf('put_file ') > script.indexOf('apt-get install'),
    'the TLS files follow the package, whose docker.service would not start with them before its drop-in',
  );
  const ssh = buildInstallScript({ adminUser: 'azureuser', sshPublicKey: KEY });
  assert.ok(!ssh.includes('put_file') && !ssh.includes('daemon.json'));
});

test('the uninstall script is valid POSIX sh in every mode, refuses a user name that could break out, and its report reads its markers', () => {
  for (const removeGroupMembership of [false, true]) {
    for (const removePackages of [false, true]) {
      for (const takeUnrecorded of [false, true]) {
        const script = buildUninstallScript({ adminUser: 'azureuser', removeGroupMembership, removePackages, takeUnrecorded });
        for (const shell of ['dash', 'bash']) {
          execFileSync(shell, ['-n'], { input: script });
        }
      }
    }
  }
  assert.throws(
    () => buildUninstallScript({ adminUser: "x'; rm -rf /; '", removeGroupMembership: true, removePackages: false, takeUnrecorded: false }),
    /not a Linux user name/,
  );
  assert.deepEqual(
    parseUninstallOutput(
      'doa-changed: removed /etc/docker/tls/ca.pem\nok\ndoa-kept: azureuser in the docker group\ndoa-unrecorded: /etc/docker/daemon.json\n',
    ),
    { changed: ['removed /etc/docker/tls/ca.pem'], kept: ['azureuser in the docker group'], unrecorded: ['/etc/docker/daemon.json'] },
  );
});
