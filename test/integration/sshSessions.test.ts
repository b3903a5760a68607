import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { composeProjectName } from '../../src/core/docker/compose';
import { composeUp, findComposeTool } from '../../src/core/docker/composeRun';
import { openShell } from '../../src/core/docker/containerActions';
import { startDaemonForwarder, type DaemonForwarder } from '../../src/core/docker/daemonForwarder';
import type { EventSubscription } from '../../src/core/docker/engineEvents';
import { DockerHostSession } from '../../src/core/docker/hostSession';
import { freePort, run, startSshd, type SshdHandle } from '../support/engines';
import { dockerCli, eventually, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * Every HTTP connection to an SSH host is an exec channel (`docker system dial-stdio`), and OpenSSH
 * allows 10 of them per SSH connection unless told otherwise. Event feeds and followed logs never
 * give theirs back, and Compose opens one per API connection, so a busy host needs more than 10.
 * The runner's sshd allows 100; these tests start their own with real servers' limits.
 */
const env = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-sess-'));
const sshds: SshdHandle[] = [];
const sessions: DockerHostSession[] = [];
const cleanups: Array<() => Promise<unknown>> = [];
let defaults: SshdHandle;
let threeSessions: SshdHandle;
let noSessions: SshdHandle;

async function sshd(name: string, maxSessions: number | 'default'): Promise<SshdHandle> {
  const handle = await startSshd({ dir: path.join(scratch, name), port: await freePort(), dockerSocketPath: env.unixSocket, maxSessions });
  sshds.push(handle);
  return handle;
}

before(async () => {
  [defaults, threeSessions, noSessions] = await Promise.all([sshd('defaults', 'default'), sshd('three', 3), sshd('none', 0)]);
});

after(async () => {
  sessions.forEach((s) => s.dispose());
  for (const cleanup of cleanups) {
    await cleanup().catch(() => undefined);
  }
  await Promise.allSettled(sshds.map((s) => s.stop()));
  fs.rmSync(scratch, { recursive: true, force: true });
});

function session(server: SshdHandle): DockerHostSession {
  const s = new DockerHostSession(
    { id: uniqueName('host'), name: 'ssh host', source: 'added', address: `ssh://root@127.0.0.1:${server.port}`, identityFile: server.identityFile },
    { homeDir: scratch, knownHostsFile: server.knownHostsFile, localUser: 'root', connectTimeoutMs: 15_000 },
  );
  sessions.push(s);
  return s;
}

/** SSH connections this process has open to a local port. */
async function connectionsTo(port: number): Promise<number> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`]);
  return stdout.split('\n').filter((l) => l.includes(`pid=${process.pid},`)).length;
}

/** SSH sign-ins the server has accepted so far. */
const logins = (server: SshdHandle) => (fs.readFileSync(server.logFile, 'utf8').match(/Accepted publickey/g) ?? []).length;

/** An event feed that resolves `saw` when a container of that name is created, and rejects if the feed ends first. */
async function watchForCreate(host: DockerHostSession, name: string): Promise<{ feed: EventSubscription; saw: Promise<void> }> {
  let seen!: () => void;
  let ended!: (err: Error) => void;
  const saw = new Promise<void>((resolve, reject) => {
    seen = resolve;
    ended = reject;
  });
  // The test awaits it; a feed that a failed test leaves to the cleanup's dispose must not count as unhandled.
  saw.catch(() => undefined);
  const feed = await host.watchEvents(
    (e) => {
      if (e.Type === 'container' && e.Action === 'create' && e.Actor?.Attributes?.name === name) {
        seen();
      }
    },
    (err) => ended(err ?? new Error('the event feed ended')),
  );
  return { feed, saw };
}

/** A container whose log says "ready" and then stays up, so following it holds a channel open. */
async function quietContainer(): Promise<string> {
  const name = uniqueName('follow');
  const id = (await dockerCli(['run', '-d', '--name', name, env.baseImage, 'sh', '-c', 'echo ready; exec sleep 3600'])).trim();
  cleanups.push(() => dockerCli(['rm', '-f', id]));
  return id;
}

/** Follows a container's log until it says "ready", and keeps following. */
async function followLogs(host: DockerHostSession, id: string): Promise<NodeJS.ReadableStream & { destroy(): void }> {
  const stream = (await host.connect().docker.getContainer(id).logs({ follow: true, stdout: true })) as unknown as NodeJS.ReadableStream & {
    destroy(): void;
  };
  let text = '';
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('ready')) {
        resolve();
      }
    });
    stream.once('end', () => reject(new Error(`the log stream ended before "ready": ${JSON.stringify(text)}`)));
    stream.once('error', reject);
  });
  return stream;
}

test("at OpenSSH's default MaxSessions (10), 12 event feeds, a followed log, a listing and a CLI through the forwarder all work on one host, and no connection is left once disposed", async (t) => {
  const host = session(defaults);
  const id = await quietContainer();
  const created = uniqueName('created');
  const watches = await Promise.all(Array.from({ length: 12 }, () => watchForCreate(host, created)));
  const logs = await followLogs(host, id);

  const snapshot = await host.load();
  assert.ok(
    snapshot.containers.some((c) => c.Id === id),
    'the listing answers beside 13 open streams',
  );
  const forwarder: DaemonForwarder = await startDaemonForwarder(() => host.connect().dial());
  cleanups.push(() => forwarder.close());
  const listed = await dockerCli(['ps', '--no-trunc', '--format', '{{.ID}}'], forwarder.dockerHost);
  assert.ok(listed.split('\n').includes(id), 'the docker CLI through the forwarder answers too');
  await dockerCli(['create', '--name', created, env.baseImage, 'true']);
  cleanups.push(() => dockerCli(['rm', '-f', created]));
  await Promise.all(watches.map((w) => w.saw));

  const whileBusy = await connectionsTo(defaults.port);
  t.diagnostic(`SSH connections holding 13 long-lived channels: ${whileBusy}`);
  assert.equal(whileBusy, 2, '13 channels need two connections of 10');

  watches.forEach((w) => w.feed.close());
  logs.destroy();
  await forwarder.close();
  await eventually(async () =>
    assert.equal(await connectionsTo(defaults.port), 1, 'once the streams are done, one connection stays for the next request'),
  );
  const loginsBefore = logins(defaults);
  const again = await Promise.all(Array.from({ length: 10 }, () => watchForCreate(host, created)));
  assert.equal(logins(defaults) - loginsBefore, 0, 'every channel was given back: 10 new ones fit on the connection kept');
  again.forEach((w) => w.feed.close());

  host.dispose();
  await eventually(async () => assert.equal(await connectionsTo(defaults.port), 0, 'dispose closes every connection'));
});

test("at OpenSSH's default MaxSessions (10), a 12-service Compose project comes up through the forwarder while an event feed, a followed log and a shell stay open", async (t) => {
  const tool = await findComposeTool();
  assert.ok(tool, 'the test machine has Docker Compose (scripts/ensure-test-deps.sh installs docker-compose)');
  const host = session(defaults);
  const id = await quietContainer();
  const created = uniqueName('created');
  const watch = await watchForCreate(host, created);
  const logs = await followLogs(host, id);
  const shell = await openShell(host.connect().docker, id, 80, 24, undefined, ['sh']);
  let typed = '';
  shell.stream.on('data', (chunk: Buffer) => (typed += chunk.toString()));

  const dir = fs.mkdtempSync(path.join(scratch, 'twelve-'));
  const project = composeProjectName(path.basename(dir));
  const file = path.join(dir, 'compose.yaml');
  const services = Array.from({ length: 12 }, (_, i) => `  s${i + 1}:\n    image: ${env.baseImage}\n    command: sleep 3600\n`);
  fs.writeFileSync(file, `services:\n${services.join('')}`);
  const forwarder = await startDaemonForwarder(() => host.connect().dial());
  cleanups.push(() => forwarder.close());
  const loginsBefore = logins(defaults);
  cleanups.push(async () => {
    const ids = (await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).split('\n').filter(Boolean);
    await dockerCli(['rm', '-f', ...ids]);
  });
  const output: string[] = [];
  await composeUp(tool, {
    files: [file],
    cwd: dir,
    project,
    dockerHost: forwarder.dockerHost,
    target: host.connect(),
    onOutput: (text) => output.push(text),
  }).catch((err: Error) => {
    throw new Error(`${err.message}\nforwarder: ${forwarder.lastDialError()?.message ?? 'no dial error'}`);
  });
  const running = await dockerCli(['ps', '--filter', `label=com.docker.compose.project=${project}`, '--format', '{{.Names}}']);
  assert.equal(running.split('\n').filter(Boolean).length, 12, `all 12 services run:\n${output.join('')}`);
  t.diagnostic(`SSH connections Compose used beside a feed, a log and a shell: ${logins(defaults) - loginsBefore}`);
  await eventually(async () =>
    assert.equal(
      await connectionsTo(defaults.port),
      1,
      'once Compose is done its channels are given back, and the connections it needed beyond the first close',
    ),
  );

  await dockerCli(['create', '--name', created, env.baseImage, 'true']);
  cleanups.push(() => dockerCli(['rm', '-f', created]));
  await watch.saw;
  shell.stream.write('echo "sum=$((20 + 22))"\n');
  await eventually(async () => assert.match(typed, /sum=42/));

  await forwarder.close();
  watch.feed.close();
  logs.destroy();
  shell.stream.destroy();
  host.dispose();
  await eventually(async () => assert.equal(await connectionsTo(defaults.port), 0, 'dispose closes every connection'));
});

test('a server that allows only 3 sessions per connection refuses the 4th channel: it opens on another connection instead of failing', async (t) => {
  const host = session(threeSessions);
  const created = uniqueName('created');
  const watches = await Promise.all(Array.from({ length: 8 }, () => watchForCreate(host, created)));
  await host.load();
  await dockerCli(['create', '--name', created, env.baseImage, 'true']);
  cleanups.push(() => dockerCli(['rm', '-f', created]));
  await Promise.all(watches.map((w) => w.saw));
  const open = await connectionsTo(threeSessions.port);
  t.diagnostic(`SSH connections holding 8 event feeds at MaxSessions 3: ${open}`);
  assert.ok(open >= 3, `8 feeds need at least 3 connections of 3 channels, found ${open}`);

  host.dispose();
  await eventually(async () => assert.equal(await connectionsTo(threeSessions.port), 0, 'dispose closes every connection'));
});

test('a connection opened because another was full closes once it idles, even if the full one makes room only later', async () => {
  const host = session(threeSessions);
  const dial = () => host.connect().dial();
  const first = await Promise.all([dial(), dial(), dial()]);
  const overflow = await dial();
  assert.equal(await connectionsTo(threeSessions.port), 2, 'the 4th channel needed a second connection');
  overflow.destroy();
  first[0].destroy();
  await eventually(async () =>
    assert.equal(await connectionsTo(threeSessions.port), 1, 'the second connection is idle and the first has room again: only one stays'),
  );
  const again = await dial();
  assert.equal(await connectionsTo(threeSessions.port), 1, 'the next channel goes on the connection that stayed');
  for (const channel of [again, ...first]) {
    channel.destroy();
  }
  host.dispose();
  await eventually(async () => assert.equal(await connectionsTo(threeSessions.port), 0));
});

test('a server that refuses every session fails the listing, saying so, and leaves no connection once disposed', async () => {
  const host = session(noSessions);
  const err = await host.load().then(
    () => assert.fail('a server allowing no sessions cannot list'),
    (e: Error) => e,
  );
  host.dispose();
  await eventually(async () => assert.equal(await connectionsTo(noSessions.port), 0, 'dispose closes the connection whose channel failed'));
  assert.match(err.message, /^The SSH server at 127\.0\.0\.1:\d+ refused to open a session \(open failed\)/);
});
