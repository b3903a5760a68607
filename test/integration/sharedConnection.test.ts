import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { copyImage } from '../../src/core/docker/copyImage';
import { DockerHostSession } from '../../src/core/docker/hostSession';
import type { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { pushImage } from '../../src/core/docker/pushImage';
import { targetReference } from '../../src/core/docker/registryAuth';
import { makeTlsMaterial } from '../support/certs';
import { endpoint, startEngineProxy, type EngineProxy, type SeenRequest } from '../support/engineProxy';
import { freePort, run, startSshd, type SshdHandle } from '../support/engines';
import { startRegistry, type RegistryHandle } from '../support/registry';
import { dockerCli, eventually, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * Builds, pushes, copies, terminals and the Compose forwarder use a host's one shared connection,
 * which the tree's listings use too. These tests put a proxy in front of the real engines that
 * lets every request through except the listing, which fails or stalls, while a push or copy is
 * held half-way on the same connection; the operation must then finish.
 */
const env = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-share-'));
// Hosts whose listing the proxy stalls give up this soon instead of the product's 15 s, so the test
// need not wait that long; it is not shorter, because a listing over SSH starts a docker CLI process
// on the server (dial-stdio), which a busy machine may take a while to do.
const STALLED_LISTING_TIMEOUT_MS = 5000;
let sshd: SshdHandle;
let sshProxy: EngineProxy;
let tlsProxy: EngineProxy;
let tlsClient: { ca: string; cert: string; key: string };
let registry: RegistryHandle;
let image: string;
const sessions: DockerHostSession[] = [];
const made: Array<{ socket: string; ref: string }> = [];

before(async () => {
  // The ssh host's sessions reach the main engine through the proxy's socket.
  sshProxy = await startEngineProxy(env.unixSocket, { socketPath: path.join(scratch, 'engine.sock') });
  sshd = await startSshd({ dir: path.join(scratch, 'ssh'), port: await freePort(), dockerSocketPath: path.join(scratch, 'engine.sock') });
  // The TLS host is the second engine behind a mutual-TLS listener of the proxy's own.
  const certs = await makeTlsMaterial(path.join(scratch, 'certs'));
  tlsProxy = await startEngineProxy(env.tls.unixSocket, { tls: { ca: certs.ca, cert: certs.serverCert, key: certs.serverKey } });
  tlsClient = { ca: certs.ca, cert: certs.cert, key: certs.key };
  registry = await startRegistry();
  image = `${uniqueName('local/shared')}:1`;
  await dockerCli(['tag', env.baseImage, image]);
  made.push({ socket: env.unixSocket, ref: image });
});

after(async () => {
  sessions.forEach((s) => s.dispose());
  for (const { socket, ref } of made) {
    await dockerCli(['image', 'rm', '-f', ref], socket).catch(() => undefined);
  }
  await Promise.allSettled([sshd?.stop(), sshProxy?.close(), tlsProxy?.close(), registry?.stop()]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

function session(over: Partial<DockerHostSpec> & { address: string }, listing: 'stalls' | 'answers'): DockerHostSession {
  const s = new DockerHostSession(
    { id: uniqueName('host'), name: 'shared host', source: 'added', ...over },
    { homeDir: scratch, knownHostsFile: sshd.knownHostsFile, localUser: 'root', connectTimeoutMs: 5000 },
    listing === 'stalls' ? STALLED_LISTING_TIMEOUT_MS : undefined,
  );
  sessions.push(s);
  return s;
}

const sshSession = (listing: 'stalls' | 'answers') =>
  session({ address: `ssh://root@127.0.0.1:${sshd.port}`, identityFile: sshd.identityFile }, listing);
const tlsSession = (listing: 'stalls' | 'answers') => session({ address: `tcp://127.0.0.1:${tlsProxy.port}`, tls: tlsClient }, listing);

const isListing = (r: SeenRequest) => endpoint(r) === '/containers/json';
const isPush = (r: SeenRequest) => r.method === 'POST' && endpoint(r).endsWith('/push');
const isLoad = (r: SeenRequest) => r.method === 'POST' && endpoint(r) === '/images/load';

/** TCP connections open to a local port: the product's, since nothing else here connects there. */
async function connectionsTo(port: number): Promise<number> {
  const { stdout } = await run('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`]);
  return stdout.split('\n').filter((l) => l.trim()).length;
}

const sshLogins = () => (fs.readFileSync(sshd.logFile, 'utf8').match(/Accepted publickey/g) ?? []).length;

async function tagsIn(repository: string): Promise<string[]> {
  const res = await fetch(`http://${registry.address}/v2/${repository}/tags/list`);
  return res.status === 200 ? (((await res.json()) as { tags: string[] }).tags ?? []).sort() : [];
}

test('a push over SSH finishes while a listing of that host times out; the next listing reconnects, and the old connection closes once the push is done', async () => {
  const host = sshSession('stalls');
  await host.load();
  assert.equal(await connectionsTo(sshd.port), 1);
  const repository = uniqueName('shared/ssh');
  const target = targetReference(registry.address, repository, 'v1');
  made.push({ socket: env.unixSocket, ref: target });
  const held = sshProxy.hold(isPush);
  const pushing = pushImage(host.connect().docker, { source: image, target, registry: registry.address }, () => undefined);
  await held.arrived;

  const stalled = sshProxy.fail(isListing, 'stall');
  await assert.rejects(host.load(), /did not answer within/);
  stalled.stop();
  held.release();
  assert.match((await pushing).digest ?? '', /^sha256:/);
  assert.deepEqual(await tagsIn(repository), ['v1']);
  await eventually(async () =>
    assert.equal(await connectionsTo(sshd.port), 0, 'the connection the listing gave up on closed once the push was done'),
  );

  const logins = sshLogins();
  assert.ok((await host.load()).images.length > 0, 'the host lists again');
  assert.equal(sshLogins() - logins, 1, 'over a new SSH connection');
  host.dispose();
});

test('a push over TLS finishes while a listing of that host answers 500', async () => {
  const host = tlsSession('answers');
  await host.load();
  const repository = uniqueName('shared/tls');
  const target = targetReference(registry.address, repository, 'v1');
  made.push({ socket: env.tls.unixSocket, ref: target });
  await dockerCli(['tag', env.baseImage, image], env.tls.unixSocket);
  made.push({ socket: env.tls.unixSocket, ref: image });
  const held = tlsProxy.hold(isPush);
  const pushing = pushImage(host.connect().docker, { source: image, target, registry: registry.address }, () => undefined);
  await held.arrived;

  const failing = tlsProxy.fail(isListing, { status: 500 });
  await assert.rejects(host.load(), /answered 500/);
  failing.stop();
  held.release();
  assert.match((await pushing).digest ?? '', /^sha256:/);
  assert.deepEqual(await tagsIn(repository), ['v1']);
  assert.ok((await host.load()).images.length > 0, 'the host lists again');
  host.dispose();
});

test('a copy from the SSH host to the TLS host finishes while the source listing answers 500 and the target listing times out', async () => {
  const source = sshSession('answers');
  const target = tlsSession('stalls');
  await Promise.all([source.load(), target.load()]);
  const ref = `${uniqueName('local/copied')}:1`;
  await dockerCli(['tag', env.baseImage, ref]);
  made.push({ socket: env.unixSocket, ref }, { socket: env.tls.unixSocket, ref });
  const held = tlsProxy.hold(isLoad);
  const copying = copyImage(source.connect().docker, target.connect().docker, ref, () => undefined);
  await held.arrived;

  const failing = sshProxy.fail(isListing, { status: 500 });
  const stalled = tlsProxy.fail(isListing, 'stall');
  await assert.rejects(source.load(), /answered 500/);
  await assert.rejects(target.load(), /did not answer within/);
  failing.stop();
  stalled.stop();
  held.release();
  const copied = await copying;
  assert.ok(
    copied.loaded.some((l) => l.includes(ref)),
    `the target loaded ${ref}: ${copied.loaded.join(' | ')}`,
  );
  assert.ok(
    (await target.load()).images.some((i) => i.RepoTags?.includes(ref)),
    'the target lists the copy',
  );
});
