import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { createSwarm } from '../../src/core/swarm/createSwarm';
import { readSwarm } from '../../src/core/swarm/swarmApi';
import { startHostViews, type HostViews } from '../support/hostViews';
import { run } from '../support/processes';
import { startSwarmHosts, type SwarmHost, type SwarmHosts } from '../support/swarmCluster';
import { command, description, label, swarmRows } from '../support/swarmRows';
import { dockerCli, eventually, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * Adding a host to a swarm that runs, and taking a node out of it without losing a replica, on a
 * real swarm made by the product: n1 manages, n2 and n3 work, n4 is a host in no swarm yet. The
 * Debian docker CLI (/usr/bin/docker) looks on as a peer.
 */
const env = loadTestEnvironment();
const DEBIAN_DOCKER = '/usr/bin/docker';
let cluster: SwarmHosts;
let views: HostViews;
/** Every line the commands log, with what they log with it. */
const logLines: string[] = [];
const logLine =
  (level: string) =>
  (...parts: unknown[]) =>
    logLines.push(`${level}: ${parts.map((p) => (p instanceof Error ? `${p.message} ${String(p.stack)}` : String(p))).join(' ')}`);
const log = { info: logLine('info'), warn: logLine('warn'), error: logLine('error'), debug: logLine('debug'), trace: logLine('trace') } as never;

const { sessionOf, member, shownSwarm, section, nodeRow } = swarmRows(() => views);
const host = (name: string): SwarmHost => cluster.hosts.find((h) => h.name === name)!;
const cli = (args: string[]) => dockerCli(args, host('n1').tls);
const localState = async (h: SwarmHost) => (await dockerCli(['info', '--format', '{{.Swarm.LocalNodeState}}'], h.tls)).trim();
const errors = () => recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);

/** `docker node ls` by the Debian CLI, as a peer: hostname and availability of each node. */
async function nodeList(): Promise<string[]> {
  const t = host('n1').tls;
  // prettier-ignore
  const { stdout } = await run(DEBIAN_DOCKER, ['--tlsverify', '--tlscacert', t.ca, '--tlscert', t.cert, '--tlskey', t.key, '-H', `tcp://${t.host}:${t.port}`, 'node', 'ls', '--format', '{{.Hostname}} {{.Availability}}'], { timeoutMs: 60_000 });
  return stdout.trim().split('\n').sort();
}

before(async () => {
  cluster = await startSwarmHosts(path.join(env.rootDir, `swnodes-${process.pid.toString(36)}`), 4);
  views = startHostViews({ connectionEnv: defaultConnectionEnvironment, commands: true, log });
  for (const h of cluster.hosts) {
    await views.added.add({ name: h.name, address: `tcp://${h.address}:2376`, tls: { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key } });
  }
  views.otherHosts.refreshAll();
  await views.otherHosts.provider.getChildren();
  await createSwarm({ manager: member(host('n1')), workers: [member(host('n2')), member(host('n3'))] });
});

after(async () => {
  views?.dispose();
  await cluster?.stop();
});

beforeEach(() => {
  resetRecorded();
  logLines.length = 0;
});

/** Answers the host pick with `name`, keeping what was offered. */
function pickHost(name: string): { offered: string[] } {
  const seen = { offered: [] as string[] };
  recorded.answers.push((items: Array<{ label: string }>) => {
    seen.offered = items.map((i) => i.label);
    return items.find((i) => i.label === name);
  });
  return seen;
}

test('Add Host to Swarm…: a host that cannot reach the manager is named with the port, and the swarm is as it was', async () => {
  const block = await cluster.blockOutgoing(host('n4'), 2377);
  let pick;
  try {
    pick = pickHost('n4');
    await command('dockerOnAzure.swarm.addHost', await shownSwarm());
  } finally {
    await block.unblock();
  }
  assert.deepEqual(pick.offered, ['n4'], 'only the host in no swarm is offered');
  assert.deepEqual(errors(), [
    `n4 cannot reach n1 (${host('n1').address}) on TCP port 2377 (connection refused). ` +
      'Open the port between the hosts (on Azure, an NSG rule from VirtualNetwork) and try again. n4 was not added; the swarm is as it was.',
  ]);
  assert.equal(await localState(host('n4')), 'inactive');
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active', 'n3 Active']);
});

test('Add Host to Swarm… joins a catalog host as a worker through its own daemon; the tree shows it; the join token is in no log line', async () => {
  pickHost('n4');
  await command('dockerOnAzure.swarm.addHost', await shownSwarm());
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    ['info: n4 joined the n1 swarm as a worker.'],
  );
  assert.equal(await localState(host('n4')), 'active');
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active', 'n3 Active', 'n4 Active']);
  assert.match(description(await nodeRow('n4')), /^worker · active · ready · /);
  assert.ok(
    logLines.some((l) => l.includes('n4 joined')),
    logLines.join('\n'),
  );
  const token = (await cli(['swarm', 'join-token', '-q', 'worker'])).trim();
  assert.match(token, /^SWMTKN-/);
  const said = [...logLines, ...recorded.progress, ...recorded.messages.map((m) => m.text)].join('\n');
  assert.ok(!said.includes(token) && !said.includes('SWMTKN'), 'a join token shows in a log line, progress or a message');
});

test('Remove Node from Swarm… refuses a manager, naming it and what to do, and changes nothing', async () => {
  await command('dockerOnAzure.swarm.removeNode', await nodeRow('n1'));
  assert.deepEqual(errors(), [
    'n1 is the only manager of the swarm, so removing it would end the swarm: promote another node, then demote n1 and remove it.',
  ]);
  await command('dockerOnAzure.swarm.promoteNode', await nodeRow('n2'));
  // prettier-ignore
  await eventually(async () => assert.equal((await cli(['node', 'inspect', 'n2', '--format', '{{.ManagerStatus.Reachability}}'])).trim(), 'reachable'), 60_000, 500);
  resetRecorded();
  await command('dockerOnAzure.swarm.removeNode', await nodeRow('n2'));
  assert.deepEqual(errors(), ['n2 is a manager of the swarm: demote it first (Demote Node), then remove it.']);
  await command('dockerOnAzure.swarm.demoteNode', await nodeRow('n2'));
  assert.deepEqual(errors(), ['n2 is a manager of the swarm: demote it first (Demote Node), then remove it.']);
  await eventually(async () => assert.match(description(await nodeRow('n2')), /^worker · /), 60_000, 500);
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active', 'n3 Active', 'n4 Active']);
  assert.equal(recorded.answers.length, 0);
});

async function createService(name: string, replicas: number, ...rest: string[]): Promise<string> {
  // busybox as PID 1 ignores SIGTERM: without a short grace period every moved task takes 10 s.
  // prettier-ignore
  await cli(['service', 'create', '--detach', '--name', name, '--replicas', String(replicas), '--endpoint-mode', 'dnsrr', '--stop-grace-period', '1s', ...rest, env.baseImage, 'sleep', '3600']);
  const manager = sessionOf(host('n1')).connect().docker;
  return eventually(
    async () => {
      const s = await readSwarm(manager, '');
      const service = s.services.find((x) => x.name === name);
      assert.equal(service?.running, replicas);
      return service!.id;
    },
    60_000,
    500,
  );
}

test('Remove Node from Swarm…: Cancel stops waiting for tasks that cannot move, and leaves the node drained, saying so', async () => {
  const name = uniqueName('pinned');
  await createService(name, 1, '--constraint', 'node.hostname==n3');
  recorded.answers.push('Remove');
  const removing = command('dockerOnAzure.swarm.removeNode', await nodeRow('n3'));
  await eventually(
    async () =>
      assert.ok(
        recorded.progress.some((p) => p.startsWith(`Waiting for 1 task(s) of ${name}`)),
        recorded.progress.join('\n'),
      ),
    60_000,
    100,
  );
  recorded.cancelProgress();
  await removing;
  assert.deepEqual(errors(), []);
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    [
      'warning: Remove n3 from the swarm?',
      'warning: Stopped waiting: n3 stays drained, so it runs no tasks and takes none. Activate Node takes it back; Remove Node from Swarm… tries again.',
    ],
  );
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active', 'n3 Drain', 'n4 Active']);
  assert.equal(await localState(host('n3')), 'active');
  await cli(['service', 'rm', name]);
  await command('dockerOnAzure.swarm.activateNode', await nodeRow('n3'));
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active', 'n3 Active', 'n4 Active']);
});

test('Remove Node from Swarm… drains a worker, waits until its replicas run elsewhere, then it leaves and is gone from the node list', async () => {
  const name = uniqueName('spread');
  const id = await createService(name, 8);
  const manager = sessionOf(host('n1')).connect().docker;
  const n4 = sessionOf(host('n4')).connect().docker;
  const n4Id = (await nodeRow('n4')).node.id;
  const onN4 = (await readSwarm(manager, '')).tasks.filter((t) => t.serviceId === id && t.nodeId === n4Id && t.state === 'running');
  assert.ok(onN4.length > 0, 'n4 runs replicas');

  // Sampled while the command runs: once n4 has left, all 8 replicas already run on the others.
  const samples: { n4: string; elsewhere: number; at: number }[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const state = ((await n4.info()) as { Swarm?: { LocalNodeState?: string } }).Swarm?.LocalNodeState ?? '?';
      const s = await readSwarm(manager, '');
      const elsewhere = s.tasks.filter(
        (t) => t.serviceId === id && t.nodeId !== n4Id && t.state === 'running' && t.desiredState === 'running',
      ).length;
      samples.push({ n4: state, elsewhere, at: Date.now() });
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  recorded.answers.push('Remove');
  const t0 = Date.now();
  try {
    await command('dockerOnAzure.swarm.removeNode', await nodeRow('n4'));
  } finally {
    sampling = false;
    await sampler;
  }
  const since = (found?: { at: number }) => (found ? `${found.at - t0} ms` : 'never');
  console.log(
    `Remove Node: n4 with ${onN4.length} of 8 replicas; all 8 on the others after ${since(samples.find((x) => x.at >= t0 && x.elsewhere === 8))}, ` +
      `n4 left after ${since(samples.find((x) => x.n4 !== 'active'))}, removed after ${Date.now() - t0} ms`,
  );
  assert.deepEqual(errors(), []);
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    ['warning: Remove n4 from the swarm?', 'info: n4 left the swarm and was removed from it.'],
  );
  const afterLeaving = samples.filter((s) => s.n4 !== 'active');
  // n4's engine state and the replicas on the others, each change once: active:6 … inactive:8.
  const seen = samples.map((x) => `${x.n4}:${x.elsewhere}`).filter((x, i, all) => x !== all[i - 1]);
  assert.ok(afterLeaving.length > 0 && samples[0].n4 === 'active', seen.join(' '));
  assert.ok(
    afterLeaving.every((x) => x.elsewhere === 8),
    seen.join(' '),
  );
  assert.ok(recorded.progress.includes('Draining n4…'), recorded.progress.join('\n'));
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active', 'n3 Active']);
  assert.equal(await localState(host('n4')), 'inactive');
  assert.ok(!(await section(await shownSwarm(), 'Nodes')).some((n) => label(n) === 'n4'));
  assert.equal((await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Replicas}}'])).trim(), '8/8');
  await cli(['service', 'rm', name]);
});

test('Export Manager as Docker Context…: the Debian docker CLI lists the swarm through it', async () => {
  const config = fs.mkdtempSync(path.join(env.rootDir, 'swctx-'));
  const saved = process.env.DOCKER_CONFIG;
  process.env.DOCKER_CONFIG = config;
  const context = uniqueName('swarm');
  let proposed = '';
  try {
    recorded.answers.push((box: { value?: string }) => {
      proposed = String(box.value);
      return context;
    });
    await command('dockerOnAzure.swarm.exportManagerContext', await shownSwarm());
  } finally {
    if (saved === undefined) {
      delete process.env.DOCKER_CONFIG;
    } else {
      process.env.DOCKER_CONFIG = saved;
    }
  }
  assert.deepEqual(errors(), []);
  assert.equal(proposed, 'n1-swarm');
  const cliEnv: NodeJS.ProcessEnv = { ...process.env, DOCKER_CONFIG: config };
  delete cliEnv.DOCKER_HOST;
  const { stdout } = await run(DEBIAN_DOCKER, ['--context', context, 'node', 'ls', '--format', '{{.Hostname}} {{.ManagerStatus}}'], {
    env: cliEnv,
    timeoutMs: 60_000,
  });
  assert.deepEqual(
    stdout
      .trim()
      .split('\n')
      .map((l) => l.trimEnd())
      .sort(),
    ['n1 Leader', 'n2', 'n3'],
  );
});

test('Remove Node from Swarm… on a node whose host is not among yours asks, then removes it by force, saying what is left to do', async () => {
  const n3 = host('n3');
  await views.added.remove(sessionOf(n3).spec.id);
  views.otherHosts.refreshAll();
  await views.otherHosts.provider.getChildren();
  const row = await nodeRow('n3');
  assert.equal(row.host, undefined, 'n3 is no longer one of the hosts');
  recorded.answers.push(undefined);
  await command('dockerOnAzure.swarm.removeNode', row);
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    ['warning: n3 is not among your hosts, so it cannot be made to leave the swarm. Remove it by force?'],
  );
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active', 'n3 Active'], 'nothing changes when the user says no');

  resetRecorded();
  recorded.answers.push('Remove by Force');
  await command('dockerOnAzure.swarm.removeNode', await nodeRow('n3'));
  assert.deepEqual(errors(), []);
  assert.equal(
    recorded.messages.at(-1)?.text,
    'n3 was removed from the swarm by force; run `docker swarm leave` on it before it joins a swarm again.',
  );
  assert.deepEqual(await nodeList(), ['n1 Active', 'n2 Active']);
  assert.notEqual(await localState(n3), 'inactive', 'n3 was not made to leave: its host is not among yours');
  await dockerCli(['swarm', 'leave', '--force'], n3.tls);
});
