/**
 * What a host leaves in SecretStorage: the real Provision and Delete commands, through the vscode
 * fake (whose SecretStorage keeps what is stored), against the ARM emulator booting the provisioned
 * VMs as real mutual-TLS Docker hosts.
 */
import { recorded, memento, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startArmEmulator, type ArmEmulator } from '../support/armEmulator';
import { ARM_CA_DIR_VAR } from '../support/testEnv';
import { secretStorage } from '../support/vscodeFake';
import { AzureSignIn } from '../../src/ui/azure/azureSignIn';
import { HostMarksStore } from '../../src/ui/azure/hostMarksStore';
import { HostTlsStore } from '../../src/ui/azure/hostTlsStore';
import { HostViews, startHostViews } from '../support/hostViews';
import type { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { DockerHostSession } from '../../src/core/docker/hostSession';
import type { AzureHostsView } from '../../src/ui/tree/azureHostsView';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';

let arm: ArmEmulator;
let view: AzureHostsView;
let signIn: AzureSignIn;
let views: HostViews | undefined;
const secrets = secretStorage();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-secrets-'));
const connectionEnv = () => ({ homeDir: scratch, knownHostsFile: path.join(scratch, 'known_hosts'), localUser: 'root', connectTimeoutMs: 5000 });
const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined } as never;

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  process.env.AZURE_TENANT_ID = arm.tenantId;
  process.env.AZURE_CLIENT_ID = arm.clientId;
  process.env.AZURE_CLIENT_SECRET = arm.clientSecret;
  resetRecorded();
  recorded.config = {
    'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
    'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
    'dockerOnAzure.azure.authorityHost': arm.url,
    // A new SSH key pair must not land in this machine's ~/.ssh.
    'dockerOnAzure.ssh.keyDirectory': path.join(scratch, 'ssh'),
  };
  signIn = new AzureSignIn(log);
  const marks = new HostMarksStore(memento() as never);
  const hostTls = new HostTlsStore(secrets as never);
  views = startHostViews({
    connectionEnv,
    signIn,
    marks,
    hostTls,
    context: { subscriptions: [], workspaceState: memento(), globalState: memento(), secrets },
    commands: true,
  });
  view = views.azureHosts;
});

after(async () => {
  views?.dispose();
  signIn?.dispose();
  await arm?.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

type Item = { label: string; value?: unknown };

/** Provision Docker Host… with mutual TLS, every other answer the wizard's default; resolves once Docker answers. */
async function provisionTlsHost(name: string): Promise<DockerHostSpec> {
  recorded.answers.push(
    name,
    (items: Item[]) => items[0], // a new resource group
    (items: Item[]) => items.find((i) => i.value === 'westeurope'),
    (box: { value: string }) => box.value, // the DNS label proposed free
    (items: Item[]) => items[0], // size
    (items: Item[]) => items[0], // image
    (items: Item[]) => items.find((i) => i.value === 'tls'),
    (items: Item[]) => items.find((i) => i.value === null), // a new SSH key pair
    '127.0.0.1',
  );
  const ready = (await recorded.commands.get('dockerOnAzure.azure.provisionHost')!()) as DockerHostSpec | undefined;
  assert.deepEqual(recorded.refusedInputs, []);
  assert.ok(ready, `${name} is ready: ${recorded.messages.map((m) => m.text).join(' | ')}`);
  return ready;
}

async function hostNode(name: string): Promise<AzureHostNode> {
  const subs = (await view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await Promise.all(subs.map((s) => view.provider.getChildren(s)))).flat();
  const found = hosts.find((h): h is AzureHostNode => h instanceof AzureHostNode && h.vm.name === name);
  assert.ok(found, `host ${name}`);
  return found;
}

test("deleting a provisioned TLS host removes its CA key and client key from SecretStorage, and only that host's", async () => {
  const before = await secrets.keys();
  const kept = await provisionTlsHost('secrets-kept');
  const keptKeys = (await secrets.keys()).filter((k) => !before.includes(k));
  const gone = await provisionTlsHost('secrets-gone');
  const goneKeys = (await secrets.keys()).filter((k) => !before.includes(k) && !keptKeys.includes(k));
  // What provisioning keeps per host: the client certificate and key, and the CA key.
  for (const keys of [keptKeys, goneKeys]) {
    assert.equal(keys.length, 1, `one entry per host: ${keys}`);
    assert.ok(/"caKey":"-----BEGIN PRIVATE KEY-----/.test((await secrets.get(keys[0])) ?? ''), `${keys[0]} holds a CA key`);
  }

  // A delete that fails leaves the VM, and with it the only keys to its daemon.
  arm.faults.failNextOperation('OperationNotAllowed', 'The operation is not allowed while the VM is being updated.');
  recorded.answers.push('secrets-gone');
  await recorded.commands.get('dockerOnAzure.azureHost.delete')!(await hostNode('secrets-gone'));
  assert.ok(
    recorded.messages.some((m) => /these remain: secrets-gone /.test(m.text)),
    recorded.messages.map((m) => m.text).join(' | '),
  );
  assert.deepEqual(
    (await secrets.keys()).filter((k) => !before.includes(k)),
    [...keptKeys, ...goneKeys],
    'both hosts keep their entries',
  );

  const node = await hostNode('secrets-gone');
  recorded.answers.push('secrets-gone');
  await recorded.commands.get('dockerOnAzure.azureHost.delete')!(node);
  assert.ok(
    recorded.messages.some((m) => /^Deleted secrets-gone/.test(m.text)),
    recorded.messages.map((m) => m.text).join(' | '),
  );
  assert.equal(arm.resource(node.vm.id), undefined, 'the VM is gone');

  // Key names only: a failure must not print key material.
  assert.deepEqual(
    (await secrets.keys()).filter((k) => !before.includes(k)),
    keptKeys,
    "the deleted host's TLS material is gone, exactly the other host's remains",
  );
  // ...and the other host still answers with what SecretStorage holds for it.
  const spec = (await hostNode('secrets-kept')).session?.spec;
  assert.deepEqual(spec?.tlsPem, kept.tlsPem);
  const session = new DockerHostSession(spec!, connectionEnv());
  try {
    assert.deepEqual((await session.load()).containers, []);
  } finally {
    session.dispose();
  }
  assert.ok(gone.tlsPem);
});
