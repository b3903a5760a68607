import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { connectionEnvironment, sshKeyDirectory } from '../../src/ui/settings';

const root = path.resolve(__dirname, '..', '..', '..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const properties = manifest.contributes.configuration.properties as Record<string, { scope?: string; description?: string }>;

/** Settings that say where a token, a secret or a new private key goes, or which host keys are trusted. */
const TRUST_SETTINGS = [
  'dockerOnAzure.azure.signInMethod',
  'dockerOnAzure.azure.resourceManagerEndpoint',
  'dockerOnAzure.azure.authorityHost',
  'dockerOnAzure.azure.audience',
  'dockerOnAzure.azure.portalUrl',
  'dockerOnAzure.ssh.knownHostsFile',
  'dockerOnAzure.ssh.keyDirectory',
];

beforeEach(() => resetRecorded());

test('every setting that routes credentials or decides trust is machine-scoped and restricted in untrusted workspaces', () => {
  const untrusted = manifest.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, 'limited');
  assert.ok(untrusted.description);
  const restricted = new Set<string>(untrusted.restrictedConfigurations ?? []);
  for (const key of TRUST_SETTINGS) {
    assert.ok(properties[key], `${key} is declared`);
    assert.ok(['machine', 'application'].includes(properties[key].scope ?? ''), `${key} has machine or application scope`);
    assert.ok(restricted.has(key), `${key} is in restrictedConfigurations`);
  }
  const machineScoped = Object.keys(properties).filter((k) => ['machine', 'application'].includes(properties[k].scope ?? ''));
  assert.deepEqual([...restricted].sort(), machineScoped.sort(), 'restricted and machine-scoped settings are the same set');
});

for (const enforced of [true, false]) {
  const how = enforced ? 'VS Code enforces setting scopes' : 'scope enforcement is bypassed';
  test(`a workspace cannot choose the known_hosts file or the SSH key folder; ${how}`, () => {
    recorded.enforceSettingScopes = enforced;
    const home = os.homedir();
    recorded.workspaceConfig = {
      'dockerOnAzure.ssh.knownHostsFile': '/tmp/repo/known_hosts',
      'dockerOnAzure.ssh.keyDirectory': '/tmp/repo/keys',
    };
    assert.equal(connectionEnvironment().knownHostsFile, path.join(home, '.ssh', 'known_hosts'));
    assert.equal(sshKeyDirectory(), `${home}/.ssh`);

    recorded.config = { 'dockerOnAzure.ssh.knownHostsFile': '~/mine/known_hosts', 'dockerOnAzure.ssh.keyDirectory': '~/mine/keys' };
    assert.equal(connectionEnvironment().knownHostsFile, `${home}/mine/known_hosts`, "the user's own value still applies");
    assert.equal(sshKeyDirectory(), `${home}/mine/keys`);
  });
}

test('workspace values of ordinary settings still apply', () => {
  recorded.workspaceConfig = { 'dockerOnAzure.connectTimeoutSeconds': 3 };
  assert.equal(connectionEnvironment().connectTimeoutMs, 3000);
});
