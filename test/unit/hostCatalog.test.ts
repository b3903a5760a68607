import test from 'node:test';
import assert from 'node:assert/strict';
import { HostCatalog } from '../../src/core/hosts/hostCatalog';
import type { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { DEFAULT_REFRESH_OPTIONS } from '../../src/core/docker/refreshScheduler';

const env = () => ({ homeDir: '/nonexistent', knownHostsFile: '/dev/null', localUser: 'u', connectTimeoutMs: 1000 });
const spec = (id: string, source: DockerHostSpec['source'], address = `unix:///run/${id}.sock`): DockerHostSpec => ({ id, name: id, source, address });

function catalog(): HostCatalog {
  return new HostCatalog(env, DEFAULT_REFRESH_OPTIONS);
}

test('an unchanged host keeps its session across updates; a changed or removed one gets a new one or none', () => {
  const c = catalog();
  const [a, b] = c.update('other', [spec('a', 'added'), spec('b', 'added')]);
  const [a2, b2] = c.update('other', [spec('a', 'added'), spec('b', 'added', 'tcp://10.0.0.1:2375')]);
  assert.equal(a2, a, 'same spec, same session');
  assert.notEqual(b2, b, 'a new address is a new session');
  c.update('other', [spec('a', 'added')]);
  assert.equal(c.get('b'), undefined);
  assert.deepEqual(
    c.list().map((s) => s.spec.id),
    ['a'],
  );
  c.dispose();
});

test('list() orders by source, is the same on every call, and loads nothing', async () => {
  const c = catalog();
  let loads = 0;
  c.addSource(async () => {
    loads += 1;
    c.update('azure:s1', [spec('azure:vm', 'azure')]);
  });
  c.update('other', [spec('added:x', 'added'), spec('local', 'local'), spec('context:c', 'context')]);
  assert.deepEqual(
    c.list().map((s) => s.spec.id),
    ['local', 'context:c', 'added:x'],
  );
  assert.equal(loads, 0);
  assert.deepEqual(
    (await c.loadAll()).map((s) => s.spec.id),
    ['local', 'context:c', 'added:x', 'azure:vm'],
  );
  assert.equal(loads, 1);
  c.dispose();
});

test('a source that fails keeps what it had and does not stop the others', async () => {
  const c = catalog();
  c.update('azure:s1', [spec('azure:vm', 'azure')]);
  c.addSource(async () => {
    throw new Error('signed out');
  });
  c.addSource(async () => void c.update('other', [spec('local', 'local')]));
  assert.deepEqual(
    (await c.loadAll()).map((s) => s.spec.id),
    ['local', 'azure:vm'],
  );
  c.dispose();
});

test('removeGroups forgets every matching group, and only those', () => {
  const c = catalog();
  c.update('other', [spec('local', 'local')]);
  c.update('azure:s1', [spec('azure:1', 'azure')]);
  c.update('azure:s2', [spec('azure:2', 'azure')]);
  c.removeGroups((g) => g.startsWith('azure:'));
  assert.deepEqual(
    c.list().map((s) => s.spec.id),
    ['local'],
  );
  c.dispose();
});

test('refresh(hostId) marks the host stale and tells listeners which host; reconnectAll gives every host a new session', () => {
  const c = catalog();
  const [a] = c.update('other', [spec('a', 'added')]);
  const heard: (string | undefined)[] = [];
  c.onDidChange((id) => heard.push(id));
  c.refresh('a');
  assert.deepEqual(heard, ['a']);
  c.reconnectAll();
  assert.notEqual(c.get('a'), a, 'a new session reads the new settings');
  assert.equal(c.get('a')!.spec, a.spec);
  assert.equal(heard.at(-1), undefined, 'everything re-renders');
  c.dispose();
});

test('reconnect(hostId) gives that host alone a new session in the same place, and tells every row', () => {
  const c = catalog();
  const [a, b, d] = c.update('other', [spec('a', 'added'), spec('b', 'added'), spec('d', 'added')]);
  const told: (string | undefined)[] = [];
  c.onDidChange((id) => told.push(id));
  c.reconnect('b');
  const [a2, b2, d2] = c.list();
  assert.equal(a2, a);
  assert.equal(d2, d);
  assert.notEqual(b2, b, 'b starts over');
  assert.equal(b2.spec, b.spec);
  // A row built before the reconnect may still ask the old session: it must not open a connection nobody closes.
  assert.throws(() => b.connect(), { code: 'DISPOSED' });
  assert.deepEqual(told, [undefined]);
  c.reconnect('gone');
  assert.deepEqual(told, [undefined], 'an unknown host changes nothing');
  c.dispose();
});

test('after dispose nothing is listed and updates are ignored', () => {
  const c = catalog();
  c.update('other', [spec('a', 'added')]);
  c.dispose();
  assert.deepEqual(c.list(), []);
  assert.deepEqual(c.update('other', [spec('b', 'added')]), []);
});
