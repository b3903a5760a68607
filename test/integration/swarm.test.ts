import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { defaultConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import type { DockerHostSession } from '../../src/core/docker/hostSession';
import type { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { DEFAULT_REFRESH_OPTIONS } from '../../src/core/docker/refreshScheduler';
import { HostCatalog } from '../../src/core/hosts/hostCatalog';
import { createSwarm, SwarmUnreachableError, type SwarmMember } from '../../src/core/swarm/createSwarm';
import { readSwarm, removeService, scaleService, setNodeAvailability, setNodeRole } from '../../src/core/swarm/swarmApi';
import { discoverSwarms } from '../../src/core/swarm/swarmDiscovery';
import { groupStacks, tasksOf, type SwarmSnapshot } from '../../src/core/swarm/swarmModel';
import { startEngineProxy, type EngineProxy } from '../support/engineProxy';
import { startSwarmHosts, type SwarmHost, type SwarmHosts } from '../support/swarmCluster';
import { dockerCli, eventually, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * A swarm made by the product from three real hosts (each dockerd in a network namespace of its
 * own, reached over mutual TLS at its address), then run through the product while the docker CLI
 * looks on as a peer. No routing mesh or VIP here (no IPVS): services use dnsrr and host-mode ports.
 */
const env = loadTestEnvironment();
let cluster: SwarmHosts;
let catalog: HostCatalog;
let proxy: EngineProxy;
let clusterId = '';

function specOf(h: SwarmHost): DockerHostSpec {
  return {
    id: `added:swarm-${h.name}`,
    name: h.name,
    source: 'added',
    address: `tcp://${h.address}:2376`,
    tls: { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key },
  };
}

function sessionOf(h: SwarmHost): DockerHostSession {
  const session = catalog.get(specOf(h).id);
  assert.ok(session);
  return session;
}

function member(h: SwarmHost): SwarmMember {
  return { name: h.name, docker: sessionOf(h).connect().docker, advertiseAddress: h.address };
}

const manager = () => cluster.hosts[0];
const read = () => readSwarm(sessionOf(manager()).connect().docker, clusterId);
const cli = (args: string[]) => dockerCli(args, manager().tls);

function serviceNamed(s: SwarmSnapshot, name: string) {
  const service = s.services.find((x) => x.name === name);
  assert.ok(service, `service ${name} in ${s.services.map((x) => x.name)}`);
  return service;
}

function runningNodes(s: SwarmSnapshot, serviceId: string): string[] {
  const host = new Map(s.nodes.map((n) => [n.id, n.hostname]));
  return tasksOf(s, serviceId)
    .filter((t) => t.state === 'running' && t.desiredState === 'running')
    .map((t) => host.get(t.nodeId) ?? t.nodeId)
    .sort();
}

before(async () => {
  cluster = await startSwarmHosts(path.join(env.rootDir, `swarm-${process.pid.toString(36)}`), 3);
  catalog = new HostCatalog(defaultConnectionEnvironment, DEFAULT_REFRESH_OPTIONS);
  catalog.update('added', cluster.hosts.map(specOf));
  // Every request the product sends the manager for a listing, counted.
  proxy = await startEngineProxy(manager().daemon.socketPath);
});

after(async () => {
  catalog?.dispose();
  await proxy?.close();
  await cluster?.stop();
});

test('a host that cannot reach the manager is named with the port, and no swarm is left behind', async () => {
  const [n1, n2, n3] = cluster.hosts;
  const block = await cluster.blockOutgoing(n3, 2377);
  try {
    const err = await createSwarm({ manager: member(n1), workers: [member(n2), member(n3)], probeTimeoutMs: 5000 }).then(
      () => assert.fail('the swarm was made although n3 cannot reach port 2377'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof SwarmUnreachableError, String(err));
    assert.deepEqual(
      err.blocked.map((b) => [b.node, b.port]),
      [['n3', 2377]],
    );
    assert.match(err.message, /n3 cannot reach n1 \(10\.213\.\d+\.11\) on TCP port 2377/);
  } finally {
    await block.unblock();
  }
  for (const h of cluster.hosts) {
    assert.equal((await dockerCli(['info', '--format', '{{.Swarm.LocalNodeState}}'], h.tls)).trim(), 'inactive', h.name);
  }
});

test('creates a swarm of three hosts: init on the manager, join through each host’s own connection', async () => {
  const [n1, n2, n3] = cluster.hosts;
  const progress: string[] = [];
  const t0 = Date.now();
  const created = await createSwarm({ manager: member(n1), workers: [member(n2), member(n3)], onProgress: (m) => progress.push(m) });
  console.log(`swarm of 3 made in ${Date.now() - t0} ms`);
  clusterId = created.clusterId;
  assert.ok(clusterId);
  const token = (await cli(['swarm', 'join-token', '-q', 'worker'])).trim();
  assert.ok(!progress.join('\n').includes(token), 'the join token shows in progress');
  assert.ok(!progress.join('\n').includes('SWMTKN'), 'a join token shows in progress');

  const nodes = (await cli(['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}']))
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .sort();
  assert.deepEqual(nodes, ['n1 Ready Leader', 'n2 Ready', 'n3 Ready']);

  const swarms = await discoverSwarms(catalog.list());
  assert.equal(swarms.length, 1);
  assert.equal(swarms[0].id, clusterId);
  assert.deepEqual(
    swarms[0].managers.map((m) => m.session.spec.name),
    ['n1'],
  );
  assert.deepEqual(swarms[0].workers.map((m) => m.session.spec.name).sort(), ['n2', 'n3']);

  const again = await createSwarm({ manager: member(n2), workers: [member(n3)] }).catch((e: Error) => e);
  assert.match(String(again), /n2, n3 already belong to a swarm\. Nothing was changed/);
});

test('a dnsrr service with host-mode ports spreads over the nodes; the CLI sees what the listing shows', async () => {
  const name = uniqueName('web');
  await cli([
    'service',
    'create',
    '--detach',
    '--name',
    name,
    '--replicas',
    '3',
    '--endpoint-mode',
    'dnsrr',
    '--publish',
    'mode=host,target=80,published=8080',
    '--label',
    'com.docker.stack.namespace=shop',
    '--restart-condition',
    'none',
    env.baseImage,
    'httpd',
    '-f',
    '-p',
    '80',
    '-h',
    '/etc',
  ]);
  const snapshot = await eventually(
    async () => {
      const s = await read();
      assert.equal(serviceNamed(s, name).running, 3);
      return s;
    },
    60_000,
    500,
  );
  const service = serviceNamed(snapshot, name);
  assert.equal(service.mode, 'replicated');
  assert.equal(service.desired, 3);
  assert.equal(service.image, env.baseImage);
  assert.deepEqual(service.ports, [{ published: 8080, target: 80, protocol: 'tcp', mode: 'host' }]);
  assert.deepEqual(runningNodes(snapshot, service.id), ['n1', 'n2', 'n3']);
  assert.deepEqual(
    groupStacks(snapshot.services).map((s) => [s.name, s.services.map((x) => x.name)]),
    [['shop', [name]]],
  );
  for (const h of cluster.hosts) {
    assert.equal((await httpGet(`http://${h.address}:8080/passwd`)).status, 200, `host-mode port on ${h.name}`);
  }

  const ls = (await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}} {{.Mode}} {{.Replicas}}'])).trim();
  assert.equal(ls, `${name} replicated ${service.running}/${service.desired}`);
  const ps = (await cli(['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.Node}} {{.CurrentState}}'])).trim().split('\n');
  assert.deepEqual(ps.map((l) => l.split(' ')[0]).sort(), runningNodes(snapshot, service.id));
  assert.ok(
    ps.every((l) => / Running /.test(l)),
    ps.join('\n'),
  );
  const stack = (await cli(['stack', 'services', 'shop', '--format', '{{.Name}}'])).trim();
  assert.equal(stack, name);
});

test('listing costs the same number of API calls with 3 tasks and with 12', async () => {
  const viaProxy = readSwarmThroughProxy;
  const name = uniqueName('calls');
  await cli(['service', 'create', '--detach', '--name', name, '--replicas', '3', '--endpoint-mode', 'dnsrr', env.baseImage, 'sleep', '3600']);
  await eventually(async () => assert.equal(serviceNamed(await read(), name).running, 3), 60_000, 500);
  const small = await viaProxy();
  await cli(['service', 'scale', '--detach', `${name}=12`]);
  await eventually(async () => assert.equal(serviceNamed(await read(), name).running, 12), 90_000, 500);
  const large = await viaProxy();
  console.log(`listing: ${small.calls} calls / ${small.tasks} tasks, ${large.calls} calls / ${large.tasks} tasks`);
  assert.equal(large.calls, small.calls);
  assert.ok(large.tasks >= small.tasks + 9);
  assert.equal(small.calls, 3);
  await removeService(sessionOf(manager()).connect().docker, name);
});

async function readSwarmThroughProxy(): Promise<{ calls: number; tasks: number }> {
  const before = proxy.requests.length;
  const s = await readSwarm(new Dockerode({ host: '127.0.0.1', port: proxy.port, protocol: 'http' }), clusterId);
  return { calls: proxy.requests.length - before, tasks: s.tasks.length };
}

test('scale, drain (tasks move off the node), activate, promote and demote, remove: all through the product', async () => {
  const docker = sessionOf(manager()).connect().docker;
  const name = uniqueName('api');
  // busybox as PID 1 ignores SIGTERM: without a short grace period every moved task takes 10 s.
  await cli([
    'service',
    'create',
    '--detach',
    '--name',
    name,
    '--replicas',
    '2',
    '--endpoint-mode',
    'dnsrr',
    '--stop-grace-period',
    '1s',
    env.baseImage,
    'sleep',
    '3600',
  ]);
  let s = await eventually(
    async () => {
      const x = await read();
      assert.equal(serviceNamed(x, name).running, 2);
      return x;
    },
    60_000,
    500,
  );
  const id = serviceNamed(s, name).id;

  await scaleService(docker, id, 6);
  s = await eventually(
    async () => {
      const x = await read();
      assert.equal(serviceNamed(x, name).running, 6);
      return x;
    },
    60_000,
    500,
  );
  assert.equal((await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Replicas}}'])).trim(), '6/6');
  assert.ok(runningNodes(s, id).includes('n3'));

  const n3 = s.nodes.find((n) => n.hostname === 'n3');
  assert.ok(n3);
  const t0 = Date.now();
  await setNodeAvailability(docker, n3.id, 'drain');
  s = await eventually(
    async () => {
      const x = await read();
      assert.ok(!runningNodes(x, id).includes('n3'), runningNodes(x, id).join());
      assert.equal(serviceNamed(x, name).running, 6);
      return x;
    },
    60_000,
    500,
  );
  console.log(`drain: tasks off n3 and 6/6 again in ${Date.now() - t0} ms`);
  assert.equal(s.nodes.find((n) => n.id === n3.id)?.availability, 'drain');
  assert.equal((await cli(['node', 'inspect', 'n3', '--format', '{{.Spec.Availability}}'])).trim(), 'drain');
  await setNodeAvailability(docker, n3.id, 'active');
  assert.equal((await read()).nodes.find((n) => n.id === n3.id)?.availability, 'active');

  const n2 = s.nodes.find((n) => n.hostname === 'n2');
  assert.ok(n2);
  await setNodeRole(docker, n2.id, 'manager');
  await eventually(
    async () => assert.equal((await cli(['node', 'inspect', 'n2', '--format', '{{.ManagerStatus.Reachability}}'])).trim(), 'reachable'),
    60_000,
    500,
  );
  assert.equal((await read()).nodes.find((n) => n.id === n2.id)?.role, 'manager');
  await setNodeRole(docker, n2.id, 'worker');
  await eventually(async () => assert.equal((await read()).nodes.find((n) => n.id === n2.id)?.role, 'worker'), 60_000, 500);

  await assert.rejects(scaleService(docker, id, -1), /whole number/);
  await removeService(docker, id);
  assert.equal((await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}}'])).trim(), '');
});
