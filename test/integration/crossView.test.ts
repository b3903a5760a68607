// The whole extension, activated as VS Code activates it, with both real views: Azure Docker Hosts
// against the ARM emulator and Other Docker Hosts against the real daemons. Commands run on Azure
// hosts and on other hosts through the same registrations, so a command that only knows one view
// fails here. Neither view is faked. commandMatrix.test.ts runs every host and container command on
// both kinds of host; this file holds the catalog's own behaviour across views.
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { run } from '../support/engines';
import { eventually, loadTestEnvironment } from '../support/testEnv';
import { Uri } from '../support/vscodeFake';
import {
  activateExtension,
  type ActivatedExtension,
  announcedChange,
  azureHost,
  azureView,
  containerUnder,
  label,
  otherHost,
  otherView,
  viewsHidden,
} from '../support/activatedExtension';
import { SubscriptionNode, AzureHostNode } from '../../src/ui/tree/azureNodes';
import { ErrorNode } from '../../src/ui/tree/errorNode';
import { INSPECT_SCHEME } from '../../src/ui/inspectDocuments';

const testEnv = loadTestEnvironment();
let ext: ActivatedExtension;
let knownHosts: string;
let tlsTarget: ActivatedExtension['tlsTarget'];
let silent: net.Server;
const held: net.Socket[] = [];

/** Established TCP connections from this process to 127.0.0.1:port, as the kernel sees them. */
async function connectionsTo(port: number): Promise<number> {
  const { stdout } = await run('ss', ['-Htnp', 'state', 'established', `( dport = :${port} )`]);
  return stdout.split('\n').filter((line) => line.includes(`pid=${process.pid},`)).length;
}

const runContainer = (where?: ActivatedExtension['tlsTarget']) => ext.runContainer(where);
const setSetting = (key: string, value: unknown) => ext.setSetting(key, value);

before(async () => {
  // A daemon that takes the connection and never answers.
  silent = net.createServer((socket) => {
    held.push(socket);
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  ext = await activateExtension({
    added: [{ id: 'added:silent', name: 'silent', address: `tcp://127.0.0.1:${(silent.address() as net.AddressInfo).port}` }],
  });
  knownHosts = ext.knownHosts;
  tlsTarget = ext.tlsTarget;
});

beforeEach(() => {
  resetRecorded();
  ext.restoreSettings();
});

after(async () => {
  held.forEach((socket) => socket.destroy());
  silent.close();
  await ext.stop();
});

test('both views list their hosts from one activation', async () => {
  assert.deepEqual((await otherView().provider.getChildren(await otherHost('Local engine'))).map(label), ['Containers', 'Images']);
  const tls = await azureHost('azure-tls');
  assert.deepEqual((await azureView().provider.getChildren(tls)).map(label), ['Containers', 'Images']);
});

test("rows under an Azure host name that host's row as their parent, so VS Code can reveal them", async () => {
  const tls = await azureHost('azure-tls');
  const { provider } = azureView();
  const groups = await provider.getChildren(tls);
  assert.deepEqual(groups.map((g) => provider.getParent(g)), groups.map(() => tls));
  const ssh = await azureHost('azure-ssh');
  const [row] = await provider.getChildren(ssh);
  assert.equal(provider.getParent(row), ssh, `the error row ${label(row)} hangs under the Azure host`);
});

test("Retry on an Azure host's error row re-reads that host in the Azure view", async () => {
  const ssh = await azureHost('azure-ssh');
  const [row] = await azureView().provider.getChildren(ssh);
  assert.ok(row instanceof ErrorNode, `the unknown host key is an error row: ${label(row)}`);
  await viewsHidden(async () => {
    const changed = announcedChange(azureView().provider, ssh.id);
    await recorded.commands.get('dockerOnAzure.retryHost')!(row);
    await changed;
  });
});

test("Trust SSH Host Key on an Azure host's error row trusts it and shows the host's containers", async () => {
  const ssh = await azureHost('azure-ssh');
  const [row] = await azureView().provider.getChildren(ssh);
  assert.ok(row instanceof ErrorNode && row.unknownHostKey, `an unknown-key row: ${label(row)}`);
  recorded.answers.push('Trust and Connect');
  await viewsHidden(async () => {
    const changed = announcedChange(azureView().provider, ssh.id);
    await recorded.commands.get('dockerOnAzure.trustHostKey')!(row);
    await changed;
  });
  assert.match(fs.readFileSync(knownHosts, 'utf8'), new RegExp(`^\\[127\\.0\\.0\\.1\\]:${testEnv.ssh.port} `, 'm'));
  assert.deepEqual((await azureView().provider.getChildren(await azureHost('azure-ssh'))).map(label), ['Containers', 'Images']);
});

test("Inspect on an Azure host's container opens its document", async () => {
  const name = await runContainer(tlsTarget);
  const tls = await azureHost('azure-tls');
  tls.session!.invalidate();
  const node = await containerUnder(azureView().provider, tls, name);
  assert.ok(node, `${name} on azure-tls`);
  await recorded.commands.get('dockerOnAzure.container.inspect')!(node);
  const uri = recorded.opened.find((u) => u.startsWith(`${INSPECT_SCHEME}:`));
  assert.ok(uri, `an inspect document opened: ${recorded.opened}`);
  const text = await recorded.contentProviders.get(INSPECT_SCHEME)!.provideTextDocumentContent(Uri.parse(uri));
  assert.equal(JSON.parse(text).Id, node.info.Id, text.slice(0, 200));
});

test('a container pick from the palette offers the containers of Azure hosts and of other hosts', async () => {
  const onAzure = await runContainer(tlsTarget);
  const onLocal = await runContainer();
  let offered: { label: string; description?: string }[] = [];
  recorded.answers.push((items: typeof offered) => {
    offered = items;
    return undefined;
  });
  await recorded.commands.get('dockerOnAzure.container.inspect')!();
  assert.ok(
    offered.some((i) => i.label === onAzure && /azure-tls/.test(i.description ?? '')),
    `${onAzure} on azure-tls is offered: ${offered.map((i) => `${i.label} (${i.description})`)}`,
  );
  assert.ok(
    offered.some((i) => i.label === onLocal && /Local engine/i.test(i.description ?? '')),
    `${onLocal} on the local engine is offered`,
  );
});

test("Remove Container on an Azure host re-reads the Azure host's row", async () => {
  const name = await runContainer(tlsTarget);
  const tls = await azureHost('azure-tls');
  tls.session!.invalidate();
  const node = await containerUnder(azureView().provider, tls, name);
  assert.ok(node, `${name} on azure-tls`);
  recorded.answers.push('Remove');
  await viewsHidden(async () => {
    const changed = announcedChange(azureView().provider, tls.id);
    await recorded.commands.get('dockerOnAzure.container.remove')!(node);
    await changed;
  });
  assert.equal(await containerUnder(azureView().provider, await azureHost('azure-tls'), name), undefined, 'the removed container is gone');
});

test('Remove Container on another host re-reads that host', async () => {
  const name = await runContainer();
  const local = await otherHost('Local engine');
  local.session.invalidate();
  const node = await containerUnder(otherView().provider, local, name);
  assert.ok(node, `${name} on the local engine`);
  recorded.answers.push('Remove');
  await viewsHidden(async () => {
    const changed = announcedChange(otherView().provider, local.id);
    await recorded.commands.get('dockerOnAzure.container.remove')!(node);
    await changed;
  });
});

test('a settings change reaches hosts that are already connected: a new known_hosts file applies at once', async () => {
  const ssh = await azureHost('azure-ssh');
  assert.deepEqual((await azureView().provider.getChildren(ssh)).map(label), ['Containers', 'Images'], 'connected with the trusted key');
  const fresh = path.join(ext.scratch, 'known_hosts.new');
  fs.writeFileSync(fresh, '');
  await setSetting('ssh.knownHostsFile', fresh);
  const [row] = await azureView().provider.getChildren(await azureHost('azure-ssh'));
  assert.ok(row instanceof ErrorNode && row.unknownHostKey, `the key is unknown to the new file: ${label(row)}`);
  await setSetting('ssh.knownHostsFile', knownHosts);
  assert.deepEqual((await azureView().provider.getChildren(await azureHost('azure-ssh'))).map(label), ['Containers', 'Images']);
});

test('connectTimeoutSeconds also bounds listings, on TCP hosts too', async () => {
  await setSetting('connectTimeoutSeconds', 1);
  try {
    const host = await otherHost('silent');
    host.session.invalidate();
    const [row] = await otherView().provider.getChildren(host);
    assert.ok(row instanceof ErrorNode, label(row));
    assert.match(label(row), /did not answer within 1 s/);
  } finally {
    await setSetting('connectTimeoutSeconds', 5);
  }
});

test('an unmarked Azure host is forgotten: no pick offers it and nothing follows it', async () => {
  const name = await runContainer(tlsTarget);
  const tls = await azureHost('azure-tls');
  assert.ok(await containerUnder(azureView().provider, tls, name));
  await eventually(async () => assert.ok((await connectionsTo(testEnv.tls.port)) > 0, 'the visible host is followed'));
  await recorded.commands.get('dockerOnAzure.azureHost.unmark')!(tls);
  await eventually(async () => {
    const [sub] = (await azureView().provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
    const names = (await azureView().provider.getChildren(sub)).filter((n): n is AzureHostNode => n instanceof AzureHostNode).map((h) => h.vm.name);
    assert.ok(!names.includes('azure-tls'), `still listed: ${names}`);
  });
  let offered: { label: string; description?: string }[] = [];
  recorded.answers.push((items: typeof offered) => {
    offered = items;
    return undefined;
  });
  await recorded.commands.get('dockerOnAzure.container.inspect')!();
  assert.ok(!offered.some((i) => /azure-tls/.test(i.description ?? '')), `azure-tls is still offered: ${offered.map((i) => i.description)}`);
  // Its old address may belong to someone else by now: no event feed or reconnect goes there.
  await eventually(async () => assert.equal(await connectionsTo(testEnv.tls.port), 0, 'connections from this process to the old address'));
});

test('the deploy host pick offers Azure hosts and other hosts', async () => {
  let offered: { label: string }[] = [];
  const dir = fs.mkdtempSync(path.join(ext.scratch, 'app-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${testEnv.baseImage}\n`);
  recorded.answers.push((items: typeof offered) => {
    offered = items;
    return undefined;
  });
  await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
  const labels = offered.map((i) => i.label);
  assert.ok(labels.some((l) => /azure-ssh/.test(l)), `azure-ssh offered: ${labels}`);
  assert.ok(labels.some((l) => /Local engine/i.test(l)), `the local engine offered: ${labels}`);
});

