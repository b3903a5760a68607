import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { createSwarm } from '../../src/core/swarm/createSwarm';
import { deployStackFile } from '../../src/core/swarm/stackDeploy';
import { readSwarm } from '../../src/core/swarm/swarmApi';
import { groupStacks, tasksOf } from '../../src/core/swarm/swarmModel';
import * as vscode from 'vscode';
import { defaultConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import { SwarmSectionNode, SwarmsGroupNode, SwarmStackRow, SwarmTreeNode } from '../../src/ui/tree/swarmNodes';
import { startHostViews, type HostViews } from '../support/hostViews';
import { startSwarmHosts, swarmEngine, type SwarmHosts } from '../support/swarmCluster';
import { dockerCli, eventually, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * A compose file deployed as a stack by the product onto a real three-node swarm (made by the
 * product), with the docker CLI as a peer that must see the same stack. No VIP here: dnsrr.
 */
const env = loadTestEnvironment();
let cluster: SwarmHosts;
let dir: string;
let views: HostViews;

const engine = swarmEngine;

const manager = () => cluster.hosts[0];
const cli = (args: string[]) => dockerCli(args, manager().tls);
const stack = uniqueName('shop');

function composeText(replicas: number): string {
  return `services:
  web:
    image: ${env.baseImage}
    command: ["httpd", "-f", "-p", "80", "-h", "/etc"]
    environment:
      GREETING: \${GREETING:-hello}
    networks: [back]
    configs: [site]
    secrets: [key]
    deploy:
      replicas: ${replicas}
      endpoint_mode: dnsrr
      update_config:
        parallelism: 1
        delay: 1s
    ports:
      - { target: 80, published: 8081, mode: host }
networks:
  back:
    driver: overlay
    attachable: true
configs:
  site: { file: ./site.txt }
secrets:
  key: { file: ./key.txt }
`;
}

before(async () => {
  cluster = await startSwarmHosts(path.join(env.rootDir, `stack-${process.pid.toString(36)}`), 3);
  const [m, ...workers] = cluster.hosts;
  await createSwarm({
    manager: { name: m.name, docker: engine(m), advertiseAddress: m.address },
    workers: workers.map((h) => ({ name: h.name, docker: engine(h), advertiseAddress: h.address })),
  });
  dir = await fs.mkdtemp(path.join(env.rootDir, 'stackfile-'));
  await fs.writeFile(path.join(dir, '.env'), 'GREETING=from-dotenv\n');
  await fs.writeFile(path.join(dir, 'site.txt'), 'site config\n');
  await fs.writeFile(path.join(dir, 'key.txt'), 'not-a-real-key\n');
});

after(async () => {
  views?.dispose();
  await cluster?.stop();
});

async function runningTasks(service: string) {
  const s = await readSwarm(engine(manager()), 'x');
  const svc = s.services.find((x) => x.name === service);
  assert.ok(svc, `${service} in ${s.services.map((x) => x.name)}`);
  return { svc, snapshot: s, tasks: tasksOf(s, svc.id).filter((t) => t.state === 'running' && t.desiredState === 'running') };
}

test('a stack with an overlay network and a 3-replica dnsrr service spreads over the nodes; tasks reach each other by tasks.<service>; the CLI sees the same stack', async () => {
  const file = path.join(dir, 'compose.yaml');
  await fs.writeFile(file, composeText(3));
  const result = await deployStackFile(engine(manager()), file, stack, { env: {} });
  assert.deepEqual(result.created.sort(), [`config ${stack}_site`, `network ${stack}_back`, `secret ${stack}_key`, `service ${stack}_web`]);

  const service = `${stack}_web`;
  const { tasks, snapshot, svc } = await eventually(async () => {
    const r = await runningTasks(service);
    assert.equal(r.tasks.length, 3);
    return r;
  });
  assert.equal(new Set(tasks.map((t) => t.nodeId)).size, 3, 'one replica on each node');
  assert.deepEqual(
    groupStacks(snapshot.services)
      .map((s) => [s.name, s.services.map((x) => x.name)])
      .filter(([n]) => n === stack),
    [[stack, [service]]],
  );

  const network = JSON.parse(await cli(['network', 'inspect', `${stack}_back`]))[0];
  assert.equal(network.Driver, 'overlay');
  assert.equal(network.Attachable, true);
  assert.equal(network.Labels['com.docker.stack.namespace'], stack);
  const inspected = JSON.parse(await cli(['service', 'inspect', service]))[0];
  assert.equal(inspected.Spec.Labels['com.docker.stack.image'], env.baseImage);
  assert.ok(inspected.Spec.TaskTemplate.ContainerSpec.Env.includes('GREETING=from-dotenv'), 'the .env beside the file was interpolated');

  assert.equal((await cli(['stack', 'services', stack, '--format', '{{.Name}} {{.Replicas}}'])).trim(), `${service} 3/3`);
  assert.match(await cli(['service', 'ls', '--format', '{{.Name}}']), new RegExp(`^${service}$`, 'm'));
  const ps = (await cli(['stack', 'ps', stack, '--filter', 'desired-state=running', '--format', '{{.Node}}'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(ps, ['n1', 'n2', 'n3']);
  assert.equal(svc.running, 3);

  // From a task on the manager: the DNS name of every task, and an HTTP answer from each.
  const container = (await dockerCli(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`], manager().tls)).trim();
  assert.ok(container, 'a task runs on the manager');
  assert.equal(await dockerCli(['exec', container, 'cat', '/site', '/run/secrets/key'], manager().tls), 'site config\nnot-a-real-key\n');
  const addresses = await eventually(async () => {
    const out = await dockerCli(['exec', container, 'busybox', 'nslookup', `tasks.${service}`], manager().tls);
    // The answer follows "Name:"; before it is the embedded DNS server's own address.
    const answer = out.split(/Name:/).slice(1).join('\n');
    const found = new Set([...answer.matchAll(/Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]));
    assert.equal(found.size, 3, out);
    return [...found];
  });
  const hostnames = new Set<string>();
  for (const a of addresses) {
    hostnames.add((await dockerCli(['exec', container, 'busybox', 'wget', '-q', '-O', '-', `http://${a}/hostname`], manager().tls)).trim());
  }
  assert.equal(hostnames.size, 3, `three different tasks answered: ${[...hostnames]}`);
});

test('redeploying with other replicas updates the service in place', async () => {
  const service = `${stack}_web`;
  const before = JSON.parse(await cli(['service', 'inspect', service]))[0];
  const file = path.join(dir, 'compose.yaml');
  await fs.writeFile(file, composeText(2));
  const result = await deployStackFile(engine(manager()), file, stack, { env: {} });
  assert.deepEqual(result, { created: [], updated: [`service ${service}`] });
  const afterUpdate = JSON.parse(await cli(['service', 'inspect', service]))[0];
  assert.equal(afterUpdate.ID, before.ID, 'the same service');
  assert.ok(afterUpdate.Version.Index > before.Version.Index);
  assert.equal(afterUpdate.Spec.Mode.Replicated.Replicas, 2);
  await eventually(async () => assert.equal((await runningTasks(service)).tasks.length, 2));
});

test('a config or secret whose file changed is refused by name, not left stale; the stack runs on unchanged', async () => {
  const service = `${stack}_web`;
  const file = path.join(dir, 'compose.yaml');
  await fs.writeFile(file, composeText(2));
  const before = JSON.parse(await cli(['service', 'inspect', service]))[0];
  for (const [kind, name, changed] of [
    ['config', 'site', 'site.txt'],
    ['secret', 'key', 'key.txt'],
  ] as const) {
    const original = await fs.readFile(path.join(dir, changed), 'utf8');
    await fs.writeFile(path.join(dir, changed), `${original}changed\n`);
    try {
      const err = await deployStackFile(engine(manager()), file, stack, { env: {} }).catch((e: Error) => e);
      assert.equal(
        (err as Error).message,
        `The ${kind} ${name} of stack ${stack} changed in ${path.join(dir, changed)}, and a swarm ${kind} cannot change: give it a new name in the compose file, or remove the stack and deploy again. Nothing more was deployed.`,
      );
    } finally {
      await fs.writeFile(path.join(dir, changed), original);
    }
  }
  const configData = JSON.parse(await cli(['config', 'inspect', `${stack}_site`]))[0].Spec.Data;
  assert.equal(Buffer.from(configData, 'base64').toString(), 'site config\n', 'the config keeps what it had');
  const afterRefusals = JSON.parse(await cli(['service', 'inspect', service]))[0];
  assert.equal(afterRefusals.Version.Index, before.Version.Index, 'the service was not touched');
  assert.deepEqual(
    await deployStackFile(engine(manager()), file, stack, { env: {} }),
    { created: [], updated: [`service ${service}`] },
    'unchanged files deploy again',
  );
});

test('a same-named service outside the stack is refused and left untouched', async () => {
  const other = uniqueName('own');
  const name = `${other}_web`;
  await cli(['service', 'create', '--detach', '--name', name, '--replicas', '0', '--endpoint-mode', 'dnsrr', env.baseImage, 'sleep', '1000']);
  const before = JSON.parse(await cli(['service', 'inspect', name]))[0];
  const file = path.join(dir, 'compose.yaml');
  await fs.writeFile(file, composeText(1));
  const err = await deployStackFile(engine(manager()), file, other, { env: {} }).catch((e: Error) => e);
  assert.equal(
    String((err as Error).message),
    `A service named ${name} already exists and is not part of stack ${other}; it was left alone. Rename or remove it, or choose another stack name.`,
  );
  const afterRefusal = JSON.parse(await cli(['service', 'inspect', name]))[0];
  assert.equal(afterRefusal.Version.Index, before.Version.Index, 'not changed');
  assert.equal(afterRefusal.Spec.Labels['com.docker.stack.namespace'], undefined);
});

test('an unsupported key is refused with one sentence naming it and the service, before anything is made', async () => {
  const other = uniqueName('built');
  const file = path.join(dir, 'built.yaml');
  await fs.writeFile(file, `services:\n  api:\n    build: .\n    image: ${env.baseImage}\n`);
  const err = await deployStackFile(engine(manager()), file, other, { env: {} }).catch((e: Error) => e);
  assert.equal(
    (err as Error).message,
    'Service api uses `build:`, which deploying a stack from this extension does not support; remove it or deploy with the docker CLI.',
  );
  assert.equal((await cli(['network', 'ls', '-q', '--filter', `label=com.docker.stack.namespace=${other}`])).trim(), '');
});

test('Deploy Compose File as Stack on a compose file in the explorer: the one swarm is used, the stack name asked; the tree shows what the CLI lists', async () => {
  views = startHostViews({ connectionEnv: defaultConnectionEnvironment, commands: true });
  for (const h of cluster.hosts) {
    await views.added.add({ name: h.name, address: `tcp://${h.address}:2376`, tls: { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key } });
  }
  const folder = path.join(dir, 'Cart App');
  await fs.mkdir(folder);
  await fs.writeFile(
    path.join(folder, 'compose.yaml'),
    `services:\n  api:\n    image: ${env.baseImage}\n    command: sleep 3600\n    deploy: { endpoint_mode: dnsrr }\n`,
  );
  resetRecorded();
  let offered = '';
  recorded.answers.push((o: { value?: string }) => {
    offered = String(o.value);
    return `${offered}-${stack}`;
  });
  const handler = recorded.commands.get('dockerOnAzure.swarm.deployStack');
  assert.ok(handler, 'the command is registered');
  await handler(vscode.Uri.file(path.join(folder, 'compose.yaml')));
  const name = `cartapp-${stack}`;
  assert.equal(offered, 'cartapp', 'the default stack name comes from the folder');
  assert.deepEqual(
    recorded.messages.map((m) => `${m.level}: ${m.text}`),
    [`info: Stack ${name} deployed on the n1 swarm: created network ${name}_default, service ${name}_api.`],
  );
  const provider = views.otherHosts.provider;
  const group = (await provider.getChildren()).find((n): n is SwarmsGroupNode => n instanceof SwarmsGroupNode);
  assert.ok(group);
  const [swarm] = await provider.getChildren(group);
  assert.ok(swarm instanceof SwarmTreeNode);
  const stacksSection = (await provider.getChildren(swarm)).find(
    (n): n is SwarmSectionNode => n instanceof SwarmSectionNode && String(n.getTreeItem().label) === 'Stacks',
  );
  assert.ok(stacksSection);
  const shown = (await provider.getChildren(stacksSection))
    .filter((n: TreeNode): n is SwarmStackRow => n instanceof SwarmStackRow)
    .map((n) => String(n.getTreeItem().label))
    .sort();
  const listed = (await cli(['stack', 'ls', '--format', '{{.Name}}'])).split('\n').filter(Boolean).sort();
  assert.deepEqual(shown, listed);
  assert.ok(listed.includes(name) && listed.includes(stack), listed.join());

  resetRecorded();
  await fs.writeFile(path.join(folder, 'compose.yaml'), `services:\n  api:\n    build: .\n    image: ${env.baseImage}\n`);
  recorded.answers.push(`${name}-b`);
  await handler(vscode.Uri.file(path.join(folder, 'compose.yaml')));
  assert.equal(recorded.messages.length, 1, recorded.messages.map((m) => m.text).join());
  assert.equal(recorded.messages[0].level, 'error');
  assert.match(recorded.messages[0].text, new RegExp(`^Stack ${name}-b was not deployed on the n1 swarm: .*build`));
});
