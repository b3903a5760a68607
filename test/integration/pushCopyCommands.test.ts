import { recorded, memento, resetRecorded, secretStorage, Uri } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeProjectName } from '../../src/core/docker/compose';
import { AddedHostsStore } from '../../src/ui/hosts/addedHostsStore';
import type { OtherHostsView } from '../../src/ui/tree/otherHostsView';
import { HostViews, startHostViews } from '../support/hostViews';
import { HostNode, ImageNode, ImagesGroupNode } from '../../src/ui/tree/hostNodes';
import { RegistryCredentialsStore } from '../../src/ui/registries/registryCredentialsStore';
import type { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { startRegistry, type RegistryHandle } from '../support/registry';
import { endpoint, startEngineProxy, type EngineProxy, type SeenRequest } from '../support/engineProxy';
import { dockerCli, loadTestEnvironment, uniqueName } from '../support/testEnv';

const testEnv = loadTestEnvironment();
const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-pushcmd-'));
const user = { username: 'ci', password: `pw-${randomBytes(6).toString('hex')}` };
const secrets = secretStorage();
const globalState = memento();
const credentials = new RegistryCredentialsStore(secrets as never, globalState as never);
let view: OtherHostsView;
let views: HostViews;
let registry: RegistryHandle;
let image: string;
const SECOND = 'second engine';
// Engines reached over plain HTTP on tcp://, as a daemon with an unprotected TCP listener is: a
// proxy in front of the main engine, so the test sees exactly what reached the engine.
const PLAIN = 'plain tcp engine';
const OTHER_PLAIN = 'other plain tcp engine';
let plain: EngineProxy;
let otherPlain: EngineProxy;
const run = (id: string, node: unknown) => recorded.commands.get(id)!(node);

type Item = { label: string; kind?: number };
const pick = (label: string) => (items: Item[]) => items.find((i) => i.label.includes(label));

async function host(name: string): Promise<HostNode> {
  const found = (await view.provider.getChildren()).find((n): n is HostNode => n instanceof HostNode && n.session.spec.name === name);
  assert.ok(found, `host ${name}`);
  return found;
}

async function imageNode(hostName: string, reference: string): Promise<ImageNode | undefined> {
  const h = await host(hostName);
  h.session.invalidate();
  const group = (await view.provider.getChildren(h)).find((n) => n instanceof ImagesGroupNode)!;
  return (await view.provider.getChildren(group)).find((n): n is ImageNode => n instanceof ImageNode && n.row.reference === reference);
}

async function tagsIn(repository: string): Promise<string[]> {
  const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
  const res = await fetch(`http://${registry.address}/v2/${repository}/tags/list`, { headers: { Authorization: `Basic ${auth}` } });
  return res.status === 200 ? (((await res.json()) as { tags: string[] }).tags ?? []).sort() : [];
}

const errors = () => recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);

before(async () => {
  registry = await startRegistry({ auth: user });
  image = `${uniqueName('local/cmd')}:1`;
  await dockerCli(['tag', testEnv.baseImage, image]);
  [plain, otherPlain] = await Promise.all([startEngineProxy(testEnv.unixSocket), startEngineProxy(testEnv.unixSocket)]);
  const store = new AddedHostsStore(memento() as never);
  await store.add({ name: SECOND, address: `unix://${testEnv.tls.unixSocket}` });
  await store.add({ name: PLAIN, address: `tcp://127.0.0.1:${plain.port}` });
  await store.add({ name: OTHER_PLAIN, address: `tcp://127.0.0.1:${otherPlain.port}` });
  process.env.DOCKER_HOST = `unix://${testEnv.unixSocket}`;
  process.env.DOCKER_CONFIG = configDir;
  const connEnv = (): ConnectionEnvironment => ({
    homeDir: configDir,
    knownHostsFile: testEnv.ssh.knownHostsFile,
    localUser: 'root',
    connectTimeoutMs: 5000,
  });
  views = startHostViews({
    connectionEnv: connEnv,
    added: store,
    hostList: { showLocalEngine: true, showContexts: false },
    context: { subscriptions: [], globalState, workspaceState: memento(), secrets },
    commands: true,
  });
  view = views.otherHosts;
});

after(async () => {
  views?.dispose();
  await dockerCli(['image', 'rm', '-f', image]).catch(noop);
  await dockerCli(['image', 'rm', '-f', image], testEnv.tls.unixSocket).catch(noop);
  await registry?.stop();
  await Promise.allSettled([plain?.close(), otherPlain?.close()]);
  fs.rmSync(configDir, { recursive: true, force: true });
});

function noop(): undefined {
  return undefined;
}

test('Push Image… from an image row: other registry, typed credentials, pushed; the credentials are kept as a secret', async () => {
  resetRecorded();
  const node = await imageNode('Local engine', image);
  assert.ok(node, `${image} is listed`);
  let offered: Item[] = [];
  recorded.answers.push(
    (items: Item[]) => {
      offered = items;
      return items.find((i) => i.label.includes('Other registry'));
    },
    registry.address,
    'team/app:v1',
    user.username,
    user.password,
    undefined,
  );
  await run('dockerOnAzure.image.push', node);
  assert.deepEqual(errors(), []);
  assert.ok(
    offered.some((i) => /Sign in to Azure/.test(i.label)),
    'signed out, Azure registries are one sign-in away',
  );
  assert.ok(offered.some((i) => i.label.includes('Docker Hub')));
  assert.deepEqual(await tagsIn('team/app'), ['v1']);
  assert.match(recorded.messages.at(-1)!.text, new RegExp(`^Pushed ${registry.address}/team/app:v1 \\(sha256:`));
  assert.deepEqual(await credentials.get(registry.address), user);
  assert.deepEqual(credentials.recent(), [registry.address]);
});

test('a second push to a remembered registry asks for no credentials', async () => {
  resetRecorded();
  recorded.answers.push(pick(registry.address), 'team/app:v2', undefined);
  await run('dockerOnAzure.image.push', await imageNode('Local engine', image));
  assert.deepEqual(errors(), []);
  assert.equal(recorded.answers.length, 0, 'every scripted answer was used, no more were asked');
  assert.deepEqual(await tagsIn('team/app'), ['v1', 'v2']);
});

test('stored credentials that stopped working: a clear error, and Re-enter Credentials forgets them and asks again', async () => {
  resetRecorded();
  await credentials.set(registry.address, { username: user.username, password: 'changed-since' });
  let storedWhenAsked: unknown = 'not asked';
  recorded.answers.push(pick(registry.address), 'team/app:v3', 'Re-enter Credentials', async () => {
    storedWhenAsked = await credentials.get(registry.address);
    return user.username;
  });
  recorded.answers.push(user.password, undefined);
  await run('dockerOnAzure.image.push', await imageNode('Local engine', image));
  assert.deepEqual(errors(), [`Sign-in to ${registry.address} failed: check the user name and password (unauthorized: authentication required).`]);
  assert.equal(storedWhenAsked, undefined, 'the stale secret was cleared before asking');
  assert.deepEqual(await tagsIn('team/app'), ['v1', 'v2', 'v3']);
  assert.deepEqual(await credentials.get(registry.address), user);
});

test('typed credentials the registry refuses are not kept, and nothing is pushed', async () => {
  resetRecorded();
  await credentials.delete(registry.address);
  recorded.answers.push(pick(registry.address), 'team/app:v4', user.username, 'wrong', undefined);
  await run('dockerOnAzure.image.push', await imageNode('Local engine', image));
  assert.equal(errors().length, 1);
  assert.match(errors()[0], /^Sign-in to .* failed: check the user name and password/);
  assert.equal(await credentials.get(registry.address), undefined);
  assert.ok(!(await tagsIn('team/app')).includes('v4'));
});

test('Copy Image to Host… puts the image on the other host, whose tree then lists it', async () => {
  resetRecorded();
  assert.equal(await imageNode(SECOND, image), undefined, 'not on the second engine yet');
  let offeredHosts: string[] = [];
  recorded.answers.push((items: Item[]) => {
    offeredHosts = items.map((i) => i.label);
    return items.find((i) => i.label === SECOND);
  }, undefined);
  await run('dockerOnAzure.image.copyToHost', await imageNode('Local engine', image));
  assert.deepEqual(errors(), []);
  assert.ok(!offeredHosts.includes('Local engine'), 'the source host is not offered as the target');
  assert.equal(recorded.messages.at(-1)!.text, `${image} is now on ${SECOND}.`);
  assert.ok(await imageNode(SECOND, image), 'the target host lists the image');
});

test('a copy and a push the user cancels end without a word, and the copy leaves nothing on the target', async () => {
  const cancelled = `${uniqueName('local/cancel')}:1`;
  await dockerCli(['tag', testEnv.baseImage, cancelled]);
  try {
    resetRecorded();
    recorded.answers.push(pick(SECOND));
    recorded.cancelNextProgress = true;
    await run('dockerOnAzure.image.copyToHost', await imageNode('Local engine', cancelled));
    assert.deepEqual(recorded.messages, [], 'a cancelled copy shows no message');
    assert.equal(await imageNode(SECOND, cancelled), undefined, 'nothing arrived on the target');

    resetRecorded();
    recorded.answers.push(pick(registry.address), 'team/cancelled:v1');
    recorded.cancelNextProgress = true;
    await run('dockerOnAzure.image.push', await imageNode('Local engine', cancelled));
    assert.deepEqual(recorded.messages, [], 'a cancelled push shows no message');
    assert.deepEqual(await tagsIn('team/cancelled'), []);
  } finally {
    await dockerCli(['image', 'rm', '-f', cancelled]).catch(noop);
    await dockerCli(['image', 'rm', '-f', cancelled], testEnv.tls.unixSocket).catch(noop);
  }
});

/** The credentials a request carried to the engine, decoded, if it carried any. */
function registryAuthOf(request: SeenRequest): { username?: string; password?: string } | undefined {
  const header = request.headers['x-registry-auth'];
  return typeof header === 'string'
    ? (JSON.parse(Buffer.from(header, 'base64url').toString()) as { username?: string; password?: string })
    : undefined;
}

const warnings = () => recorded.messages.filter((m) => m.level === 'warning').map((m) => m.text);

test('a push from a host reached over plain HTTP asks before the stored password goes to it; Cancel sends nothing to the engine', async () => {
  resetRecorded();
  await credentials.set(registry.address, user);
  const node = await imageNode(PLAIN, image);
  assert.ok(node, `${image} is listed on the plain tcp host`);
  const from = plain.requests.length;
  // Pick the registry, name the target, then dismiss the warning (Cancel).
  recorded.answers.push(pick(registry.address), 'team/plain:v1', undefined);
  await run('dockerOnAzure.image.push', node);
  assert.deepEqual(errors(), [], 'a cancelled push is silent');
  const [warning, ...more] = warnings();
  assert.deepEqual(more, []);
  assert.match(warning ?? '', new RegExp(`127\\.0\\.0\\.1:${plain.port}.*unencrypted HTTP.*${registry.address.replace(/\./g, '\\.')}`));
  const sent = plain.requests.slice(from);
  assert.deepEqual(sent.filter(registryAuthOf), [], 'no request carried X-Registry-Auth');
  assert.deepEqual(
    sent.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${endpoint(r)}`),
    [],
    'the engine was asked to change nothing: no tag, no push',
  );
  assert.deepEqual(await tagsIn('team/plain'), []);
});

test('Send Anyway hands the credentials to that host and is remembered for it, but not for another plain HTTP host', async () => {
  resetRecorded();
  const from = plain.requests.length;
  recorded.answers.push(pick(registry.address), 'team/plain:v1', 'Send Anyway', undefined);
  await run('dockerOnAzure.image.push', await imageNode(PLAIN, image));
  assert.deepEqual(errors(), []);
  assert.equal(warnings().length, 1, 'asked once');
  const carried = plain.requests.slice(from).filter(registryAuthOf);
  assert.deepEqual(
    carried.map((r) => [endpoint(r), registryAuthOf(r)?.username]),
    [[`/images/${registry.address}/team/plain/push`, user.username]],
    'the push, and only the push, carried the credentials',
  );
  assert.deepEqual(await tagsIn('team/plain'), ['v1']);

  resetRecorded();
  recorded.answers.push(pick(registry.address), 'team/plain:v2', undefined);
  await run('dockerOnAzure.image.push', await imageNode(PLAIN, image));
  assert.deepEqual([...errors(), ...warnings()], [], 'the same host is not asked again');
  assert.equal(recorded.answers.length, 0, 'every scripted answer was used, no more were asked');
  assert.deepEqual(await tagsIn('team/plain'), ['v1', 'v2']);

  resetRecorded();
  const otherFrom = otherPlain.requests.length;
  recorded.answers.push(pick(registry.address), 'team/plain:v3', undefined);
  await run('dockerOnAzure.image.push', await imageNode(OTHER_PLAIN, image));
  assert.equal(warnings().length, 1, 'another plain HTTP host is asked about on its own');
  assert.match(warnings()[0], new RegExp(`127\\.0\\.0\\.1:${otherPlain.port}`));
  assert.deepEqual(otherPlain.requests.slice(otherFrom).filter(registryAuthOf), []);
  assert.deepEqual(await tagsIn('team/plain'), ['v1', 'v2']);
});

/** Deploys a Dockerfile whose base image is only in the registry (not on the engine) to `hostName`. */
async function deployFromRegistry(hostName: string, answersAfter: unknown[] = []): Promise<string> {
  const base = `${registry.address}/team/app:v1`;
  await dockerCli(['image', 'rm', base]).catch(() => undefined);
  const dir = fs.mkdtempSync(path.join(configDir, 'from-registry-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${base}\nCMD sleep 3600\n`);
  const name = uniqueName('from-registry');
  recorded.answers.push(pick(hostName), `${name}:1`, name, '', '', (items: Item[]) => items[0], ...answersAfter);
  await run('dockerOnAzure.deploy', Uri.file(path.join(dir, 'Dockerfile')));
  return name;
}

test('Deploy builds FROM an image in a private registry with the credentials Push kept; without them the build fails naming the image', async () => {
  resetRecorded();
  await credentials.set(registry.address, user);
  const name = await deployFromRegistry('Local engine');
  try {
    assert.deepEqual(errors(), []);
    assert.match(
      recorded.outputs.get('Docker on Azure: Build') ?? '',
      new RegExp(`^Signed in to ${registry.address} with the credentials Push Image… kept to pull the build's images\\.$`, 'm'),
    );
    assert.equal((await dockerCli(['inspect', '-f', '{{.State.Running}}', name])).trim(), 'true');
    assert.ok(!(recorded.outputs.get('Docker on Azure: Build') ?? '').includes(user.password), 'the password is not in the output');
  } finally {
    await dockerCli(['rm', '-f', name]).catch(() => undefined);
  }

  resetRecorded();
  await credentials.delete(registry.address);
  const anonymous = await deployFromRegistry('Local engine');
  assert.equal(errors().length, 1, `one error: ${errors()}`);
  assert.match(
    errors()[0],
    new RegExp(`${registry.address} did not let the host pull ${registry.address}/team/app:v1: push an image there once with Push Image… so its login is kept`),
  );
  await assert.rejects(dockerCli(['inspect', anonymous]), /No such/i, 'nothing was started');
  await credentials.set(registry.address, user);
});

test("Compose Up builds a service FROM the private registry with the login Push kept, as Deploy does", async () => {
  resetRecorded();
  await credentials.set(registry.address, user);
  const base = `${registry.address}/team/app:v1`;
  await dockerCli(['image', 'rm', base]).catch(() => undefined);
  const dir = fs.mkdtempSync(path.join(configDir, 'composefrom'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${base}\nCMD sleep 3600\n`);
  fs.writeFileSync(path.join(dir, 'compose.yaml'), 'services:\n  app:\n    build: .\n');
  const project = composeProjectName(path.basename(dir));
  recorded.answers.push(pick('Local engine'));
  try {
    await run('dockerOnAzure.composeUp', Uri.file(path.join(dir, 'compose.yaml')));
    assert.deepEqual(errors(), []);
    const output = recorded.outputs.get('Docker on Azure: Build') ?? '';
    assert.match(output, new RegExp(`^Signed in to ${registry.address} with the credentials Push Image… kept to pull the build's images\\.$`, 'm'));
    assert.ok(!output.includes(user.password), 'the password is not in the output');
    const state = await dockerCli(['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.State}}']);
    assert.equal(state.trim(), 'running');
  } finally {
    const ids = (await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).split(/\s+/).filter(Boolean);
    if (ids.length) {
      await dockerCli(['rm', '-f', ...ids]);
    }
    await dockerCli(['network', 'rm', `${project}_default`]).catch(() => undefined);
  }
});

test('a build on a plain HTTP host asks before registry credentials go to it; declined, they do not', async () => {
  resetRecorded();
  // A plain byte forward (the recording proxy does not pass the build session's hijacked connection).
  const forward = net.createServer((socket) => {
    const engine = net.connect(testEnv.unixSocket);
    socket.pipe(engine).pipe(socket);
    socket.on('error', () => engine.destroy());
    engine.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => forward.listen(0, '127.0.0.1', resolve));
  const port = (forward.address() as net.AddressInfo).port;
  await views.added.add({ name: 'forwarded tcp engine', address: `tcp://127.0.0.1:${port}` });
  try {
    const name = await deployFromRegistry('forwarded tcp engine', [undefined]);
    assert.equal(warnings().length, 1, `asked once: ${warnings()}`);
    assert.match(warnings()[0], new RegExp(`^127\\.0\\.0\\.1:${port} is reached over unencrypted HTTP, so the credentials for ${registry.address} would cross`));
    assert.equal(errors().length, 1, 'the pull without them fails');
    await assert.rejects(dockerCli(['inspect', name]), /No such/i);
  } finally {
    forward.close();
  }
});
