import { recorded, memento, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Pseudoterminal } from 'vscode';
import { AddedHostsStore } from '../../src/ui/hosts/addedHostsStore';
import { OtherHostsView } from '../../src/ui/tree/otherHostsView';
import { ComposeProjectNode, ContainerNode, ContainersGroupNode, HostNode, ImagesGroupNode, ImageNode } from '../../src/ui/tree/hostNodes';
import { ErrorNode } from '../../src/ui/tree/errorNode';
import { TreeNode } from '../../src/ui/tree/treeNode';
import { HostViews, startHostViews } from '../support/hostViews';
import { InspectDocuments } from '../../src/ui/inspectDocuments';
import { composeDown } from '../../src/core/docker/compose';
import { contextDirName } from '../../src/core/docker/dockerContexts';
import { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { listProcesses } from '../support/engines';
import { dockerCli, eventually, freePort, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';
import { assertInertTooltip } from '../support/markdownRender';
import { FakeTreeView, MarkdownString, secretStorage, Uri } from '../support/vscodeFake';

const testEnv = loadTestEnvironment();
const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-cfg-'));
const lateSocket = path.join(configDir, 'late.sock');
const CONTEXT_DESCRIPTION = 'staging `[Open](command:workbench.action.terminal.new)` <img src=https://evil.example/t.png>';
let view: OtherHostsView;
let views: HostViews;
let context: { subscriptions: unknown[]; globalState: ReturnType<typeof memento>; workspaceState: ReturnType<typeof memento>; secrets: ReturnType<typeof secretStorage> };
const created: string[] = [];

function labelOf(node: TreeNode): string {
  return node.getTreeItem().label as string;
}

async function hostByName(name: string): Promise<HostNode> {
  const roots = await view.provider.getChildren();
  const host = roots.find((n): n is HostNode => n instanceof HostNode && n.session.spec.name === name);
  assert.ok(host, `host ${name} in ${roots.map(labelOf)}`);
  return host;
}

async function containersOf(host: HostNode): Promise<ContainerNode[]> {
  const [group] = (await view.provider.getChildren(host)).filter((n) => n instanceof ContainersGroupNode);
  assert.ok(group, 'the host has a Containers group');
  return (await view.provider.getChildren(group)).filter((n): n is ContainerNode => n instanceof ContainerNode);
}

/** A fresh listing of the host, and the row of one Compose project in it. */
async function composeProjectNode(host: HostNode, project: string): Promise<ComposeProjectNode | undefined> {
  host.session.invalidate();
  const [group] = (await view.provider.getChildren(host)).filter((n) => n instanceof ContainersGroupNode);
  return (await view.provider.getChildren(group)).find((n): n is ComposeProjectNode => n instanceof ComposeProjectNode && labelOf(n) === project);
}

async function containerNode(host: HostNode, name: string): Promise<ContainerNode | undefined> {
  return (await containersOf(host)).find((c) => labelOf(c) === name);
}

/** Resolves when the provider announces a change to this host's subtree (what VS Code listens to). */
function nextChangeOf(host: HostNode): Promise<void> {
  return new Promise((resolve) => {
    const sub = view.provider.onDidChangeTreeData((node) => {
      if (node === host || node === undefined) {
        sub.dispose();
        resolve();
      }
    });
  });
}

before(async () => {
  // The local engine is the test daemon, reached the way the CLI would: through DOCKER_HOST.
  process.env.DOCKER_HOST = `unix://${testEnv.unixSocket}`;
  process.env.DOCKER_CONFIG = configDir;
  // One healthy context and one with broken JSON.
  const good = path.join(configDir, 'contexts', 'meta', contextDirName('tls-ctx'));
  fs.mkdirSync(good, { recursive: true });
  fs.writeFileSync(
    path.join(good, 'meta.json'),
    JSON.stringify({
      Name: 'tls-ctx',
      // A context can come from someone else (`docker context import`): its description is theirs.
      Metadata: { Description: CONTEXT_DESCRIPTION },
      Endpoints: { docker: { Host: `tcp://127.0.0.1:${testEnv.tls.port}` } },
    }),
  );
  const tlsDir = path.join(configDir, 'contexts', 'tls', contextDirName('tls-ctx'), 'docker');
  fs.mkdirSync(tlsDir, { recursive: true });
  fs.copyFileSync(testEnv.tls.ca, path.join(tlsDir, 'ca.pem'));
  fs.copyFileSync(testEnv.tls.cert, path.join(tlsDir, 'cert.pem'));
  fs.copyFileSync(testEnv.tls.key, path.join(tlsDir, 'key.pem'));
  const broken = path.join(configDir, 'contexts', 'meta', contextDirName('broken'));
  fs.mkdirSync(broken, { recursive: true });
  fs.writeFileSync(path.join(broken, 'meta.json'), '{"Name": ');

  const store = new AddedHostsStore(memento() as never);
  await store.add({ name: 'nobody-home', address: `tcp://127.0.0.1:${await freePort()}` });
  await store.add({ name: 'late-socket', address: `unix://${lateSocket}` });
  await store.add({ name: 'over-ssh', address: `ssh://root@127.0.0.1:${testEnv.ssh.port}`, identityFile: testEnv.ssh.identityFile });
  const connEnv = (): ConnectionEnvironment => ({
    homeDir: configDir,
    knownHostsFile: testEnv.ssh.knownHostsFile,
    localUser: 'root',
    connectTimeoutMs: 5000,
  });
  context = { subscriptions: [], globalState: memento(), workspaceState: memento(), secrets: secretStorage() };
  views = startHostViews({ connectionEnv: connEnv, added: store, hostList: { showLocalEngine: true, showContexts: true }, context, commands: true });
  view = views.otherHosts;
});

after(async () => {
  views.dispose();
  if (created.length) {
    await dockerCli(['rm', '-f', ...created]);
  }
  fs.rmSync(configDir, { recursive: true, force: true });
});

test('the view lists the local engine, contexts, added hosts, and a broken context as a problem row', async () => {
  const roots = await view.provider.getChildren();
  const labels = roots.map(labelOf);
  assert.deepEqual(labels.slice(0, 5), ['Local engine', 'tls-ctx', 'nobody-home', 'late-socket', 'over-ssh']);
  assert.match(labels[5], /broken JSON/);
  // Swarms span hosts of every source, so they come last, in a group of their own.
  assert.equal(labels[6], 'Swarms');
  assert.equal(roots.length, 7);
  const local = roots[0].getTreeItem();
  assert.equal(local.description, `unix://${testEnv.unixSocket}`);
  assert.equal(local.contextValue, 'dockerHost local');
});

test('a host expands to its containers (running first, with image, status and ports) and its images', async () => {
  const running = uniqueName('web');
  const stopped = uniqueName('aaa-stopped');
  const port = await freePort();
  created.push(
    (
      await dockerCli([
        'run',
        '-d',
        '--stop-timeout',
        '1',
        '--name',
        running,
        '-p',
        `127.0.0.1:${port}:80`,
        testEnv.baseImage,
        'httpd',
        '-f',
        '-p',
        '80',
      ])
    ).trim(),
    (await dockerCli(['create', '--name', stopped, testEnv.baseImage, 'true'])).trim(),
  );
  const host = await hostByName('Local engine');
  host.session.invalidate();
  const children = await view.provider.getChildren(host);
  assert.deepEqual(children.map(labelOf), ['Containers', 'Images']);
  const containers = await containersOf(host);
  const names = containers.map(labelOf);
  assert.ok(names.indexOf(running) < names.indexOf(stopped), 'running before stopped even though "aaa" sorts first');
  const item = (await containerNode(host, running))!.getTreeItem();
  assert.equal(item.description, `${testEnv.baseImage} · ${(await containerNode(host, running))!.info.Status} · 127.0.0.1:${port}→80`);
  assert.equal(item.contextValue, 'dockerContainer running hasPorts');
  assert.equal(item.id, `local/containers/${created[created.length - 2]}`);
  assert.equal((await containerNode(host, stopped))!.getTreeItem().contextValue, 'dockerContainer created');
  const images = (await view.provider.getChildren(children[1] as ImagesGroupNode)).filter((n): n is ImageNode => n instanceof ImageNode);
  const busybox = images.find((i) => labelOf(i) === testEnv.baseImage);
  assert.ok(busybox);
  assert.match(busybox.getTreeItem().description as string, /^\d+(\.\d+)? [kM]B · /);
});

test('node ids stay the same across refreshes, so expansion survives', async () => {
  const host = await hostByName('Local engine');
  const ids1 = (await containersOf(host)).map((n) => n.id);
  host.session.invalidate();
  const ids2 = (await containersOf(host)).map((n) => n.id);
  assert.deepEqual(ids2, ids1);
  assert.equal((await hostByName('Local engine')).id, host.id);
});

test('an unreachable host shows one error child with a retry action; the others keep working', async () => {
  const bad = await hostByName('nobody-home');
  const children = await view.provider.getChildren(bad);
  assert.equal(children.length, 1);
  const error = children[0] as ErrorNode;
  assert.ok(error instanceof ErrorNode);
  const item = error.getTreeItem();
  assert.match(item.label as string, /Connection refused by 127\.0\.0\.1:\d+/);
  assert.equal(item.command?.command, 'dockerOnAzure.retryHost');
  assert.equal(bad.getTreeItem().description?.toString().includes('unreachable'), true);
  const tls = await hostByName('tls-ctx');
  assert.deepEqual((await view.provider.getChildren(tls)).map(labelOf), ['Containers', 'Images']);
  assert.equal(recorded.messages.length, 0, 'no dialogs from tree code');
});

test('the ssh host shows the same containers as the local engine it leads to', async () => {
  const ssh = await hostByName('over-ssh');
  const local = await hostByName('Local engine');
  const viaSsh = (await containersOf(ssh)).map((c) => c.info.Id).sort();
  const direct = (await containersOf(local)).map((c) => c.info.Id).sort();
  assert.deepEqual(viaSsh, direct);
});

test('while visible, engine events refresh the host without a manual refresh', async () => {
  const host = await hostByName('Local engine');
  await containersOf(host);
  (view.treeView as unknown as FakeTreeView<TreeNode>).setVisible(true);
  await eventually(async () => assert.ok(views.catalog.followedHosts().includes('local')));
  const name = uniqueName('evented');
  const changed = nextChangeOf(host);
  created.push((await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', name, testEnv.baseImage, 'sleep', '300'])).trim());
  await changed;
  const node = await containerNode(host, name);
  assert.equal(node?.info.State, 'running');
});

test('stop and start from the context menu change the real container, and the tree follows', async () => {
  const host = await hostByName('Local engine');
  const name = uniqueName('lifecycle');
  created.push((await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', name, testEnv.baseImage, 'sleep', '300'])).trim());
  await eventually(async () => assert.equal((await containerNode(host, name))?.info.State, 'running'));
  await recorded.commands.get('dockerOnAzure.container.stop')!(await containerNode(host, name));
  assert.equal((await dockerCli(['inspect', '-f', '{{.State.Status}}', name])).trim(), 'exited');
  await eventually(async () => assert.equal((await containerNode(host, name))?.info.State, 'exited'));
  await recorded.commands.get('dockerOnAzure.container.start')!(await containerNode(host, name));
  assert.equal((await dockerCli(['inspect', '-f', '{{.State.Status}}', name])).trim(), 'running');
  await eventually(async () => assert.equal((await containerNode(host, name))?.info.State, 'running'));
});

test('multi-select stop acts on every selected container', async () => {
  const host = await hostByName('Local engine');
  const names = [uniqueName('multi'), uniqueName('multi')];
  for (const n of names) {
    created.push((await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', n, testEnv.baseImage, 'sleep', '300'])).trim());
  }
  host.session.invalidate();
  const nodes = await Promise.all(names.map((n) => containerNode(host, n)));
  await recorded.commands.get('dockerOnAzure.container.stop')!(nodes[0], nodes);
  for (const n of names) {
    assert.equal((await dockerCli(['inspect', '-f', '{{.State.Status}}', n])).trim(), 'exited');
  }
});

test('a Stop the user cancels says nothing', async () => {
  resetRecorded();
  const host = await hostByName('Local engine');
  const name = uniqueName('cancelstop');
  // sleep as PID 1 ignores SIGTERM, so the stop waits out its timeout: there is time to cancel.
  created.push((await dockerCli(['run', '-d', '--stop-timeout', '30', '--name', name, testEnv.baseImage, 'sleep', '300'])).trim());
  host.session.invalidate();
  recorded.cancelNextProgress = true;
  await recorded.commands.get('dockerOnAzure.container.stop')!(await containerNode(host, name));
  assert.deepEqual(recorded.messages, [], 'a cancelled stop is not reported as failed');
});

test('remove asks first: Escape keeps the container, confirming force-removes a running one', async () => {
  resetRecorded();
  const host = await hostByName('Local engine');
  const name = uniqueName('removable');
  await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', name, testEnv.baseImage, 'sleep', '300']);
  host.session.invalidate();
  recorded.answers.push(undefined);
  await recorded.commands.get('dockerOnAzure.container.remove')!(await containerNode(host, name));
  assert.match(recorded.messages[0].text, new RegExp(`Remove container "${name}"`));
  assert.equal((await dockerCli(['inspect', '-f', '{{.State.Status}}', name])).trim(), 'running');
  recorded.answers.push('Remove');
  await recorded.commands.get('dockerOnAzure.container.remove')!(await containerNode(host, name));
  await assert.rejects(dockerCli(['inspect', name]), /No such/i);
});

test('logs stream live into a terminal', async () => {
  resetRecorded();
  const host = await hostByName('Local engine');
  const name = uniqueName('chatty');
  created.push(
    (
      await dockerCli([
        'run',
        '-d',
        '--stop-timeout',
        '1',
        '--name',
        name,
        testEnv.baseImage,
        'sh',
        '-c',
        'echo first-line; sleep 1; echo second-line; sleep 300',
      ])
    ).trim(),
  );
  host.session.invalidate();
  await recorded.commands.get('dockerOnAzure.container.logs')!(await containerNode(host, name));
  const terminal = recorded.terminals.find((t) => t.name.startsWith(`Logs: ${name}`));
  assert.ok(terminal?.pty);
  const pty = terminal.pty as Pseudoterminal;
  let output = '';
  pty.onDidWrite((text) => (output += text));
  pty.open(undefined);
  await eventually(async () => assert.match(output, /first-line\r\nsecond-line/), 15_000);
  pty.close();
});

test('a shell runs commands inside the container through a pseudoterminal', async () => {
  resetRecorded();
  const host = await hostByName('Local engine');
  const name = uniqueName('shell');
  created.push((await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', name, testEnv.baseImage, 'sleep', '300'])).trim());
  host.session.invalidate();
  await recorded.commands.get('dockerOnAzure.container.shell')!(await containerNode(host, name));
  const pty = recorded.terminals.find((t) => t.name.startsWith(`Shell: ${name}`))!.pty as Pseudoterminal;
  let output = '';
  pty.onDidWrite((text) => (output += text));
  pty.open({ columns: 100, rows: 30 });
  await eventually(
    async () => {
      pty.handleInput?.('echo "sum=$((40+2))"\r');
      assert.match(output, /sum=42/);
    },
    15_000,
    1000,
  );
  pty.close();
});

test('inspect opens the container as a read-only JSON document', async () => {
  resetRecorded();
  const host = await hostByName('Local engine');
  const node = (await containersOf(host))[0];
  await recorded.commands.get('dockerOnAzure.container.inspect')!(node);
  const uri = recorded.opened[0];
  assert.match(uri, /^dockerOnAzure-inspect:\//);
  const docs = new InspectDocuments(views.catalog);
  const query = uri.slice(uri.indexOf('?') + 1);
  const text = await docs.provideTextDocumentContent({ query } as never);
  assert.equal(JSON.parse(text).Id, node.info.Id);
});

test('copy ID puts the full container ID on the clipboard', async () => {
  const host = await hostByName('Local engine');
  const node = (await containersOf(host))[0];
  await recorded.commands.get('dockerOnAzure.container.copyId')!(node);
  assert.equal(recorded.clipboard, node.info.Id);
});

test('open in browser opens the published port, which really serves', async () => {
  resetRecorded();
  const host = await hostByName('Local engine');
  host.session.invalidate();
  const web = (await containersOf(host)).find((c) => c.getTreeItem().contextValue === 'dockerContainer running hasPorts');
  assert.ok(web);
  await recorded.commands.get('dockerOnAzure.container.openInBrowser')!(web);
  const url = recorded.opened[0];
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+/);
  const res = await fetch(url);
  assert.ok(res.status === 200 || res.status === 404, `httpd answered ${res.status}`);
});

test('retry on an error node re-reads the host: once the socket exists, the host shows its containers', async () => {
  const bad = await hostByName('late-socket');
  const children = await view.provider.getChildren(bad);
  assert.ok(children[0] instanceof ErrorNode);
  assert.match(labelOf(children[0]), /No Docker socket at/);
  fs.symlinkSync(testEnv.unixSocket, lateSocket);
  await recorded.commands.get('dockerOnAzure.retryHost')!(children[0]);
  assert.deepEqual((await view.provider.getChildren(bad)).map(labelOf), ['Containers', 'Images']);
});

test('image inspect opens its JSON; remove untags one tag and leaves the others', async () => {
  resetRecorded();
  const tag = `${uniqueName('local/extra')}:v1`;
  await dockerCli(['tag', testEnv.baseImage, tag]);
  const host = await hostByName('Local engine');
  host.session.invalidate();
  const [, imagesGroup] = await view.provider.getChildren(host);
  const node = (await view.provider.getChildren(imagesGroup)).find((n): n is ImageNode => n instanceof ImageNode && labelOf(n) === tag);
  assert.ok(node, `the new tag ${tag} is listed`);
  await recorded.commands.get('dockerOnAzure.image.inspect')!(node);
  assert.match(recorded.opened[0], /kind=image/);
  recorded.answers.push('Remove');
  await recorded.commands.get('dockerOnAzure.image.remove')!(node);
  await assert.rejects(dockerCli(['image', 'inspect', tag]), /No such image/i);
  assert.ok(
    (await dockerCli(['image', 'inspect', '-f', '{{.Id}}', testEnv.baseImage])).trim().startsWith('sha256:'),
    'the base image and its tag survive',
  );
});

let deployed: { dir: string; port: number; name: string } | undefined;
let offeredHosts: string[] = [];

test('Deploy to Docker Host builds the Dockerfile on the chosen host and runs it; the answers are remembered', async () => {
  resetRecorded();
  const dir = fs.mkdtempSync(path.join(configDir, 'site-'));
  fs.mkdirSync(path.join(dir, 'www'));
  fs.writeFileSync(path.join(dir, 'www', 'index.html'), 'deployed from the tree\n');
  // A cache mount, as `docker init` Dockerfiles use: the classic builder refuses it.
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM ${testEnv.baseImage}\nRUN --mount=type=cache,target=/cache echo warm >> /cache/runs\nCOPY www /www\nEXPOSE 80\nCMD httpd -f -p 80 -h /www\n`,
  );
  const port = await freePort();
  const name = uniqueName('deployed');
  created.push(name);
  let offeredPorts: string | undefined;
  recorded.answers.push(
    (items: { label: string }[]) => {
      offeredHosts = items.map((i) => i.label);
      return items.find((i) => i.label === 'Local engine');
    },
    `${name}:1`,
    name,
    (options: { value: string }) => {
      offeredPorts = options.value;
      return `${port}:80`;
    },
    'MODE=test',
    (items: { label: string }[]) => items[0],
  );
  await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
  assert.equal(offeredPorts, '80:80', 'ports default from EXPOSE');
  assert.deepEqual(
    recorded.messages.filter((m) => m.level === 'error'),
    [],
  );
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'deployed from the tree\n'));
  const output = recorded.outputs.get('Docker on Azure: Build') ?? '';
  assert.match(output, /^#(\d+) \[stage-0 2\/3\] RUN --mount=type=cache,target=\/cache echo warm >> \/cache\/runs\n(.*\n)*#\1 DONE \d+\.\ds$/m, 'each step, then how it ended');
  assert.ok(recorded.progress.some((m) => /^Built with BuildKit: \d+ steps, \d+ cached, \d+\.\ds$/.test(m)), recorded.progress.join(' | '));
  const info = JSON.parse(await dockerCli(['inspect', name]))[0];
  assert.ok(info.Config.Env.includes('MODE=test'));
  assert.equal(info.HostConfig.RestartPolicy.Name, 'unless-stopped');
  const plainState = JSON.stringify(context.workspaceState.keys().map((k) => context.workspaceState.get(k)));
  assert.ok(plainState.includes(name), 'the other answers are remembered in workspace state');
  assert.doesNotMatch(plainState, /MODE=test/, 'environment values, often secrets, stay out of plain workspace state');
  const host = await hostByName('Local engine');
  host.session.invalidate();
  assert.ok(await containerNode(host, name), 'the new container is in the tree');
  deployed = { dir, port, name };
});

test('Deploy onto a same-named container this extension did not deploy asks in a modal naming host and container; declined, it stays', async () => {
  resetRecorded();
  const dir = fs.mkdtempSync(path.join(configDir, 'clash-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${testEnv.baseImage}\nCMD sleep 3600\n`);
  const name = uniqueName('theirs');
  created.push(name);
  const id = (await dockerCli(['run', '-d', '--name', name, testEnv.baseImage, 'sleep', '600'])).trim();
  recorded.answers.push(
    (items: { label: string }[]) => items.find((i) => i.label === 'Local engine'),
    `${name}:1`,
    name,
    '',
    '',
    (items: { label: string }[]) => items[0],
    undefined,
  );
  await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
  assert.deepEqual(recorded.messages, [
    {
      level: 'warning',
      text: `Local engine already has a container named ${name} (${testEnv.baseImage}) that Docker on Azure did not deploy. Replace it?`,
    },
  ]);
  assert.equal((await dockerCli(['inspect', '-f', '{{.Id}} {{.State.Running}}', name])).trim(), `${id} true`, 'their container is untouched');
});

test('the host pick offers every host, then provisioning a new one; a new host is deployed to once it answers', async () => {
  assert.ok(offeredHosts.includes('over-ssh') && offeredHosts.includes('Local engine'), `${offeredHosts}`);
  assert.match(offeredHosts.at(-1)!, /Provision a New Host on Azure/);
  resetRecorded();
  const dir = fs.mkdtempSync(path.join(configDir, 'fresh-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${testEnv.baseImage}\nCMD sleep 3600\n`);
  const name = uniqueName('on-new-host');
  // Stands in for the provisioning wizard (covered by provisioning and e2e tests): it hands back the
  // new host, here the mutual-TLS daemon, as provisioning does once Docker answers.
  const provision = recorded.commands.get('dockerOnAzure.azure.provisionHost')!;
  recorded.commands.set('dockerOnAzure.azure.provisionHost', async () => ({
    id: 'azure:new-vm',
    name: 'new-vm',
    source: 'azure',
    address: `tcp://127.0.0.1:${testEnv.tls.port}`,
    tls: { ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key },
  }));
  try {
    recorded.answers.push(
      (items: { label: string }[]) => items.at(-1),
      `${name}:1`,
      name,
      '',
      '',
      (items: { label: string }[]) => items[0],
    );
    await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
  } finally {
    recorded.commands.set('dockerOnAzure.azure.provisionHost', provision);
  }
  const tls = { host: '127.0.0.1', port: testEnv.tls.port, ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key };
  try {
    assert.equal((await dockerCli(['inspect', '-f', '{{.State.Running}}', name], tls)).trim(), 'true');
    assert.match(recorded.messages.at(-1)!.text, new RegExp(`${name} is running on new-vm`));
  } finally {
    await dockerCli(['rm', '-f', name], tls).catch(() => undefined);
  }
});

test('Redeploy on the deployed container rebuilds with the remembered answers and replaces it, asking nothing', async () => {
  assert.ok(deployed, 'the deploy test ran first');
  resetRecorded();
  fs.writeFileSync(path.join(deployed.dir, 'www', 'index.html'), 'redeployed\n');
  const host = await hostByName('Local engine');
  host.session.invalidate();
  const node = await containerNode(host, deployed.name);
  assert.ok(node);
  assert.match(node.getTreeItem().contextValue!, /\bdeployed\b/, 'deployed containers offer Redeploy');
  const before = node.info.Id;
  await recorded.commands.get('dockerOnAzure.redeploy')!(node);
  assert.equal(recorded.answers.length, 0);
  assert.deepEqual(
    recorded.messages.filter((m) => m.level === 'error'),
    [],
  );
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${deployed!.port}/`)).body, 'redeployed\n'));
  assert.match(recorded.outputs.get('Docker on Azure: Build') ?? '', /^Sent 1 file \(11 B\) that the host did not have from its last build\.$/m, 'only the edited file went to the host');
  const ids = (await dockerCli(['ps', '-aq', '--no-trunc', '--filter', `name=^/${deployed.name}$`])).trim().split('\n');
  assert.equal(ids.length, 1, 'one container of that name');
  assert.notEqual(ids[0], before, 'a new container replaced the old one');
  assert.ok(JSON.parse(await dockerCli(['inspect', deployed.name]))[0].Config.Env.includes('MODE=test'), 'the remembered environment came from SecretStorage');
});

test('Cancel during a Redeploy stops the build on the host, says nothing, and the running container keeps serving', async () => {
  assert.ok(deployed, 'the deploy test ran first');
  resetRecorded();
  const seconds = String(3000 + Math.floor(Math.random() * 900));
  const dockerfile = path.join(deployed.dir, 'Dockerfile');
  fs.writeFileSync(dockerfile, `FROM ${testEnv.baseImage}\nRUN --mount=type=cache,target=/cache sleep ${seconds}\nCOPY www /www\nCMD httpd -f -p 80 -h /www\n`);
  const host = await hostByName('Local engine');
  host.session.invalidate();
  const node = await containerNode(host, deployed.name);
  assert.ok(node);
  const before = node.info.Id;
  const sleepers = () => listProcesses().filter((p) => p.cmdline === `sleep ${seconds}` && p.state !== 'Z');
  let ended = false;
  const redeploy = Promise.resolve(recorded.commands.get('dockerOnAzure.redeploy')!(node)).finally(() => (ended = true));
  while (!ended && sleepers().length === 0) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(!ended, 'the build was still running');
  recorded.cancelProgress();
  await redeploy;
  assert.deepEqual(recorded.messages, [], 'a cancelled redeploy shows no message');
  while (sleepers().length > 0) {
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal((await dockerCli(['inspect', '-f', '{{.Id}} {{.State.Running}}', deployed.name])).trim(), `${before} true`);
  assert.equal((await httpGet(`http://127.0.0.1:${deployed.port}/`)).body, 'redeployed\n');
});

test('Redeploy of a container whose Dockerfile is not on this machine says so and changes nothing', async () => {
  resetRecorded();
  const name = uniqueName('elsewhere');
  created.push(name);
  const id = (
    await dockerCli(['run', '-d', '--label', 'dockerOnAzure.dockerfile=/nowhere/app/Dockerfile', '--name', name, testEnv.baseImage, 'sleep', '600'])
  ).trim();
  const host = await hostByName('Local engine');
  host.session.invalidate();
  const node = await containerNode(host, name);
  assert.ok(node);
  await recorded.commands.get('dockerOnAzure.redeploy')!(node);
  assert.deepEqual(recorded.messages, [
    {
      level: 'error',
      text: `Cannot redeploy ${name} on Local engine: this machine has no record of deploying it, and its label names no Dockerfile inside an open workspace folder. Nothing was uploaded; open the folder with its Dockerfile, or use Deploy to Docker Host.`,
    },
  ]);
  assert.equal((await dockerCli(['inspect', '-f', '{{.Id}} {{.State.Running}}', name])).trim(), `${id} true`);
});

test('Redeploy of a container whose label names a file outside the workspace uploads nothing and says why', async () => {
  resetRecorded();
  // What a hostile daemon would name: a file that exists in a folder of secrets.
  const secrets = fs.mkdtempSync(path.join(configDir, 'dot-ssh-'));
  fs.writeFileSync(path.join(secrets, 'id_ed25519'), 'PRIVATE KEY\n');
  fs.writeFileSync(path.join(secrets, 'id_ed25519.pub'), `FROM ${testEnv.baseImage}\nCOPY id_ed25519 /stolen\n`);
  const name = uniqueName('hostile');
  const image = `${uniqueName('local/stolen')}:1`;
  created.push(name);
  await dockerCli(['run', '-d', '--label', `dockerOnAzure.dockerfile=${path.join(secrets, 'id_ed25519.pub')}`, '--name', name, testEnv.baseImage, 'sleep', '600']);
  const host = await hostByName('Local engine');
  host.session.invalidate();
  const node = await containerNode(host, name);
  assert.ok(node);
  // Answers a first deploy would ask for, so nothing but the label check can stop the upload.
  recorded.answers.push(image, name, '', '', (items: { label: string }[]) => items[0]);
  await recorded.commands.get('dockerOnAzure.redeploy')!(node);
  recorded.answers.length = 0;
  assert.match(recorded.messages[0]?.text ?? '', new RegExp(`^Cannot redeploy ${name} on Local engine: .*Nothing was uploaded`));
  await assert.rejects(dockerCli(['image', 'inspect', image]), /No such image/i, 'no build ran from that folder');
});

/** The tooltip VS Code would show, checked to be as untrusted as VS Code's defaults leave it. */
function tooltipOf(node: TreeNode): string {
  const tooltip = node.getTreeItem().tooltip;
  assert.ok(tooltip instanceof MarkdownString);
  assert.equal(tooltip.isTrusted ?? false, false, 'no command links');
  assert.equal(tooltip.supportHtml ?? false, false, 'no HTML');
  assert.equal(tooltip.supportThemeIcons, false);
  return tooltip.value;
}

test('what a daemon and a context report shows inert in tooltips: no link, image or HTML gets out of its text or code span', async () => {
  const project = `${uniqueName('evil')}<img src=x onerror=alert(1)>[p](https://evil.example)`;
  const service = 'api` [Run](command:workbench.action.terminal.new) `';
  const folder = '/srv/``` ![t](https://evil.example/t.png)\n\n# Owned\n[link](command:evil)';
  const script = 'echo `id` ``` [x](command:evil)\n\n<script>alert(1)</script> https://evil.example';
  created.push(
    (
      await dockerCli([
        'create',
        '--label',
        `com.docker.compose.project=${project}`,
        '--label',
        `com.docker.compose.service=${service}`,
        '--label',
        `com.docker.compose.project.working_dir=${folder}`,
        testEnv.baseImage,
        'sh',
        '-c',
        script,
      ])
    ).trim(),
  );
  const projectNode = await composeProjectNode(await hostByName('Local engine'), project);
  assert.ok(projectNode, 'the hostile project is one row');
  assertInertTooltip(tooltipOf(projectNode), [service, folder], [project]);

  const [member] = (await view.provider.getChildren(projectNode)) as ContainerNode[];
  assert.ok(member.info.Command.includes(script.split('\n')[0]), `the daemon reports the command as given: ${member.info.Command}`);
  assertInertTooltip(tooltipOf(member), [member.info.Image, member.info.Command, member.info.Id.slice(0, 12)], [member.info.Status]);

  const context = await hostByName('tls-ctx');
  assertInertTooltip(tooltipOf(context), [`tcp://127.0.0.1:${testEnv.tls.port}`], [CONTEXT_DESCRIPTION]);
});

test('Compose Up from a compose file runs the project on the chosen host; the tree groups it; Compose Down removes it', async () => {
  resetRecorded();
  const dir = fs.mkdtempSync(path.join(configDir, 'Stack-'));
  const file = path.join(dir, 'docker-compose.yml');
  fs.writeFileSync(
    file,
    `services:\n  api:\n    image: ${testEnv.baseImage}\n    command: sleep 3600\n  cache:\n    image: ${testEnv.baseImage}\n    command: sleep 3600\n`,
  );
  const project = path.basename(dir).toLowerCase();
  recorded.answers.push((items: { label: string }[]) => items.find((i) => i.label === 'over-ssh'));
  await recorded.commands.get('dockerOnAzure.composeUp')!(Uri.file(file));
  assert.deepEqual(
    recorded.messages.map((m) => m.text),
    [`${project} is up on over-ssh.`],
  );
  const projectNode = await composeProjectNode(await hostByName('over-ssh'), project);
  assert.ok(projectNode, 'the project is one row');
  assert.equal(projectNode.getTreeItem().contextValue, 'dockerComposeProject');
  assert.match(projectNode.getTreeItem().description as string, /2 of 2 running/);
  const members = await view.provider.getChildren(projectNode);
  assert.deepEqual(members.map((m) => (m as ContainerNode).info.Labels['com.docker.compose.service']).sort(), ['api', 'cache']);
  assert.equal(view.provider.getParent(members[0]), projectNode);

  recorded.answers.push('Compose Down');
  await recorded.commands.get('dockerOnAzure.composeDown')!(projectNode);
  assert.equal((await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).trim(), '');
});

test('Cancel during a Compose Up build stops the build on the host, says nothing, and the running project keeps serving', async () => {
  resetRecorded();
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(configDir, 'Cancelled-'));
  const dockerfile = path.join(dir, 'web', 'Dockerfile');
  fs.mkdirSync(path.join(dir, 'web', 'www'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'web', 'www', 'index.html'), 'first up\n');
  fs.writeFileSync(dockerfile, `FROM ${testEnv.baseImage}\nCOPY www /www\nCMD httpd -f -p 80 -h /www\n`);
  const file = path.join(dir, 'compose.yaml');
  fs.writeFileSync(file, `services:\n  web:\n    build: ./web\n    ports: ["${port}:80"]\n`);
  const project = path.basename(dir).toLowerCase();
  const pick = (items: { label: string }[]) => items.find((i) => i.label === 'over-ssh');
  const host = await hostByName('over-ssh');
  try {
    recorded.answers.push(pick);
    await recorded.commands.get('dockerOnAzure.composeUp')!(Uri.file(file));
    assert.deepEqual(
      recorded.messages.map((m) => m.text),
      [`${project} is up on over-ssh.`],
    );
    assert.equal((await eventually(() => httpGet(`http://127.0.0.1:${port}/`))).body, 'first up\n');
    const before = (await dockerCli(['ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`])).trim();

    resetRecorded();
    const seconds = String(3000 + Math.floor(Math.random() * 900));
    fs.writeFileSync(dockerfile, `FROM ${testEnv.baseImage}\nRUN --mount=type=cache,target=/cache sleep ${seconds}\nCOPY www /www\nCMD httpd -f -p 80 -h /www\n`);
    fs.writeFileSync(path.join(dir, 'web', 'www', 'index.html'), 'never deployed\n');
    const sleepers = () => listProcesses().filter((p) => p.cmdline === `sleep ${seconds}` && p.state !== 'Z');
    let ended = false;
    recorded.answers.push(pick);
    const up = Promise.resolve(recorded.commands.get('dockerOnAzure.composeUp')!(Uri.file(file))).finally(() => (ended = true));
    while (!ended && sleepers().length === 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(!ended, 'the build was still running');
    recorded.cancelProgress();
    await up;
    assert.deepEqual(recorded.messages, [], 'a cancelled Compose Up shows no message');
    while (sleepers().length > 0) {
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(recorded.outputs.get('Docker on Azure: Build') ?? '', /^Cancelled\.$/m);
    assert.equal((await dockerCli(['ps', '-q', '--no-trunc', '--filter', `label=com.docker.compose.project=${project}`])).trim(), before);
    assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'first up\n');
  } finally {
    await composeDown(host.session.connect().docker, project, () => undefined);
  }
});

test('Compose Up without Docker Compose on this machine says how to get it, and starts nothing', async () => {
  resetRecorded();
  const dir = fs.mkdtempSync(path.join(configDir, 'nocompose-'));
  const file = path.join(dir, 'compose.yaml');
  fs.writeFileSync(file, `services:\n  one:\n    image: ${testEnv.baseImage}\n`);
  const pathBefore = process.env.PATH;
  process.env.PATH = fs.mkdtempSync(path.join(configDir, 'empty-bin-'));
  try {
    recorded.answers.push('Installation Guide');
    await recorded.commands.get('dockerOnAzure.composeUp')!(Uri.file(file));
  } finally {
    process.env.PATH = pathBefore;
  }
  assert.equal(recorded.messages.length, 1);
  assert.equal(recorded.messages[0].level, 'error');
  assert.match(recorded.messages[0].text, /Docker Compose is not installed/);
  assert.deepEqual(recorded.opened, ['https://docs.docker.com/compose/install/']);
  assert.equal((await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${path.basename(dir).toLowerCase()}`])).trim(), '');
});
