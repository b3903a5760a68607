import '../test/support/installVscodeFake';
import { execFile } from 'child_process';
import { promisify } from 'util';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { memento } from '../test/support/vscodeFake';
import { AddedHostsStore } from '../src/ui/hosts/addedHostsStore';
import { OtherHostsSource } from '../src/ui/hosts/otherHostsSource';
import { HostCatalog } from '../src/core/hosts/hostCatalog';
import { OtherHostsView } from '../src/ui/tree/otherHostsView';
import { ContainersGroupNode, HostNode, ImagesGroupNode } from '../src/ui/tree/hostNodes';
import { DEFAULT_REFRESH_OPTIONS } from '../src/core/docker/refreshScheduler';

const run = promisify(execFile);

export interface ListingResult {
  hosts: number;
  containersPerHost: number;
  treeMs: number;
  singleHostTreeMs: number;
  cliSequentialMs: number;
  cliSingleHostMs: number;
  rounds: number;
}

async function fullTree(view: OtherHostsView): Promise<number> {
  const roots = (await view.provider.getChildren()).filter((n): n is HostNode => n instanceof HostNode);
  let containers = 0;
  await Promise.all(
    roots.map(async (host) => {
      host.session.invalidate();
      const groups = await view.provider.getChildren(host);
      for (const group of groups) {
        if (group instanceof ContainersGroupNode) {
          containers += (await view.provider.getChildren(group)).length;
        } else if (group instanceof ImagesGroupNode) {
          await view.provider.getChildren(group);
        }
      }
    }),
  );
  return containers;
}

async function makeView(socketPath: string, hosts: number, linkDir: string): Promise<{ view: OtherHostsView; catalog: HostCatalog }> {
  const store = new AddedHostsStore(memento() as never);
  for (let i = 0; i < hosts; i++) {
    // One daemon behind ten addresses (symlinks to its socket): ten hosts, ten sessions, ten connections.
    const link = path.join(linkDir, `host-${hosts}-${i}.sock`);
    fs.symlinkSync(socketPath, link);
    await store.add({ name: `host-${i}`, address: `unix://${link}` });
  }
  const catalog = new HostCatalog(
    () => ({ homeDir: os.homedir(), knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 10_000 }),
    DEFAULT_REFRESH_OPTIONS,
  );
  const source = new OtherHostsSource(catalog, store, () => ({ showLocalEngine: false, showContexts: false }));
  return { view: new OtherHostsView(catalog, source, () => false), catalog };
}

export async function measureListing(socketPath: string, hosts: number, containersPerHost: number, rounds = 5): Promise<ListingResult> {
  const linkDir = fs.mkdtempSync('/tmp/doa-links-');
  const { view, catalog } = await makeView(socketPath, hosts, linkDir);
  const single = await makeView(socketPath, 1, linkDir);
  const tree: number[] = [];
  const singleTree: number[] = [];
  const cli: number[] = [];
  const cliSingle: number[] = [];
  const cliHost = async () => {
    await run('docker', ['-H', `unix://${socketPath}`, 'ps', '-a']);
    await run('docker', ['-H', `unix://${socketPath}`, 'images']);
  };
  // One warm-up of each, so connection set-up and disk caches do not favour whichever runs second.
  await fullTree(view);
  await cliHost();
  for (let r = 0; r < rounds; r++) {
    let t = performance.now();
    const listed = await fullTree(view);
    tree.push(performance.now() - t);
    if (listed !== hosts * containersPerHost) {
      throw new Error(`the tree listed ${listed} containers, expected ${hosts * containersPerHost}`);
    }
    t = performance.now();
    await fullTree(single.view);
    singleTree.push(performance.now() - t);
    t = performance.now();
    for (let h = 0; h < hosts; h++) {
      await cliHost();
    }
    cli.push(performance.now() - t);
    t = performance.now();
    await cliHost();
    cliSingle.push(performance.now() - t);
  }
  view.dispose();
  catalog.dispose();
  single.view.dispose();
  single.catalog.dispose();
  fs.rmSync(linkDir, { recursive: true, force: true });
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  return {
    hosts,
    containersPerHost,
    treeMs: median(tree),
    singleHostTreeMs: median(singleTree),
    cliSequentialMs: median(cli),
    cliSingleHostMs: median(cliSingle),
    rounds,
  };
}
