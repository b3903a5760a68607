import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import type { Pseudoterminal } from 'vscode';
import { defaultConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { createSwarm } from '../../src/core/swarm/createSwarm';
import { followServiceLogs } from '../../src/core/swarm/serviceLogs';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import { startHostViews, type HostViews } from '../support/hostViews';
import { startSwarmHosts, type SwarmHost, type SwarmHosts } from '../support/swarmCluster';
import { command, description, swarmRows } from '../support/swarmRows';
import { dockerCli, eventually, loadTestEnvironment, uniqueName } from '../support/testEnv';

/**
 * Rolling updates, rollbacks and aggregated logs of services on a real 3-node swarm made by the
 * product (each dockerd in a network namespace of its own), driven from the service rows.
 * Nothing can be pulled here: "new images" are busybox tagged anew on every node.
 */
const env = loadTestEnvironment();
const V2 = 'local/busybox:v2';
const BROKEN = 'local/busybox:broken';
let cluster: SwarmHosts;
let views: HostViews;

const cli = (args: string[]) => dockerCli(args, cluster.hosts[0].tls);

const { sessionOf, serviceRow } = swarmRows(() => views);
const docker = (h: SwarmHost) => sessionOf(h).connect().docker;

before(async () => {
  cluster = await startSwarmHosts(path.join(env.rootDir, `swsvc-${process.pid.toString(36)}`), 3);
  views = startHostViews({ connectionEnv: defaultConnectionEnvironment, commands: true });
  for (const h of cluster.hosts) {
    await views.added.add({ name: h.name, address: `tcp://${h.address}:2376`, tls: { ca: h.tls.ca, cert: h.tls.cert, key: h.tls.key } });
    await dockerCli(['tag', env.baseImage, V2], h.tls);
    // An image whose tasks exit at once with status 1, whatever arguments the service gives them.
    const box = (await dockerCli(['create', env.baseImage], h.tls)).trim();
    await dockerCli(['commit', '--change', 'ENTRYPOINT ["false"]', box, BROKEN], h.tls);
    await dockerCli(['rm', box], h.tls);
  }
  views.otherHosts.refreshAll();
  await views.otherHosts.provider.getChildren();
  const [manager, ...workers] = cluster.hosts.map((h) => ({ name: h.name, docker: docker(h), advertiseAddress: h.address }));
  await createSwarm({ manager, workers });
});

after(async () => {
  views?.dispose();
  await cluster?.stop();
});

/** Whether the row's menu offers Roll Back Service (package.json's `when` for it). */
const offersRollBack = (n: TreeNode) => /\brollbackable\b/.test(n.getTreeItem().contextValue ?? '');

/** `service ps` of the tasks meant to run: name, node, image and state of each, by name. */
async function running(name: string): Promise<string[]> {
  const ps = await cli(['service', 'ps', name, '--filter', 'desired-state=running', '--format', '{{.Name}} {{.Node}} {{.Image}} {{.CurrentState}}']);
  return ps
    .trim()
    .split('\n')
    .map((l) => l.split(' ').slice(0, 4).join(' '))
    .sort();
}

async function createService(name: string, replicas: number, ...rest: string[]): Promise<void> {
  // busybox as PID 1 ignores SIGTERM: without a short grace period every replaced task takes 10 s.
  // prettier-ignore
  await cli(['service', 'create', '--detach', '--name', name, '--replicas', String(replicas), '--endpoint-mode', 'dnsrr', '--stop-grace-period', '1s', ...rest]);
  await eventually(
    async () =>
      assert.equal((await cli(['service', 'ls', '--filter', `name=${name}`, '--format', '{{.Replicas}}'])).trim(), `${replicas}/${replicas}`),
    60_000,
    500,
  );
}

function errors(): string[] {
  return recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
}

test('Update Image…: a rolling update, one task at a time, reported per task until every task runs the new image; Roll Back Service returns', async () => {
  resetRecorded();
  const name = uniqueName('roll');
  await createService(name, 3, '--update-parallelism', '1', '--update-delay', '1s', env.baseImage, 'sleep', '3600');
  let offered: { value?: string } = {};
  recorded.answers.push((options: { value?: string }) => {
    offered = options;
    return V2;
  });
  assert.equal(offersRollBack(await serviceRow(name)), false, 'a service never updated has nothing to roll back to');
  await command('dockerOnAzure.swarm.updateImage', await serviceRow(name));
  assert.equal(offered.value, env.baseImage, 'the input box starts at the current image');
  assert.deepEqual(errors(), []);
  assert.deepEqual(
    recorded.messages.map((m) => m.text),
    [`${name} runs ${V2}: 3 task(s) updated and running.`],
  );
  const after = await running(name);
  assert.equal(after.length, 3, after.join('\n'));
  assert.ok(
    after.every((l) => l.includes(` ${V2} Running`)),
    after.join('\n'),
  );
  assert.deepEqual(new Set(after.map((l) => l.split(' ')[0])), new Set([1, 2, 3].map((i) => `${name}.${i}`)));
  // Every slot reported: its old task shut down and its new one running, on the node it ran on.
  for (const slot of [1, 2, 3]) {
    const node = after.find((l) => l.startsWith(`${name}.${slot} `))!.split(' ')[1];
    const lines = recorded.progress.filter((p) => p.startsWith(`${name}.${slot} on `));
    assert.ok(
      lines.some((p) => new RegExp(` → shutdown \\(${env.baseImage}\\)$`).test(p)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((p) => new RegExp(`^${name}\\.${slot} on ${node}: (\\w+ → )?running \\(${V2}\\)$`).test(p)),
      lines.join('\n'),
    );
  }
  // Parallelism 1: the second old task was shut down only after a new one ran.
  const firstNewRunning = recorded.progress.findIndex((p) => p.endsWith(`running (${V2})`));
  const shutdowns = recorded.progress.flatMap((p, i) => (p.endsWith(`→ shutdown (${env.baseImage})`) ? [i] : []));
  assert.equal(shutdowns.length, 3, recorded.progress.join('\n'));
  assert.ok(firstNewRunning >= 0 && shutdowns[1] > firstNewRunning, `one slot at a time:\n${recorded.progress.join('\n')}`);
  assert.match(description(await serviceRow(name)), new RegExp(`^3/3 · ${V2} · completed$`));
  assert.equal(offersRollBack(await serviceRow(name)), true, 'an updated service offers Roll Back');

  resetRecorded();
  await command('dockerOnAzure.swarm.rollbackService', await serviceRow(name));
  assert.deepEqual(
    recorded.messages.map((m) => m.text),
    [`${name} rolled back to ${env.baseImage}: 3 task(s) running.`],
  );
  const back = await running(name);
  assert.ok(back.length === 3 && back.every((l) => l.includes(` ${env.baseImage} Running`)), back.join('\n'));
  assert.ok(recorded.progress.some((p) => p.endsWith(`running (${env.baseImage})`)));
  assert.match(description(await serviceRow(name)), new RegExp(`^3/3 · ${env.baseImage} · rollback_completed$`));
  await cli(['service', 'rm', name]);
});

test('an update whose tasks fail names the service, the node and the error, and says to roll back; the row shows it paused', async () => {
  resetRecorded();
  const name = uniqueName('bad');
  await createService(name, 2, '--update-monitor', '3s', env.baseImage, 'sleep', '3600');
  recorded.answers.push(BROKEN);
  await command('dockerOnAzure.swarm.updateImage', await serviceRow(name));
  const [error, ...more] = errors();
  assert.deepEqual(more, []);
  const said = new RegExp(
    `^Service ${name} did not update to ${BROKEN}: its task ${name}\\.([12]) on (n[123]) failed with "task: non-zero exit \\(1\\)", so the update paused; roll it back with Roll Back Service\\.$`,
  ).exec(error ?? '');
  assert.ok(said, error);
  // The node named is where that task really failed.
  const failed = await cli(['service', 'ps', name, '--filter', 'desired-state=shutdown', '--format', '{{.Name}} {{.Node}} {{.Image}} {{.Error}}']);
  assert.match(failed, new RegExp(`^${name}\\.${said[1]} ${said[2]} ${BROKEN} "?task: non-zero exit \\(1\\)`, 'm'));
  assert.match(description(await serviceRow(name)), / · paused$/);

  resetRecorded();
  await command('dockerOnAzure.swarm.rollbackService', await serviceRow(name));
  assert.deepEqual(errors(), []);
  const back = await running(name);
  assert.ok(back.length === 2 && back.every((l) => l.includes(` ${env.baseImage} Running`)), back.join('\n'));
  await cli(['service', 'rm', name]);
});

test('bad input: an image name with a space is refused in one sentence; a service never updated has nothing to roll back to', async () => {
  resetRecorded();
  const name = uniqueName('fresh');
  await createService(name, 1, env.baseImage, 'sleep', '3600');
  recorded.answers.push((options: { validateInput(v: string): string | undefined }) => {
    assert.equal(options.validateInput('local/busybox: 2'), 'An image name, such as myregistry.azurecr.io/web:2.');
    assert.equal(options.validateInput(V2), undefined);
    return undefined;
  });
  await command('dockerOnAzure.swarm.updateImage', await serviceRow(name));
  await command('dockerOnAzure.swarm.rollbackService', await serviceRow(name));
  assert.deepEqual(errors(), [`Service ${name} has not been updated since it was made, so there is nothing to roll back to.`]);
  await cli(['service', 'rm', name]);
});

test('Cancel stops following the update, silently; the swarm finishes it anyway', async () => {
  resetRecorded();
  const name = uniqueName('cancel');
  await createService(name, 2, env.baseImage, 'sleep', '3600');
  recorded.answers.push(V2);
  const done = command('dockerOnAzure.swarm.updateImage', await serviceRow(name));
  await eventually(async () => assert.ok(recorded.progress.length > 0), 60_000, 50);
  recorded.cancelProgress();
  await done;
  assert.deepEqual(recorded.messages, []);
  await eventually(
    async () =>
      assert.deepEqual(
        (await running(name)).map((l) => l.split(' ').slice(2).join(' ')),
        [`${V2} Running`, `${V2} Running`],
      ),
    60_000,
    500,
  );
  await cli(['service', 'rm', name]);
});

test('Show Service Logs: the lines of tasks on every node, each prefixed by task and node, followed live until the terminal closes', async () => {
  resetRecorded();
  const name = uniqueName('talk');
  // Each task says where it runs, then repeats whatever is dropped into its /tmp/say.
  const script = 'echo "started on $NODE"; while true; do if [ -f /tmp/say ]; then cat /tmp/say; rm /tmp/say; fi; sleep 0.2; done';
  await createService(name, 3, '--env', 'NODE={{.Node.Hostname}}', env.baseImage, 'sh', '-c', script);
  await command('dockerOnAzure.swarm.serviceLogs', await serviceRow(name));
  const terminal = recorded.terminals.at(-1)!;
  assert.match(terminal.name, new RegExp(`^Logs: ${name} \\(n1 swarm\\)$`));
  const pty = terminal.pty as Pseudoterminal;
  let shown = '';
  pty.onDidWrite((text) => (shown += text));
  pty.open(undefined);
  const line = (slot: string, node: string, text: string) => new RegExp(`^\\S+Z ${name}\\.${slot}@${node} \\| ${text}\\r$`, 'm');
  await eventually(
    async () => {
      for (const node of ['n1', 'n2', 'n3']) {
        assert.match(shown, line('[123]', node, `started on ${node}`));
      }
    },
    30_000,
    200,
  );
  const [onN2] = (await dockerCli(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${name}`], cluster.hosts[1].tls)).trim().split('\n');
  assert.ok(onN2, 'a task on n2');
  await dockerCli(['exec', onN2, 'sh', '-c', 'echo said after opening > /tmp/say'], cluster.hosts[1].tls);
  await eventually(async () => assert.match(shown, line('[123]', 'n2', 'said after opening')), 30_000, 200);
  pty.close();
  await cli(['service', 'rm', name]);
});

test('the followed log ends when it is stopped, as closing the terminal does', async () => {
  const name = uniqueName('stop');
  await createService(name, 1, env.baseImage, 'sh', '-c', 'echo one; sleep 3600');
  const id = (await cli(['service', 'inspect', name, '--format', '{{.ID}}'])).trim();
  const logs = await followServiceLogs(docker(cluster.hosts[0]), id);
  let text = '';
  logs.output.on('data', (c: Buffer) => (text += c.toString()));
  const ended = new Promise<void>((resolve) => logs.output.on('end', resolve));
  await eventually(async () => assert.match(text, new RegExp(`${name}\\.1@n[123] \\| one\\n`)), 30_000, 200);
  logs.stop();
  await ended;
  await cli(['service', 'rm', name]);
});
