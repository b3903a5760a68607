import '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import { memento, FakeTreeView } from '../support/vscodeFake';
import { AddedHostsStore } from '../../src/ui/hosts/addedHostsStore';
import type { OtherHostsView } from '../../src/ui/tree/otherHostsView';
import { HostViews, startHostViews } from '../support/hostViews';
import { HostNode } from '../../src/ui/tree/hostNodes';
import { ErrorNode } from '../../src/ui/tree/errorNode';
import { TreeNode } from '../../src/ui/tree/treeNode';
import { DockerdHandle, startDockerd } from '../support/engines';
import { eventually } from '../support/testEnv';
import { sleep } from '../support/processes';

let daemon: DockerdHandle;
let view: OtherHostsView;
let views: HostViews;
const dir = fs.mkdtempSync('/tmp/doa-rec-');

/**
 * Plays VS Code's part: whenever the provider announces a change, re-read the announced node's
 * children (as VS Code does for an expanded, visible node) and keep what it would show.
 */
function mirror(host: HostNode): { labels: () => string[]; everShown: string[] } {
  let shown: string[] = [];
  const everShown: string[] = [];
  const render = async () => {
    shown = (await view.provider.getChildren(host)).map((n: TreeNode) => n.getTreeItem().label as string);
    everShown.push(...shown);
  };
  view.provider.onDidChangeTreeData((node) => {
    if (node === host || node === undefined) {
      void render();
    }
  });
  void render();
  return { labels: () => shown, everShown };
}

before(async () => {
  daemon = await startDockerd({ dir });
  const store = new AddedHostsStore(memento() as never);
  await store.add({ name: 'fragile', address: `unix://${daemon.socketPath}` });
  views = startHostViews({ connectionEnv: () => ({ homeDir: os.homedir(), knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 5000 }), added: store });
  view = views.otherHosts;
  (view.treeView as unknown as FakeTreeView<TreeNode>).setVisible(true);
});

after(async () => {
  views.dispose();
  await daemon.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a killed daemon turns into an error node, and the host comes back by itself when the daemon does', async () => {
  const [host] = (await view.provider.getChildren()) as HostNode[];
  const shown = mirror(host);
  await eventually(async () => assert.deepEqual(shown.labels(), ['Containers', 'Images']));
  await eventually(async () => assert.deepEqual(views.catalog.followedHosts(), ['added:unix://' + daemon.socketPath]));

  await daemon.kill();
  await eventually(async () => assert.match(shown.labels()[0] ?? '', /No Docker socket|Connection refused/), 30_000);
  assert.equal(shown.labels().length, 1);
  assert.ok((await view.provider.getChildren(host))[0] instanceof ErrorNode);

  await daemon.restart();
  // No refresh is asked for here: the scheduler's reconnect notices the daemon and re-renders.
  await eventually(async () => assert.deepEqual(shown.labels(), ['Containers', 'Images']), 60_000);
  assert.equal(host.session.state.kind, 'loaded');
});

test('a daemon killed in the middle of a listing: the row moves on to the reason that holds while it stays down, naming no certificates', async () => {
  const [host] = (await view.provider.getChildren()) as HostNode[];
  const shown = mirror(host);
  await eventually(async () => assert.deepEqual(shown.labels(), ['Containers', 'Images']));
  await eventually(async () => assert.deepEqual(views.catalog.followedHosts(), [host.hostId]));

  // A stopped daemon takes connections but never answers, so the kill lands mid-listing and the
  // listing sees its connection reset rather than refused. Hiding and showing the view meanwhile
  // reopens the event feed against the stopped daemon, so the feed cannot end after the listing
  // failed and re-read the host by chance: only the reconnects see that the daemon stays down.
  process.kill(daemon.pid, 'SIGSTOP');
  views.catalog.refresh(host.hostId);
  const treeView = view.treeView as unknown as FakeTreeView<TreeNode>;
  treeView.setVisible(false);
  treeView.setVisible(true);
  await sleep(500);
  await daemon.kill();

  await eventually(async () => assert.match(shown.labels()[0] ?? '', /No Docker socket|Connection refused/), 30_000);
  assert.ok(
    shown.everShown.every((label) => !/certificate/i.test(label)),
    `a unix-socket host was told about certificates: ${shown.everShown.filter((l) => /certificate/i.test(l)).join(' | ')}`,
  );

  await daemon.restart();
  await eventually(async () => assert.deepEqual(shown.labels(), ['Containers', 'Images']), 60_000);
});
