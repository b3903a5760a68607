import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { defaultConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import type { DockerHostSession } from '../../src/core/docker/hostSession';
import { createSwarm, type SwarmMember } from '../../src/core/swarm/createSwarm';
import { readSwarm, removeService, scaleService } from '../../src/core/swarm/swarmApi';
import { discoverSwarms } from '../../src/core/swarm/swarmDiscovery';
import { compareSwarmCount } from '../../src/ui/webview/compareHosts';
import { tasksOf, type SwarmSnapshot } from '../../src/core/swarm/swarmModel';
import { SwarmNodeRow, SwarmServiceRow, SwarmStackRow, SwarmTreeNode } from '../../src/ui/tree/swarmNodes';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import { startEngineProxy, type EngineProxy } from '../support/engineProxy';
import { run } from '../support/engines';
import { startHostViews, type HostViews } from '../support/hostViews';
import type { FakeTreeView } from '../support/vscodeFake';
import { startSwarmHosts, type SwarmHost, type SwarmHosts } from '../support/swarmCluster';
import { onlySwarmShown, swarmSection } from '../support/swarmTree';
import { dockerCli, eventually, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * A swarm made by the product from three real hosts (each dockerd in a network namespace of its
 * own, reached over mutual TLS at its address), then run through the product while the docker CLI
 * looks on as a peer. No routing mesh or VIP here (no IPVS): services use dnsrr and host-mode ports.
 */
const env = loadTestEnvironment();
let cluster: SwarmHosts;
let views: HostViews;
let proxy: EngineProxy;
let clusterId = '';

function sessionOf(h: SwarmHost): DockerHostSession {
  const session = views.catalog.list().find((s) => s.spec.name === h.name);
  assert.ok(session, `${h.name} in the catalog`);
  return session;
}

function label(n: TreeNode): string {
  return String(n.getTreeItem().label);
}

function description(n: TreeNode): string {
  return String(n.getTreeItem().description ?? '');
}

const shownSwarm = () => onlySwarmShown(views.otherHosts.provider);
const section = (swarm: SwarmTreeNode, name: string) => swarmSection(views.otherHosts.provider, swarm, name);

async function serviceRow(name: string): Promise<SwarmServiceRow> {
  const row = (await section(await shownSwarm(), 'Services')).find((n): n is SwarmServiceRow => n instanceof SwarmServiceRow && label(n) === name);
  assert.ok(row, `service ${name} shown`);
  return row;
}

async function command(id: string, ...args: unknown[]): Promise<unknown> {
  const handler = recorded.commands.get(id);
  assert.ok(handler, `${id} is registered`);
  return handler(...args);
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
  views = startHostViews({ connectionEnv: defaultConnectionEnvironment, commands: true });
  for (const h of cluster.hosts) {
    await views.added.add({ name: h.name, address: `tcp://${h.address}:2376`, tls: { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key } });
  }
  views.otherHosts.refreshAll();
  await views.otherHosts.provider.getChildren();
  // On screen: the catalog follows the hosts' events only while a view that shows them is visible.
  (views.otherHosts.treeView as unknown as FakeTreeView<TreeNode>).setVisible(true);
  // Every request the product sends the manager for a listing, counted.
  proxy = await startEngineProxy(manager().daemon.socketPath);
});

after(async () => {
  views?.dispose();
  await proxy?.close();
  await cluster?.stop();
});

/** Answers for Create Swarm from Hosts: every host, then n1 as the manager. */
function pickAllWithManagerN1(): void {
  recorded.answers.push(
    (items: Array<{ label: string }>) => items,
    (items: Array<{ label: string }>) => items.find((i) => i.label === 'n1'),
  );
}

test('a host that cannot reach the manager is named with the port, and no swarm is left behind', async () => {
  resetRecorded();
  const block = await cluster.blockOutgoing(cluster.hosts[2], 2377);
  try {
    pickAllWithManagerN1();
    await command('dockerOnAzure.swarm.create');
  } finally {
    await block.unblock();
  }
  const errors = recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
  assert.equal(errors.length, 1, errors.join('\n'));
  assert.match(errors[0], /^n3 cannot reach n1 \(10\.213\.\d+\.11\) on TCP port 2377 \(connection refused\)\. .*No swarm was made\.$/);
  assert.doesNotMatch(errors[0], /7946|n2/, 'only what is blocked is named');
  for (const h of cluster.hosts) {
    assert.equal((await dockerCli(['info', '--format', '{{.Swarm.LocalNodeState}}'], h.tls)).trim(), 'inactive', h.name);
  }
});

test('Create Swarm from Hosts: init on the manager, join through each host’s own connection; the tree shows its nodes', async () => {
  resetRecorded();
  pickAllWithManagerN1();
  const t0 = Date.now();
  await command('dockerOnAzure.swarm.create');
  console.log(`swarm of 3 made through the command in ${Date.now() - t0} ms`);
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    ['info: Swarm created: n1 manages it, n2, n3 joined.'],
  );
  const token = (await cli(['swarm', 'join-token', '-q', 'worker'])).trim();
  const said = [...recorded.progress, ...recorded.messages.map((m) => m.text)].join('\n');
  assert.ok(!said.includes(token) && !said.includes('SWMTKN'), 'a join token shows in progress or messages');

  const nodes = (await cli(['node', 'ls', '--format', '{{.Hostname}} {{.Status}} {{.ManagerStatus}}']))
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .sort();
  assert.deepEqual(nodes, ['n1 Ready Leader', 'n2 Ready', 'n3 Ready']);

  const swarms = await discoverSwarms(views.catalog.list());
  assert.equal(swarms.length, 1);
  clusterId = swarms[0].id;
  assert.deepEqual(
    swarms[0].managers.map((m) => m.session.spec.name),
    ['n1'],
  );
  assert.deepEqual(swarms[0].workers.map((m) => m.session.spec.name).sort(), ['n2', 'n3']);
  assert.equal(await compareSwarmCount(views.catalog), 1, 'the comparison page counts one swarm of three hosts');

  const swarm = await shownSwarm();
  assert.equal(label(swarm), 'n1 swarm');
  const version = (await cli(['version', '--format', '{{.Server.Version}}'])).trim();
  assert.deepEqual(
    (await section(swarm, 'Nodes')).map((n) => `${label(n)}: ${description(n)}`),
    [`n1: manager (leader) · active · ready · ${version}`, `n2: worker · active · ready · ${version}`, `n3: worker · active · ready · ${version}`],
  );

  const [, n2, n3] = cluster.hosts;
  const again = await createSwarm({ manager: member(n2), workers: [member(n3)] }).catch((e: Error) => e);
  assert.match(String(again), /n2, n3 already belong to a swarm\. Nothing was changed/);
});

test('a dnsrr service with host-mode ports spreads over the nodes; the tree, its tasks and stacks, and the CLI agree', async () => {
  const name = uniqueName('web');
  // prettier-ignore
  await cli([
    'service', 'create', '--detach', '--name', name, '--replicas', '3', '--endpoint-mode', 'dnsrr',
    '--publish', 'mode=host,target=80,published=8080', '--label', 'com.docker.stack.namespace=shop',
    env.baseImage, 'httpd', '-f', '-p', '80', '-h', '/etc',
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
  assert.deepEqual(service.ports, [{ published: 8080, target: 80, protocol: 'tcp', mode: 'host' }]);
  assert.deepEqual(runningNodes(snapshot, service.id), ['n1', 'n2', 'n3']);
  for (const h of cluster.hosts) {
    assert.equal((await httpGet(`http://${h.address}:8080/passwd`)).status, 200, `host-mode port on ${h.name}`);
  }

  const row = await serviceRow(name);
  assert.equal(description(row), `3/3 · ${env.baseImage} · 8080→80/tcp (host)`);
  const tasks = await views.otherHosts.provider.getChildren(row);
  assert.deepEqual(
    tasks.map((t) => `${label(t)} ${description(t)}`).sort(),
    [`${name}.1`, `${name}.2`, `${name}.3`].map((t, i) => `${t} ${tasksNode(snapshot, service.id, i + 1)} · running`),
  );
  const stacks = await section(await shownSwarm(), 'Stacks');
  assert.deepEqual(
    stacks.map((s) => `${label(s)}: ${description(s)}`),
    ['shop: 1 service · 3/3 tasks'],
  );
  assert.deepEqual((await views.otherHosts.provider.getChildren(stacks[0])).map(label), [name]);

  // The CLI, as a peer, sees what the tree shows.
  const ls = (await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}} {{.Mode}} {{.Replicas}}'])).trim();
  assert.equal(ls, `${name} replicated 3/3`);
  const ps = (await cli(['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.Name}} {{.Node}} {{.CurrentState}}']))
    .trim()
    .split('\n')
    .map((l) => l.split(' ').slice(0, 3).join(' '))
    .sort();
  assert.deepEqual(ps, tasks.map((t) => `${label(t)} ${description(t).split(' · ')[0]} Running`).sort());
  assert.equal((await cli(['stack', 'services', 'shop', '--format', '{{.Name}}'])).trim(), name);

  // A node that is one of the user's hosts expands as that host does, with ids of its own.
  const n2 = (await section(await shownSwarm(), 'Nodes')).find((n): n is SwarmNodeRow => n instanceof SwarmNodeRow && label(n) === 'n2');
  assert.ok(n2);
  const groups = await views.otherHosts.provider.getChildren(n2);
  assert.deepEqual(groups.map(label), ['Containers', 'Images']);
  const containers = await views.otherHosts.provider.getChildren(groups[0]);
  const task = containers.find((c) => label(c).startsWith(`${name}.`));
  assert.ok(task, `the task's container on n2 in ${containers.map(label)}`);
  assert.equal(task.parent, groups[0]);
  const hostRow = (await views.otherHosts.provider.getChildren()).find((n) => label(n) === 'n2');
  assert.ok(hostRow);
  const [ownContainers] = await views.otherHosts.provider.getChildren(hostRow);
  const ownIds = new Set([ownContainers.id, ...(await views.otherHosts.provider.getChildren(ownContainers)).map((c) => c.id)]);
  assert.ok(!ownIds.has(groups[0].id) && !ownIds.has(task.id), 'rows shown twice in one view have ids of their own');
});

function tasksNode(s: SwarmSnapshot, serviceId: string, slot: number): string {
  const task = s.tasks.find((t) => t.serviceId === serviceId && t.slot === slot && t.desiredState === 'running');
  return s.nodes.find((n) => n.id === task?.nodeId)?.hostname ?? '?';
}

test('the replicas of a stack on an overlay network answer each other across nodes; Remove Stack removes what carries its label, nothing else', async () => {
  resetRecorded();
  const stack = uniqueName('blog');
  const stackLabel = `com.docker.stack.namespace=${stack}`;
  const svc = `${stack}_web`;
  const keep = uniqueName('keep');
  await cli(['network', 'create', '--driver', 'overlay', '--label', stackLabel, `${stack}_default`]);
  await cli(['network', 'create', '--driver', 'overlay', keep]);
  await dockerCli(['secret', 'create', '--label', stackLabel, `${stack}_token`, '-'], manager().tls, 's3cret');
  // prettier-ignore
  await cli([
    'service', 'create', '--detach', '--name', svc, '--replicas', '3', '--endpoint-mode', 'dnsrr', '--label', stackLabel,
    '--network', `${stack}_default`, '--secret', `${stack}_token`, '--stop-grace-period', '1s',
    env.baseImage, 'httpd', '-f', '-p', '80', '-h', '/etc',
  ]);
  await eventually(async () => assert.deepEqual(runningNodes(await read(), serviceNamed(await read(), svc).id), ['n1', 'n2', 'n3']), 60_000, 500);
  const onN1 = (await dockerCli(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${svc}`], manager().tls)).trim().split('\n')[0];
  assert.ok(onN1);
  // Every replica answers the one on n1 across the overlay network, at its address there. (Not by its
  // tasks.<service> name: nothing in the busybox image resolves names.)
  const taskIds = (await cli(['service', 'ps', '-q', '--filter', 'desired-state=running', svc])).trim().split('\n');
  const overlay = await Promise.all(
    taskIds.map(async (id) => {
      const attachments = (
        await cli(['inspect', id, '--format', '{{range .NetworksAttachments}}{{.Network.Spec.Name}}={{index .Addresses 0}} {{end}}'])
      ).trim();
      return (
        attachments
          .split(' ')
          .find((a) => a.startsWith(`${stack}_default=`))
          ?.split('=')[1]
          .split('/')[0] ?? attachments
      );
    }),
  );
  assert.equal(overlay.length, 3);
  assert.ok(
    overlay.every((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip)),
    overlay.join(),
  );
  // From inside that container's network namespace: busybox-static's own wget crashes in this image.
  const pid = (await dockerCli(['inspect', onN1, '--format', '{{.State.Pid}}'], manager().tls)).trim();
  for (const ip of overlay) {
    const answered = await eventually(
      async () => (await run('nsenter', [`--net=/proc/${pid}/ns/net`, 'curl', '-sf', '-m', '5', `http://${ip}/passwd`])).stdout,
      30_000,
      1000,
    );
    assert.match(answered, /^root:/, ip);
  }

  const stacks = await section(await shownSwarm(), 'Stacks');
  const row = stacks.find((n): n is SwarmStackRow => n instanceof SwarmStackRow && label(n) === stack);
  assert.ok(row, `${stack} in ${stacks.map(label)}`);
  recorded.answers.push('Remove');
  await command('dockerOnAzure.swarm.removeStack', row);
  assert.deepEqual(
    recorded.messages.filter((m) => m.level === 'error'),
    [],
  );
  assert.doesNotMatch(await cli(['stack', 'ls', '--format', '{{.Name}}']), new RegExp(`^${stack}$`, 'm'));
  // The manager's own copy of the network goes once its last task container there has stopped.
  await eventually(
    async () => assert.equal((await cli(['network', 'ls', '--filter', `label=${stackLabel}`, '--format', '{{.Name}}'])).trim(), ''),
    30_000,
    500,
  );
  assert.equal((await cli(['network', 'ls', '--filter', `label=${stackLabel}`, '--filter', 'scope=swarm', '--format', '{{.Name}}'])).trim(), '');
  assert.equal((await cli(['secret', 'ls', '--filter', `label=${stackLabel}`, '--format', '{{.Name}}'])).trim(), '');
  assert.equal((await cli(['network', 'ls', '--filter', `name=${keep}`, '--format', '{{.Name}}'])).trim(), keep, 'an unlabelled network stays');
  assert.match(await cli(['stack', 'ls', '--format', '{{.Name}}']), /^shop$/m, 'another stack stays');
  assert.ok(!(await section(await shownSwarm(), 'Stacks')).some((n) => label(n) === stack));
  await cli(['network', 'rm', keep]);
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

test('Scale Service…, Drain and Activate Node, Promote and Demote, Remove Service: from the rows, as the user does', async () => {
  resetRecorded();
  const name = uniqueName('api');
  // busybox as PID 1 ignores SIGTERM: without a short grace period every moved task takes 10 s.
  // prettier-ignore
  await cli(['service', 'create', '--detach', '--name', name, '--replicas', '2', '--endpoint-mode', 'dnsrr', '--stop-grace-period', '1s', env.baseImage, 'sleep', '3600']);
  await eventually(async () => assert.equal(serviceNamed(await read(), name).running, 2), 60_000, 500);

  recorded.answers.push('6');
  await command('dockerOnAzure.swarm.scaleService', await serviceRow(name));
  await eventually(async () => assert.match(description(await serviceRow(name)), /^6\/6 · /), 60_000, 500);
  assert.equal((await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Replicas}}'])).trim(), '6/6');
  let s = await read();
  const id = serviceNamed(s, name).id;
  assert.ok(runningNodes(s, id).includes('n3'));

  const nodeRow = async (host: string) => {
    const row = (await section(await shownSwarm(), 'Nodes')).find((n): n is SwarmNodeRow => n instanceof SwarmNodeRow && label(n) === host);
    assert.ok(row, host);
    return row;
  };
  const t0 = Date.now();
  recorded.answers.push('Drain');
  await command('dockerOnAzure.swarm.drainNode', await nodeRow('n3'));
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
  assert.match(description(await nodeRow('n3')), /^worker · drain · ready/);
  assert.ok(
    (await views.otherHosts.provider.getChildren(await serviceRow(name)))
      .filter((t) => / · running$/.test(description(t)))
      .every((t) => !description(t).startsWith('n3')),
  );
  assert.equal((await cli(['node', 'inspect', 'n3', '--format', '{{.Spec.Availability}}'])).trim(), 'drain');
  await command('dockerOnAzure.swarm.activateNode', await nodeRow('n3'));
  assert.equal((await cli(['node', 'inspect', 'n3', '--format', '{{.Spec.Availability}}'])).trim(), 'active');

  await command('dockerOnAzure.swarm.promoteNode', await nodeRow('n2'));
  // prettier-ignore
  await eventually(async () => assert.equal((await cli(['node', 'inspect', 'n2', '--format', '{{.ManagerStatus.Reachability}}'])).trim(), 'reachable'), 60_000, 500);
  assert.match(description(await nodeRow('n2')), /^manager · active/);
  await command('dockerOnAzure.swarm.demoteNode', await nodeRow('n2'));
  await eventually(async () => assert.match(description(await nodeRow('n2')), /^worker · active/), 60_000, 500);

  await assert.rejects(scaleService(sessionOf(manager()).connect().docker, id, -1), /whole number/);
  recorded.answers.push('Remove');
  await command('dockerOnAzure.swarm.removeService', await serviceRow(name));
  assert.equal((await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Name}}'])).trim(), '');
  assert.deepEqual(
    recorded.messages.filter((m) => m.level === 'error'),
    [],
  );
});

/**
 * What the tree shows under a swarm row, re-rendered only when the provider says that row (or the
 * whole tree) changed: a stand-in for VS Code redrawing what is on screen, with no refresh asked for.
 */
async function follow(swarm: SwarmTreeNode): Promise<{ rows: () => string[]; stop(): void }> {
  const provider = views.otherHosts.provider;
  let rows: string[] = [];
  const render = async () => {
    const out: string[] = [];
    for (const sectionNode of await provider.getChildren(swarm)) {
      for (const row of await provider.getChildren(sectionNode)) {
        out.push(`${label(sectionNode)}/${label(row)}: ${description(row)}`);
      }
    }
    rows = out;
  };
  const sub = provider.onDidChangeTreeData((node) => {
    if (node === swarm || node === undefined) {
      render().catch(() => undefined);
    }
  });
  await render();
  return { rows: () => rows, stop: () => sub.dispose() };
}

test('the tree follows the swarm by itself: a service made with the CLI appears; a killed worker shows Down, its tasks move, and it comes back', async () => {
  const swarm = await shownSwarm();
  const shown = await follow(swarm);
  try {
    const name = uniqueName('moving');
    // prettier-ignore
    await cli(['service', 'create', '--detach', '--name', name, '--replicas', '3', '--endpoint-mode', 'dnsrr', '--stop-grace-period', '1s', env.baseImage, 'sleep', '3600']);
    await eventually(
      async () =>
        assert.ok(
          shown.rows().some((r) => r.startsWith(`Services/${name}: 3/3 · `)),
          shown.rows().join('\n'),
        ),
      60_000,
      200,
    );
    const s = await read();
    assert.deepEqual(runningNodes(s, serviceNamed(s, name).id), ['n1', 'n2', 'n3']);

    const n3 = cluster.hosts[2];
    const t0 = Date.now();
    await n3.daemon.kill();
    await eventually(
      async () =>
        assert.ok(
          shown.rows().some((r) => /^Nodes\/n3: worker · active · down · /.test(r)),
          shown.rows().join('\n'),
        ),
      90_000,
      200,
    );
    const downAfter = Date.now() - t0;
    const moved = await eventually(
      async () => {
        const x = await read();
        const nodes = runningNodes(x, serviceNamed(x, name).id);
        assert.equal(nodes.length, 3);
        assert.ok(!nodes.includes('n3'), nodes.join());
        assert.ok(
          shown.rows().some((r) => r.startsWith(`Services/${name}: 3/3 · `)),
          shown.rows().join('\n'),
        );
        return nodes;
      },
      90_000,
      500,
    );
    console.log(`killed worker: shown Down after ${downAfter} ms, its task on ${moved.join(', ')} after ${Date.now() - t0} ms`);
    assert.match((await cli(['node', 'inspect', 'n3', '--format', '{{.Status.State}}'])).trim(), /^down$/);

    const t1 = Date.now();
    await n3.daemon.restart();
    await eventually(
      async () =>
        assert.ok(
          shown.rows().some((r) => /^Nodes\/n3: worker · active · ready · /.test(r)),
          shown.rows().join('\n'),
        ),
      90_000,
      200,
    );
    console.log(`restarted worker: shown Ready again after ${Date.now() - t1} ms`);
    await removeService(sessionOf(manager()).connect().docker, serviceNamed(await read(), name).id);
  } finally {
    shown.stop();
  }
});

test('a swarm that lost its quorum says so and what to do; it is read again once its managers are back', async () => {
  const [, n2, n3] = cluster.hosts;
  for (const h of [n2, n3]) {
    await cli(['node', 'promote', h.name]);
  }
  // prettier-ignore
  await eventually(async () => assert.equal((await cli(['node', 'ls', '--filter', 'role=manager', '--format', '{{.ManagerStatus}}'])).trim().split('\n').filter((l) => /Leader|Reachable/.test(l)).length, 3), 60_000, 500);
  const t0 = Date.now();
  await Promise.all([n2.daemon.kill(), n3.daemon.kill()]);
  try {
    const shown = await eventually(
      async () => {
        const rows = await views.otherHosts.provider.getChildren(await shownSwarm());
        assert.equal(rows.length, 1, rows.map(label).join('\n'));
        assert.match(label(rows[0]), /quorum/);
        return label(rows[0]);
      },
      90_000,
      1000,
    );
    console.log(`two of three managers killed: the swarm row says so after ${Date.now() - t0} ms`);
    assert.match(shown, /--force-new-cluster/);
  } finally {
    await Promise.all([n2.daemon.restart(), n3.daemon.restart()]);
  }
  await eventually(
    async () => assert.deepEqual((await views.otherHosts.provider.getChildren(await shownSwarm())).map(label), ['Nodes', 'Services', 'Stacks']),
    90_000,
    1000,
  );
});
