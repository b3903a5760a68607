/**
 * Export as Docker CLI Context, proven with the real Docker CLI: `docker --context NAME ps` must
 * reach a TLS host provisioned on the ARM emulator (certificates only in SecretStorage), an SSH
 * host provisioned there (a key and known_hosts file of the extension's own), and an SSH host
 * added in Other Docker Hosts. For ssh, the CLI runs the system `ssh`, which reads the user's
 * ~/.ssh/config from the account's home directory (not $HOME): each CLI run gets a mount namespace
 * where the test's home folder is /root, so the machine's own ~/.ssh is never read or written.
 */
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { run } from '../support/processes';
import { ARM_CA_DIR_VAR, dockerCli, loadTestEnvironment } from '../support/testEnv';
import { startAzureCommands, type AzureCommands } from '../support/azureCommands';
import type { FakeInputBox } from '../support/vscodeFake';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { HostNode } from '../../src/ui/tree/hostNodes';
import type { DockerHostSpec } from '../../src/core/docker/hostSpec';

const testEnv = loadTestEnvironment();
const DOCKER_CLI = '/usr/local/bin/docker';
let arm: ArmEmulator;
let azure: AzureCommands;
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-ctxexport-'));
const dockerConfig = path.join(home, 'docker');
const sshConfig = path.join(home, '.ssh', 'config');
const savedDockerConfig = process.env.DOCKER_CONFIG;

type Item = { label: string; value?: unknown; picked?: boolean };
const byDefault = (items: Item[]) => items.find((i) => i.picked) ?? items[0];

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  azure = startAzureCommands(arm, home, {
    'dockerOnAzure.ssh.keyDirectory': path.join(home, 'keys'),
    'dockerOnAzure.provision.daemonWaitMinutes': 2,
  });
  process.env.DOCKER_CONFIG = dockerConfig;
});

beforeEach(() => {
  resetRecorded();
  recorded.config = { ...azure.config };
});

after(async () => {
  azure?.dispose();
  await arm?.stop();
  process.env.DOCKER_CONFIG = savedDockerConfig;
  if (savedDockerConfig === undefined) {
    delete process.env.DOCKER_CONFIG;
  }
  fs.rmSync(home, { recursive: true, force: true });
});

const messages = () => recorded.messages.map((m) => m.text).join(' | ');

/** The real Docker CLI as the user runs it in a terminal, with the test's home folder as the account's home. */
async function dockerWithContext(context: string, args: string[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: dockerConfig, DOCKER_CLI_HINTS: 'false' };
  delete env.DOCKER_HOST;
  const { stdout } = await run(
    'unshare',
    ['--mount', 'sh', '-c', 'mount --bind "$1" /root && shift && exec "$@"', 'sh', home, DOCKER_CLI, '--context', context, ...args],
    { env, timeoutMs: 120_000 },
  );
  return stdout.trim();
}

async function provision(access: 'ssh' | 'tls'): Promise<DockerHostSpec> {
  let hostName = '';
  recorded.answers.push(
    (box: FakeInputBox) => (hostName = `${box.value}-${access}`),
    byDefault, // a new resource group
    byDefault, // region
    (box: FakeInputBox) => box.value, // the DNS label proposed free
    byDefault, // size
    byDefault, // image
    (items: Item[]) => items.find((i) => i.value === access),
    (items: Item[]) => items.find((i) => i.value === null), // a new SSH key pair
    '127.0.0.1',
  );
  const ready = (await recorded.commands.get('dockerOnAzure.azure.provisionHost')!()) as DockerHostSpec | undefined;
  assert.deepEqual([recorded.answerErrors, recorded.refusedInputs], [[], []]);
  assert.ok(ready, `${hostName} is ready: ${messages()}`);
  return ready;
}

async function azureHost(name: string): Promise<AzureHostNode> {
  const subs = (await azure.view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
  const hosts = (await Promise.all(subs.map((s) => azure.view.provider.getChildren(s)))).flat();
  const found = hosts.find((h): h is AzureHostNode => h instanceof AzureHostNode && h.vm.name === name);
  assert.ok(found, `host ${name}`);
  return found;
}

test('a TLS host provisioned here: the context carries the certificates from SecretStorage, and docker --context ps reaches it', async () => {
  const spec = await provision('tls');
  const booted = arm.bootedHosts().find((h) => spec.address.includes(h.address));
  assert.ok(booted, 'the VM booted');
  await dockerCli(['network', 'create', 'ctx-tls-proof'], booted.socketPath);
  recorded.answers.push('tls-ctx');
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(await azureHost(spec.name));
  assert.match(messages(), /Created Docker context "tls-ctx"/);
  assert.match(await dockerWithContext('tls-ctx', ['network', 'ls', '--format', '{{.Name}}']), /^ctx-tls-proof$/m);
  assert.equal(fs.existsSync(sshConfig), false, 'a TLS context needs nothing from ssh');
});

test('an SSH host provisioned here: with the Host entry the export offers, docker --context ps reaches it over the system ssh', async () => {
  const spec = await provision('ssh');
  const booted = arm.bootedHosts().find((h) => h.ssh && spec.address.endsWith(`@${h.address}`));
  assert.ok(booted, 'the VM booted in SSH mode');
  await dockerCli(['network', 'create', 'ctx-ssh-proof'], booted.socketPath);
  recorded.answers.push('ssh-ctx', 'Add Host Entry');
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(await azureHost(spec.name));
  const offer = recorded.messages.find((m) => m.text.includes('Add a Host entry'));
  assert.ok(offer, messages());
  assert.ok(offer.text.includes(spec.identityFile!) && offer.text.includes(path.join(home, 'known_hosts')), offer.text);
  assert.match(messages(), new RegExp(`Added a Host entry for ${booted.address.replace(/\./g, '\\.')} to ${sshConfig}`));
  assert.match(await dockerWithContext('ssh-ctx', ['network', 'ls', '--format', '{{.Name}}']), /^ctx-ssh-proof$/m);

  // A second export of the same host needs no second entry.
  resetRecorded();
  recorded.config = { ...azure.config };
  const before = fs.readFileSync(sshConfig, 'utf8');
  recorded.answers.push('ssh-ctx-2');
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(await azureHost(spec.name));
  assert.equal(fs.readFileSync(sshConfig, 'utf8'), before);
  assert.deepEqual(recorded.answers, [], messages());
});

test('an SSH host added in Other Docker Hosts exports too; declining the Host entry says what ssh needs and writes nothing', async () => {
  const knownHosts = path.join(home, 'known_hosts');
  fs.appendFileSync(knownHosts, `[127.0.0.1]:${testEnv.ssh.port} ${testEnv.ssh.hostKeyPublic}\n`);
  await azure.added.add({ name: 'added-ssh', address: `ssh://root@127.0.0.1:${testEnv.ssh.port}`, identityFile: testEnv.ssh.identityFile });
  azure.otherView.refreshAll();
  const roots = await azure.otherView.provider.getChildren();
  const node = roots.find((n): n is HostNode => n instanceof HostNode && n.session.spec.name === 'added-ssh');
  assert.ok(node, 'the added host is listed');
  const configBefore = fs.readFileSync(sshConfig, 'utf8');

  recorded.answers.push('added-declined', undefined);
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(node);
  assert.equal(fs.readFileSync(sshConfig, 'utf8'), configBefore, 'nothing written without a yes');
  assert.ok(
    recorded.messages.some((m) => m.text.includes(`your ssh needs IdentityFile ${testEnv.ssh.identityFile}`) && m.text.includes('for 127.0.0.1')),
    messages(),
  );

  resetRecorded();
  recorded.config = { ...azure.config };
  recorded.answers.push('added-ssh', 'Add Host Entry');
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(node);
  const names = await dockerWithContext('added-ssh', ['ps', '-a', '--format', '{{.ID}}']);
  const direct = (await dockerCli(['ps', '-a', '--format', '{{.ID}}'])).trim();
  assert.equal(names, direct, 'the context reaches the daemon behind the added sshd');
  assert.ok(fs.readFileSync(sshConfig, 'utf8').startsWith(configBefore), 'the earlier entries stay as they were');
});
