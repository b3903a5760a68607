import test from 'node:test';
import assert from 'node:assert/strict';
import { CompareController, CompareHost } from '../../src/core/compare/compareController';
import type { ToPage } from '../../src/core/compare/protocol';
import type { HostSnapshot } from '../../src/core/docker/hostSession';

/** Just the engine calls the controller makes, answering like a small host would. */
function engine(createError?: string) {
  return {
    version: async () => ({ Os: 'linux', Arch: 'arm64' }),
    getContainer: () => ({
      inspect: async () => ({
        Name: '/web',
        Created: '2024-05-01T10:00:00.000Z',
        State: { Running: true, StartedAt: '2024-05-01T10:00:00.300Z' },
        Config: { User: 'app' },
        HostConfig: { Privileged: false, NetworkMode: 'bridge', CapAdd: null },
        Mounts: [],
      }),
      stats: async () => ({ memory_stats: { usage: 6_000_000 } }),
    }),
    createContainer: async () => {
      throw new Error(createError ?? 'unexpected');
    },
  };
}

const snapshot: HostSnapshot = {
  containers: [{ Id: 'c1', Names: ['/web'], State: 'running', Created: 1 } as never],
  images: [{ RepoTags: ['busybox:1'], Size: 4_000_000 } as never],
  loadedAt: 0,
};

function host(key: string, snap: () => Promise<HostSnapshot> = async () => snapshot, createError?: string): CompareHost {
  return { option: { key, label: `host ${key}`, description: '' }, docker: { engine: () => engine(createError) as never, snapshot: snap } };
}

function harness(hosts: CompareHost[], preferred?: string, swarms: () => Promise<number> = async () => 0) {
  const posted: ToPage[] = [];
  const copied: string[] = [];
  const scaledOut: string[] = [];
  const controller = new CompareController(
    {
      hosts: async () => hosts,
      swarms,
      post: (m) => posted.push(m),
      copy: async (md) => void copied.push(md),
      scaleOut: async (action) => void scaledOut.push(action),
    },
    preferred,
  );
  return { controller, posted, copied, scaledOut };
}

const figures = (posted: ToPage[], hostKey: string) =>
  Object.fromEntries(
    posted
      .filter((m) => m.type === 'figure' && m.hostKey === hostKey)
      .map((m) => [(m as { topic: string }).topic, (m as { figure: unknown }).figure]),
  );

test('ready: lists the hosts, picks the preferred one, streams figures after a measuring state', async () => {
  const { controller, posted } = harness([host('a'), host('b')], 'b');
  await controller.receive({ type: 'ready', hostKey: 'a' });
  assert.deepEqual(posted[0], {
    type: 'hosts',
    hosts: [
      { key: 'a', label: 'host a', description: '' },
      { key: 'b', label: 'host b', description: '' },
    ],
    selected: 'b',
  });
  assert.deepEqual(posted[1], { type: 'measuring', hostKey: 'b', label: 'host b' });
  assert.ok(posted.slice(2).some((m) => m.type === 'figure' && m.figure.state === 'measuring'));
  const last = figures(posted, 'b');
  assert.equal((last.startup as { text: string }).text, 'container start 300 ms');
  assert.equal(
    (last.isolation as { text: string }).text,
    'None of 1 container runs as root, privileged, on the host network, with the socket or extra capabilities',
  );
  assert.match((last.resources as { text: string }).text, /the running container uses 6\.0 MB/);
  assert.deepEqual(
    posted.filter((m) => m.type === 'probe'),
    [{ type: 'probe', hostKey: 'b', probe: { state: 'offer', image: 'busybox:1', size: '4.0 MB' } }],
  );
});

test('results of a host the user has left are dropped', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  const { controller, posted } = harness([host('slow', async () => (await held, snapshot)), host('fast')]);
  const first = controller.receive({ type: 'ready' });
  await new Promise((r) => setImmediate(r));
  await controller.receive({ type: 'pickHost', hostKey: 'fast' });
  const switched = posted.length;
  release();
  await first;
  assert.deepEqual(
    posted.slice(switched).filter((m) => 'hostKey' in m && m.hostKey === 'slow'),
    [],
  );
  assert.equal(controller.selectedHost, 'fast');
});

test('a throwaway container that cannot start says why where the button was', async () => {
  const { controller, posted } = harness([host('a', undefined, 'No command specified')]);
  await controller.receive({ type: 'ready' });
  await controller.receive({ type: 'measureStart', hostKey: 'a' });
  const probes = posted.filter((m) => m.type === 'probe').map((m) => (m as { probe: unknown }).probe);
  assert.deepEqual(probes.slice(-2), [
    { state: 'running' },
    { state: 'unavailable', reason: 'the throwaway container did not start: No command specified' },
  ]);
  // The timestamps still answer.
  assert.equal((figures(posted, 'a').startup as { text: string }).text, 'container start 300 ms');
});

test('a host without a reachable engine explains every Docker figure; Copy as Markdown still works', async () => {
  const { controller, posted, copied } = harness([
    { option: { key: 'x', label: 'vm x', description: '' }, noDockerReason: 'The VM is deallocated.' },
  ]);
  await controller.receive({ type: 'ready' });
  const f = figures(posted, 'x');
  assert.deepEqual(f.disk, {
    state: 'unavailable',
    reason: 'The VM is deallocated. It is not an Azure VM, so there is no VM figure to set against it.',
  });
  await controller.receive({ type: 'copyMarkdown' });
  assert.match(copied[0], /Measured on vm x/);
  assert.deepEqual(posted.at(-1), { type: 'copied' });
});

test('messages outside the protocol are ignored', async () => {
  const { controller, posted } = harness([host('a')]);
  await controller.receive({ type: 'exec', command: 'rm -rf /' });
  await controller.receive({ type: 'measureStart', hostKey: 'not-selected' });
  assert.deepEqual(posted, []);
});

test('ready: the scale-out line counts every host and the swarms, and says so when swarms cannot be read', async () => {
  const withSwarm = harness([host('a'), host('b'), host('c')], undefined, async () => 1);
  await withSwarm.controller.receive({ type: 'ready' });
  assert.match((withSwarm.posted.find((m) => m.type === 'fleet') as { text: string }).text, /^You have 3 Docker hosts and 1 swarm\./);
  const none = harness([host('a'), host('b')]);
  await none.controller.receive({ type: 'ready' });
  assert.match((none.posted.find((m) => m.type === 'fleet') as { text: string }).text, /2 Docker hosts and no swarm\. Create Swarm from Hosts/);
  const failing = harness([host('a')], undefined, async () => {
    throw new Error('host a did not answer');
  });
  await failing.controller.receive({ type: 'ready' });
  assert.match((failing.posted.find((m) => m.type === 'fleet') as { text: string }).text, /1 Docker host; whether any is in a swarm could not be read/);
});

test('the page can ask only for the scale-out actions it offers', async () => {
  const { controller, scaledOut } = harness([host('a')]);
  await controller.receive({ type: 'scaleOut', action: 'createSwarm' });
  await controller.receive({ type: 'scaleOut', action: 'workbench.action.terminal.sendSequence' });
  await controller.receive({ type: 'scaleOut' });
  assert.deepEqual(scaledOut, ['createSwarm']);
});
