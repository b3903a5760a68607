import { memento, recorded, resetRecorded, secretStorage, Uri } from '../support/installVscodeFake';
import type Dockerode from 'dockerode';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { defaultConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { DEPLOYED_FROM_LABEL } from '../../src/core/docker/presentation';
import { pushImage } from '../../src/core/docker/pushImage';
import { registryAuth } from '../../src/core/docker/registryAuth';
import { createSwarm } from '../../src/core/swarm/createSwarm';
import { parseNode, parseTask } from '../../src/core/swarm/swarmModel';
import { RegistryCredentialsStore } from '../../src/ui/registries/registryCredentialsStore';
import { startHostViews, type HostViews } from '../support/hostViews';
import { startSwarmHosts, type SwarmHost, type SwarmHosts, swarmEngine } from '../support/swarmCluster';
import { dockerCli, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * Deploy to Swarm… and Deploy Compose File as Stack… on a real three-node swarm (one manager, two
 * workers, each dockerd in its own namespace) with a real registry that takes only htpasswd
 * logins, on the bridge the nodes share. Nodes start with nothing but the busybox image, so a
 * worker that runs a replica pulled it, and could only pull it with the login the swarm handed it.
 * No routing mesh here: ports are published in host mode, each node answering at its own address.
 */
const env = loadTestEnvironment();
const user = { username: 'swarm', password: `pw-${randomBytes(6).toString('hex')}` };
const secrets = secretStorage();
const globalState = memento();
const credentials = new RegistryCredentialsStore(secrets as never, globalState as never);
let cluster: SwarmHosts;
let views: HostViews;
let dir: string;
let registry: string;
const service = uniqueName('web').replace(/[^a-z0-9-]/g, '-');
const PORT = 8088;

type Item = { label: string; description?: string };
const pick = (label: string) => (items: Item[]) => items.find((i) => i.label.includes(label));
const accept = (o: { value?: string }) => o.value;
const errors = () => recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
const infos = () => recorded.messages.filter((m) => m.level === 'info').map((m) => m.text);
const buildLog = () => recorded.outputs.get('Docker on Azure: Build') ?? '';

const engine = swarmEngine;

const manager = () => cluster.hosts[0];
const workers = () => cluster.hosts.slice(1);

async function command(id: string, ...args: unknown[]): Promise<unknown> {
  const handler = recorded.commands.get(id);
  assert.ok(handler, `${id} is registered`);
  return handler(...args);
}

/** An httpd that stops on SIGTERM (as PID 1 it would ignore it), so a rolling update does not wait out each task's grace period. */
async function writeApp(version: string): Promise<Uri> {
  const file = path.join(dir, 'Dockerfile');
  await fs.writeFile(path.join(dir, 'index.html'), `${version}\n`);
  await fs.writeFile(
    file,
    `FROM ${env.baseImage}\nCOPY index.html /www/index.html\nEXPOSE 80\nCMD ["sh", "-c", "trap 'exit 0' TERM; httpd -f -p 80 -h /www & wait"]\n`,
  );
  return Uri.file(file);
}

/** The id of the service of that name, read from the manager as the CLI would. */
async function serviceId(docker: Dockerode, name: string): Promise<string> {
  const services = (await docker.listServices({ filters: JSON.stringify({ name: [name] }) } as object)) as Array<{
    ID: string;
    Spec: { Name: string };
  }>;
  const found = services.find((s) => s.Spec.Name === name);
  assert.ok(found, `service ${name} exists`);
  return found.ID;
}

/** Running tasks of a service by node name, with the image (digest and all) each was made with. */
async function running(name: string): Promise<Array<{ node: string; image: string }>> {
  const docker = engine(manager());
  const id = await serviceId(docker, name);
  const nodes = new Map(((await docker.listNodes()) as unknown[]).map(parseNode).map((n) => [n.id, n.hostname]));
  const tasks = ((await docker.listTasks({ filters: JSON.stringify({ service: [id] }) } as object)) as unknown[]).map(parseTask);
  return tasks
    .filter((t) => t.state === 'running' && t.desiredState === 'running')
    .map((t) => ({ node: nodes.get(t.nodeId) ?? t.nodeId, image: t.imageReference }))
    .sort((a, b) => a.node.localeCompare(b.node));
}

/**
 * Until every replica the swarm wants runs, or a task was turned down: a swarm retries a task whose
 * image cannot be pulled for ever, so the first refusal is the answer.
 */
async function settled(name: string, replicas: number): Promise<{ nodes: string[]; refused: string[] }> {
  const docker = engine(manager());
  const nodes = new Map(((await docker.listNodes()) as unknown[]).map(parseNode).map((n) => [n.id, n.hostname]));
  for (;;) {
    const id = await serviceId(docker, name);
    const tasks = ((await docker.listTasks({ filters: JSON.stringify({ service: [id] }) } as object)) as unknown[]).map(parseTask);
    const refused = tasks.filter((t) => ['rejected', 'failed'].includes(t.state)).map((t) => `${nodes.get(t.nodeId)}: ${t.error}`);
    const up = tasks.filter((t) => t.state === 'running' && t.desiredState === 'running').map((t) => nodes.get(t.nodeId) ?? t.nodeId);
    if (refused.length || up.length === replicas) {
      return { nodes: up.sort(), refused };
    }
    await sleep(250);
  }
}

async function hasImage(h: SwarmHost, reference: string): Promise<boolean> {
  return engine(h)
    .getImage(reference)
    .inspect()
    .then(
      () => true,
      () => false,
    );
}

before(async () => {
  cluster = await startSwarmHosts(path.join(env.rootDir, `dswarm-${process.pid.toString(36)}`), 3, { registry: { auth: user } });
  assert.ok(cluster.registry);
  registry = cluster.registry.address;
  const [m, ...rest] = cluster.hosts;
  await createSwarm({
    manager: { name: m.name, docker: engine(m), advertiseAddress: m.address },
    workers: rest.map((h) => ({ name: h.name, docker: engine(h), advertiseAddress: h.address })),
  });
  views = startHostViews({
    connectionEnv: defaultConnectionEnvironment,
    commands: true,
    context: { subscriptions: [], globalState, workspaceState: memento(), secrets },
  });
  for (const h of cluster.hosts) {
    await views.added.add({ name: h.name, address: `tcp://${h.address}:2376`, tls: { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key } });
  }
  dir = await fs.mkdtemp(path.join(env.rootDir, 'dswarm-app-'));
});

after(async () => {
  views?.dispose();
  await cluster?.stop();
});

test('Deploy to Swarm… builds on the manager, pushes with typed credentials, and runs replicas on every node, workers pulling with the login the swarm got', async () => {
  resetRecorded();
  const dockerfile = await writeApp('v1');
  const target = `${registry}/team/${service}:latest`;
  assert.equal(await hasImage(workers()[0], target), false, 'no worker has the image before');
  recorded.answers.push(
    pick('Other registry'),
    registry,
    `team/${service}:latest`,
    service,
    `${PORT}:80`,
    accept, // replicas: one per schedulable node
    user.username,
    user.password,
  );
  await command('dockerOnAzure.swarm.deployDockerfile', dockerfile);
  assert.deepEqual(errors(), []);
  assert.deepEqual(infos(), [`${service} runs on the ${manager().name} swarm: 3 replica(s), on n1, n2, n3.`]);

  const tasks = await running(service);
  assert.deepEqual(
    tasks.map((t) => t.node),
    ['n1', 'n2', 'n3'],
  );
  const image = tasks[0].image;
  assert.match(image, new RegExp(`^${target.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`), 'pinned to the pushed digest');
  assert.ok(
    tasks.every((t) => t.image === image),
    'every replica runs the same build',
  );
  for (const w of workers()) {
    assert.equal(await hasImage(w, image), true, `${w.name} pulled the image`);
    assert.equal((await httpGet(`http://${w.address}:${PORT}/`)).body, 'v1\n', `${w.name} answers on its host-mode port`);
  }
  // The registry takes no anonymous pull, so the workers pulled with the login.
  assert.equal((await fetch(`http://${registry}/v2/team/${service}/manifests/latest`)).status, 401);

  const inspected = await dockerCli(['service', 'inspect', service], manager().tls);
  assert.ok(!inspected.includes(user.password), 'the password is not in the service as inspect shows it');
  assert.equal(JSON.parse(inspected)[0].Spec.Labels[DEPLOYED_FROM_LABEL], 'Dockerfile');
  assert.ok(!buildLog().includes(user.password), 'nor in the output');
  assert.deepEqual(await credentials.get(registry), user, 'the accepted credentials are kept as a secret');
});

test('a second deploy after changing the Dockerfile rolls the service out to the new digest, asking for no credentials', async () => {
  resetRecorded();
  const before = (await running(service))[0].image;
  const dockerfile = await writeApp('v2');
  recorded.answers.push(pick(registry), accept, accept, accept, accept);
  await command('dockerOnAzure.swarm.deployDockerfile', dockerfile);
  assert.deepEqual(errors(), []);
  assert.equal(recorded.answers.length, 0, 'every scripted answer was asked for, and no more');
  assert.match(infos()[0] ?? '', new RegExp(`^${service} on the n1 swarm updated to the new build \\(sha256:`));

  const tasks = await running(service);
  assert.equal(tasks.length, 3);
  assert.notEqual(tasks[0].image, before, 'a new digest');
  assert.ok(
    tasks.every((t) => t.image === tasks[0].image),
    `every replica on the new build: ${JSON.stringify(tasks)}`,
  );
  for (const h of cluster.hosts) {
    assert.equal((await httpGet(`http://${h.address}:${PORT}/`)).body, 'v2\n', `${h.name} serves the new build`);
  }
});

test('Deploy Compose File as Stack… passes the stored login for the private registry its image names, so workers pull it', async () => {
  resetRecorded();
  await credentials.set(registry, user);
  // An image only the manager has, pushed under a reference no node has pulled.
  const reference = `${registry}/team/stack-${randomBytes(3).toString('hex')}:1`;
  const { digest } = await pushImage(
    engine(manager()),
    { source: env.baseImage, target: reference, registry, auth: registryAuth(registry, user.username, user.password) },
    () => undefined,
  );
  assert.ok(digest);
  for (const w of workers()) {
    assert.equal(await hasImage(w, reference), false, `${w.name} does not have ${reference}`);
  }
  const stackDir = await fs.mkdtemp(path.join(env.rootDir, 'dswarm-stack-'));
  const file = path.join(stackDir, 'compose.yaml');
  await fs.writeFile(file, `services:\n  sleeper:\n    image: ${reference}\n    command: ["sleep", "3600"]\n    deploy:\n      replicas: 3\n`);
  const stack = uniqueName('priv').replace(/[^a-z0-9-]/g, '-');
  recorded.answers.push(stack);
  await command('dockerOnAzure.swarm.deployStack', Uri.file(file));
  assert.deepEqual(errors(), []);
  const outcome = await settled(`${stack}_sleeper`, 3);
  assert.deepEqual(outcome.refused, [], 'no node was refused the image');
  // The swarm spreads a service's replicas over the nodes, so the workers run some.
  assert.deepEqual(outcome.nodes, ['n1', 'n2', 'n3']);
  const inspected = await dockerCli(['service', 'inspect', `${stack}_sleeper`], manager().tls);
  assert.ok(!inspected.includes(user.password), 'the password is not in the service as inspect shows it');
});

test('wrong stored credentials: the deploy stops at the push with one sentence naming the registry, and the service keeps its build', async () => {
  resetRecorded();
  const before = (await running(service))[0].image;
  await credentials.set(registry, { username: user.username, password: 'not-the-password' });
  const dockerfile = await writeApp('v3');
  recorded.answers.push(pick(registry), accept, accept, accept, accept, undefined);
  await command('dockerOnAzure.swarm.deployDockerfile', dockerfile);
  assert.deepEqual(errors(), [`Sign-in to ${registry} failed: check the user name and password (unauthorized: authentication required).`]);
  assert.deepEqual(infos(), []);
  assert.deepEqual(
    (await running(service)).map((t) => t.image),
    [before, before, before],
    'the service still runs the build it had',
  );
  await credentials.set(registry, user);
});

test('a node that cannot reach the registry: the deploy says which node could not pull, and why, from its task', async () => {
  resetRecorded();
  const [, , n3] = cluster.hosts;
  const blocked = await cluster.blockOutgoing(n3, cluster.registry!.port);
  const other = `${service}-b`;
  const appDir = await fs.mkdtemp(path.join(env.rootDir, 'dswarm-other-'));
  await fs.writeFile(path.join(appDir, 'Dockerfile'), `FROM ${env.baseImage}\nRUN echo other > /other\nCMD ["sleep", "3600"]\n`);
  try {
    recorded.answers.push(pick(registry), `team/${other}:1`, other, '', accept, undefined);
    await command('dockerOnAzure.swarm.deployDockerfile', Uri.file(path.join(appDir, 'Dockerfile')));
  } finally {
    await blocked.unblock();
  }
  assert.equal(errors().length, 1, errors().join('\n'));
  assert.match(
    errors()[0],
    new RegExp(
      `^Service ${other} did not start on n3: task ${other}\\.\\d says "[^"]+"; n3 could not pull ${registry}/team/${other}:1: check that n3 reaches ${registry} and that the registry's credentials are valid\\.`,
    ),
  );
  assert.deepEqual(infos(), []);
});

async function tagsIn(repository: string): Promise<string[]> {
  const basic = Buffer.from(`${user.username}:${user.password}`).toString('base64');
  const res = await fetch(`http://${registry}/v2/${repository}/tags/list`, { headers: { Authorization: `Basic ${basic}` } });
  return res.status === 200 ? (((await res.json()) as { tags?: string[] }).tags ?? []) : [];
}

async function appIn(name: string, dockerfile: string): Promise<Uri> {
  const appDir = await fs.mkdtemp(path.join(env.rootDir, `dswarm-${name}-`));
  await fs.writeFile(path.join(appDir, 'Dockerfile'), dockerfile);
  return Uri.file(path.join(appDir, 'Dockerfile'));
}

test('a same-named service the extension did not make is left alone unless the user says so, and nothing is built or pushed first', async () => {
  resetRecorded();
  const theirs = `${service}-theirs`;
  await dockerCli(['service', 'create', '--detach', '--name', theirs, env.baseImage, 'sleep', '3600'], manager().tls);
  const dockerfile = await appIn('theirs', `FROM ${env.baseImage}\nRUN echo ours > /ours\nCMD ["sleep", "3600"]\n`);
  recorded.answers.push(pick(registry), `team/${theirs}:1`, theirs, '', accept, undefined);
  await command('dockerOnAzure.swarm.deployDockerfile', dockerfile);
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    [`warning: The n1 swarm already has a service named ${theirs} (${env.baseImage}) that Docker on Azure did not make. Update its image?`],
  );
  assert.deepEqual(await tagsIn(`team/${theirs}`), [], 'nothing was pushed');
  const spec = JSON.parse(await dockerCli(['service', 'inspect', theirs], manager().tls))[0].Spec;
  assert.equal(spec.TaskTemplate.ContainerSpec.Image.replace(/@sha256:.*$/, ''), env.baseImage, 'their image is unchanged');
  assert.equal(spec.Labels[DEPLOYED_FROM_LABEL], undefined);

  // Said yes to: only its image changes, by a rolling update.
  resetRecorded();
  recorded.answers.push(pick(registry), accept, accept, accept, accept, 'Update Image');
  await command('dockerOnAzure.swarm.deployDockerfile', dockerfile);
  assert.deepEqual(errors(), []);
  assert.match(infos()[0] ?? '', new RegExp(`^${theirs} on the n1 swarm updated to the new build`));
  const after = JSON.parse(await dockerCli(['service', 'inspect', theirs], manager().tls))[0].Spec;
  assert.match(after.TaskTemplate.ContainerSpec.Image, new RegExp(`^${registry.replace(/[.]/g, '\\.')}/team/${theirs}:1@sha256:`));
  assert.deepEqual(after.Labels, spec.Labels, 'its labels are its own still');
});

test('a failing build names its step, and nothing is pushed or deployed', async () => {
  resetRecorded();
  const broken = `${service}-broken`;
  const dockerfile = await appIn('broken', `FROM ${env.baseImage}\nRUN exit 3\n`);
  recorded.answers.push(pick(registry), `team/${broken}:1`, broken, '', accept, undefined);
  await command('dockerOnAzure.swarm.deployDockerfile', dockerfile);
  assert.equal(errors().length, 1, errors().join('\n'));
  assert.match(errors()[0], /^The build failed at \[2\/2\] RUN exit 3: /);
  assert.deepEqual(await tagsIn(`team/${broken}`), []);
  assert.equal((await dockerCli(['service', 'ls', '--filter', `name=${broken}`, '--format', '{{.Name}}'], manager().tls)).trim(), '');
});
