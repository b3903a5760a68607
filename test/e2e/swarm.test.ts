/**
 * Swarms in code-server (issue 15): three real dockerd hosts, each in a network namespace of its own
 * and reached over mutual TLS, are added with Add Docker Host, made a swarm with Create Swarm from
 * Hosts, and given a stack with Deploy Compose File as Stack. The Swarms group then shows the
 * stack's services with their replicas and tasks, and Scale Service… from a service's context menu
 * changes the replicas in the engine and on screen.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { E2eSession } from '../support/e2eSession';
import { engineRequest } from '../support/engineApi';
import { startSwarmHosts, type SwarmHosts } from '../support/swarmCluster';
import { loadTestEnvironment } from '../support/testEnv';
import type { Workbench } from '../support/workbench';

const env = loadTestEnvironment();
const session = new E2eSession('e2e-swarm');
const step = session.step.bind(session);
const OTHER = 'Other Docker Hosts';
const STACK = 'shop';
const WEB = `${STACK}_web`;
const WORKER = `${STACK}_worker`;
let cluster: SwarmHosts | undefined;
let wb: Workbench;

/**
 * No routing mesh or virtual IPs on these machines: dnsrr services without published ports. The web
 * tasks end on SIGTERM (a bare `sleep` as PID 1 ignores it), so scaling down does not wait out
 * the 10 s stop grace period.
 */
const COMPOSE = `services:
  web:
    image: ${env.baseImage}
    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
  worker:
    image: ${env.baseImage}
    command: sleep 3600
    deploy:
      replicas: 3
      endpoint_mode: dnsrr
`;

function hosts() {
  assert.ok(cluster, 'the swarm hosts are running');
  return cluster.hosts;
}

/** What the manager's engine says of a service: GET /services, as the docker CLI reads it. */
async function replicasInEngine(name: string): Promise<number | undefined> {
  const res = await engineRequest(hosts()[0].daemon.socketPath, 'GET', '/services', 30_000);
  assert.equal(res.status, 200, res.body);
  const services = JSON.parse(res.body) as { Spec: { Name: string; Mode: { Replicated?: { Replicas: number } } } }[];
  return services.find((s) => s.Spec.Name === name)?.Spec.Mode.Replicated?.Replicas;
}

before(async () => {
  // Under the runner's root and named swarm-*, so a killed run's daemons and namespaces are cleaned up by the next.
  cluster = await startSwarmHosts(path.join(env.rootDir, `swarm-e2e-${process.pid.toString(36)}`), 3);
  await session.start({
    files: { 'compose.yaml': COMPOSE },
    settings: { 'dockerOnAzure.localEngine.show': false, 'dockerOnAzure.dockerContexts.show': false },
    env: { DOCKER_CONFIG: path.join(session.scratch, 'docker-config') },
  });
  wb = session.wb;
});

after(async () => {
  try {
    await session.stop();
  } finally {
    await cluster?.stop();
  }
});

test('Add Docker Host with a folder of TLS certificates adds each of the three hosts', () =>
  step('add-hosts', async () => {
    await wb.openViewContainer('Docker on Azure');
    for (const h of hosts()) {
      await wb.runCommand('Docker on Azure: Add Docker Host');
      await wb.answerPrompt('Add Docker Host', `tcp://${h.address}:2376`);
      await wb.pickQuickItem('Mutual TLS: choose a folder');
      await wb.answerFileDialog('Folder with ca.pem, cert.pem and key.pem', path.dirname(h.tls.ca));
      await wb.answerPrompt('Name shown in the tree', h.name);
      await wb.row(OTHER, h.name).waitFor({ timeout: 60_000 });
    }
    await wb.screenshot('hosts-added');
  }));

test('Create Swarm from Hosts… makes the three hosts one swarm, n1 its manager', () =>
  step('create-swarm', async () => {
    await wb.runCommand('Docker on Azure: Create Swarm from Hosts…');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'which hosts?' }).waitFor({ timeout: 30_000 });
    for (const h of hosts()) {
      await wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: new RegExp(`^${h.name}`) }).locator('input[type=checkbox], .monaco-custom-toggle').first().click();
    }
    await wb.screenshot('swarm-hosts-picked');
    await wb.page.locator('.quick-input-widget .quick-input-action .monaco-button', { hasText: /^OK$/ }).click();
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'which host is the manager?' }).waitFor({ timeout: 30_000 });
    await wb.pickQuickItem(/^n1/);
    await wb.page.locator('.notifications-toasts', { hasText: 'Swarm created: n1 manages it, n2, n3 joined.' }).waitFor({ timeout: 300_000 });
    const nodes = await engineRequest(hosts()[0].daemon.socketPath, 'GET', '/nodes', 30_000);
    assert.equal((JSON.parse(nodes.body) as unknown[]).length, 3, nodes.body);
    await wb.screenshot('swarm-created');
  }));

test('Deploy Compose File as Stack… from the explorer puts the compose services on the swarm', () =>
  step('deploy-stack', async () => {
    await wb.page.keyboard.press('Control+Shift+E');
    const composeRow = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^compose\.yaml$/ }).first();
    await composeRow.waitFor({ timeout: 30_000 });
    await wb.contextMenu(composeRow, 'Deploy Compose File as Stack…');
    await wb.answerPrompt('Deploy compose.yaml as a stack on the n1 swarm', STACK);
    await wb.page.locator('.notifications-toasts', { hasText: `Stack ${STACK} deployed on the n1 swarm` }).waitFor({ timeout: 120_000 });
    assert.equal(await replicasInEngine(WEB), 2);
    assert.equal(await replicasInEngine(WORKER), 3);
    await wb.screenshot('stack-deployed');
  }));

/** The task rows under the (expanded) service row `service`, each naming the node it runs on. */
function runningTaskRows(service: string) {
  return wb.pane(OTHER).locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${service}\\.\\d+$`) }) });
}

async function tasksOnNodes(service: string, count: number): Promise<void> {
  const rows = runningTaskRows(service).filter({ has: wb.page.locator('.label-description', { hasText: /^n[123] · running$/ }) });
  await rows.nth(count - 1).waitFor({ timeout: 120_000 });
  assert.equal(await rows.count(), count, (await wb.rowsText(OTHER)).join('\n'));
}

test('Swarms shows the stack, its services with running/desired replicas, and their tasks with their nodes', () =>
  step('swarm-tree', async () => {
    await wb.openViewContainer('Docker on Azure');
    // Signed out, the Azure view is only its welcome text: folded, it leaves the swarm's rows the room.
    await wb.paneHeader('Azure Docker Hosts').click();
    await wb.expand(wb.row(OTHER, 'Swarms'));
    await wb.expand(wb.row(OTHER, 'n1 swarm'));
    await wb.row(OTHER, WEB).filter({ hasText: `2/2 · ${env.baseImage}` }).waitFor({ timeout: 120_000 });
    await wb.row(OTHER, WORKER).filter({ hasText: `3/3 · ${env.baseImage}` }).waitFor({ timeout: 120_000 });
    await wb.expand(wb.row(OTHER, 'Stacks'));
    await wb.row(OTHER, STACK).filter({ hasText: '2 services · 5/5 tasks' }).waitFor({ timeout: 60_000 });
    // The stack groups the same services again: each is then a row under Services and one under the stack.
    await wb.expand(wb.row(OTHER, STACK));
    for (const service of [WEB, WORKER]) {
      const rows = wb.pane(OTHER).locator('.monaco-list-row', { has: wb.page.locator('.label-name', { hasText: new RegExp(`^${service}$`) }) });
      await rows.nth(1).waitFor({ timeout: 60_000 });
      assert.equal(await rows.count(), 2, (await wb.rowsText(OTHER)).join('\n'));
    }
    await wb.expand(wb.row(OTHER, WEB));
    await tasksOnNodes(WEB, 2);
    await wb.screenshot('swarm-tree');
  }));

test('Scale Service… from the context menu changes the replicas in the engine and on the row', () =>
  step('scale', async () => {
    await wb.contextMenu(wb.row(OTHER, WEB), 'Scale Service…');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `Scale ${WEB}` }).waitFor({ timeout: 30_000 });
    await wb.quickInput().fill('four');
    await wb.page.locator('.quick-input-message', { hasText: 'A whole number of 0 or more.' }).waitFor({ timeout: 15_000 });
    await wb.answerInput('4');
    await wb.row(OTHER, WEB).filter({ hasText: `4/4 · ${env.baseImage}` }).waitFor({ timeout: 120_000 });
    assert.equal(await replicasInEngine(WEB), 4);
    await tasksOnNodes(WEB, 4);
    await wb.screenshot('scaled-up');
    await wb.contextMenu(wb.row(OTHER, WEB), 'Scale Service…');
    await wb.answerPrompt(`Scale ${WEB}`, '1');
    await wb.row(OTHER, WEB).filter({ hasText: `1/1 · ${env.baseImage}` }).waitFor({ timeout: 120_000 });
    assert.equal(await replicasInEngine(WEB), 1);
    // The tasks scaled away stop on their nodes; their rows follow until none is still running.
    await runningTaskRows(WEB).filter({ has: wb.page.locator('.label-description', { hasText: / · running( → |$)/ }) }).nth(1).waitFor({ state: 'detached', timeout: 120_000 });
    await tasksOnNodes(WEB, 1);
    await wb.screenshot('scaled-down');
  }));
