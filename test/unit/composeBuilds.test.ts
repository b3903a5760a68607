import test from 'node:test';
import assert from 'node:assert/strict';
import { composeBuilds, imageNameSeparator } from '../../src/core/docker/composeBuilds';

const opts = { project: 'shop', projectDir: '/work/shop', separator: '-' as const };

test("services with build: are built under their image: or the project's default name; others are not built", () => {
  const resolved = [
    'services:',
    '  web:',
    '    build:',
    '      context: /work/shop/web',
    '  api:',
    '    image: registry.example/api:2',
    '    build:',
    '      context: /work/shop/api',
    '      dockerfile: ../docker/api.Dockerfile',
    '      target: final',
    '      args:',
    "        VERSION: '1.2'",
    '        EMPTY: ""',
    '        UNSET: null',
    '  cache:',
    '    image: redis',
    '',
  ].join('\n');
  assert.deepEqual(composeBuilds(resolved, opts), [
    {
      service: 'web',
      tag: 'shop-web',
      contextDir: '/work/shop/web',
      dockerfile: '/work/shop/web/Dockerfile',
      buildArgs: undefined,
      target: undefined,
    },
    {
      service: 'api',
      tag: 'registry.example/api:2',
      contextDir: '/work/shop/api',
      dockerfile: '/work/shop/docker/api.Dockerfile',
      buildArgs: { VERSION: '1.2', EMPTY: '' },
      target: 'final',
    },
  ]);
});

test('a short build: (just the context), a relative context and args as a list are read as Compose writes them', () => {
  const resolved = 'services:\n  web:\n    build: ./web\n  job:\n    build:\n      context: job\n      args: ["A=1", "B=x=y", "C"]\n';
  const [web, job] = composeBuilds(resolved, { ...opts, separator: '_' });
  assert.equal(web.tag, 'shop_web');
  assert.equal(web.contextDir, '/work/shop/web');
  assert.deepEqual(job.buildArgs, { A: '1', B: 'x=y' }, 'a name without a value is left to the Dockerfile');
});

test('a build option the builder does not honour, or a remote context, is refused naming the service, not silently dropped', () => {
  assert.throws(
    () => composeBuilds('services:\n  web:\n    build:\n      context: .\n      ssh: [default]\n      shm_size: 1g\n      network: host\n', opts),
    /^Error: Service web: the build options ssh, shm_size are not supported/,
  );
  assert.throws(
    () => composeBuilds('services:\n  web:\n    build: https://github.com/example/app.git#main\n', opts),
    /^Error: Service web: the build context https:\/\/github\.com\/example\/app\.git#main is not a local folder/,
  );
  assert.deepEqual(composeBuilds('services:\n  web:\n    build:\n      context: .\n      x-note: ours\n', opts)[0].contextDir, '/work/shop');
});

test('labels, network, extra_hosts, no_cache and pull become build flags, in the map and the list forms Compose prints', () => {
  const resolved = [
    'services:',
    '  a:',
    '    build:',
    '      context: .',
    '      network: host',
    '      labels: ["team=platform", "tier=web=1"]',
    '      extra_hosts: ["db:10.0.0.5", "v6:::1", "new=10.0.0.6"]',
    '      no_cache: true',
    '      pull: true',
    '  b:',
    '    build:',
    '      context: .',
    '      labels: { team: data }',
    '      extra_hosts: { cache: 10.0.0.7 }',
    '',
  ].join('\n');
  const [a, b] = composeBuilds(resolved, opts);
  assert.equal(a.networkMode, 'host');
  assert.deepEqual(a.labels, { team: 'platform', tier: 'web=1' });
  assert.deepEqual(a.extraHosts, ['db:10.0.0.5', 'v6:::1', 'new:10.0.0.6']);
  assert.equal(a.noCache, true);
  assert.equal(a.pull, true);
  assert.deepEqual(b.labels, { team: 'data' });
  assert.deepEqual(b.extraHosts, ['cache:10.0.0.7']);
  assert.equal(b.networkMode ?? b.noCache ?? b.pull, undefined, 'only what the file sets');
});

test('the default image name has the separator of the Compose version that looks for it', () => {
  assert.equal(imageNameSeparator('1.29.2', {}), '_');
  assert.equal(imageNameSeparator('2.9.0', {}), '_');
  assert.equal(imageNameSeparator('v2.10.2', {}), '-');
  assert.equal(imageNameSeparator('2.24.5', {}), '-');
  assert.equal(imageNameSeparator('2.24.5', { COMPOSE_COMPATIBILITY: 'true' }), '_', 'Compose v2 with --compatibility names as v1');
});
