import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { contextDirName, dockerConfigDir, readDockerContexts } from '../../src/core/docker/dockerContexts';

function writeContext(configDir: string, name: string, meta: unknown, tls?: string[]): void {
  const dir = path.join(configDir, 'contexts', 'meta', contextDirName(name));
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'meta.json'), typeof meta === 'string' ? meta : JSON.stringify(meta));
  if (tls) {
    const tlsDir = path.join(configDir, 'contexts', 'tls', contextDirName(name), 'docker');
    fs.mkdirSync(tlsDir, { recursive: true });
    for (const f of tls) {
      fs.writeFileSync(path.join(tlsDir, f), 'pem');
    }
  }
}

test('contexts folders are named by the SHA-256 of the context name, as the CLI does', () => {
  // The value is `echo -n my-context | sha256sum`, the folder `docker context create my-context` makes.
  assert.equal(contextDirName('my-context'), '60b9683c6c2b05b8adc06ff4d150b15a5c69d74c7a7ee35bd733df12861dd2b0');
});

test('reads ssh and tls contexts, their TLS folder and the current context', async () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-ctx-'));
  writeContext(configDir, 'azure-vm', {
    Name: 'azure-vm',
    Metadata: { Description: 'my VM' },
    Endpoints: { docker: { Host: 'ssh://azureuser@vm.example', SkipTLSVerify: false } },
  });
  writeContext(configDir, 'tls-box', { Name: 'tls-box', Metadata: {}, Endpoints: { docker: { Host: 'tcp://10.0.0.5:2376', SkipTLSVerify: true } } }, [
    'ca.pem',
    'cert.pem',
    'key.pem',
  ]);
  fs.writeFileSync(path.join(configDir, 'config.json'), JSON.stringify({ currentContext: 'tls-box' }));
  const result = await readDockerContexts(configDir);
  assert.equal(result.currentContext, 'tls-box');
  assert.deepEqual(result.problems, []);
  assert.deepEqual(
    result.hosts.map((h) => [h.id, h.name, h.address, h.description, h.skipTlsVerify]),
    [
      ['context:azure-vm', 'azure-vm', 'ssh://azureuser@vm.example', 'my VM', false],
      ['context:tls-box', 'tls-box', 'tcp://10.0.0.5:2376', undefined, true],
    ],
  );
  const tls = result.hosts[1].tls!;
  assert.equal(tls.ca, path.join(configDir, 'contexts', 'tls', contextDirName('tls-box'), 'docker', 'ca.pem'));
  assert.ok(tls.cert && tls.key);
  assert.equal(result.hosts[0].tls, undefined);
  fs.rmSync(configDir, { recursive: true, force: true });
});

test('a context with broken JSON or no host is reported and the others still load', async () => {
  const configDir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-ctx-'));
  writeContext(configDir, 'good', { Name: 'good', Endpoints: { docker: { Host: 'unix:///tmp/x.sock' } } });
  writeContext(configDir, 'broken', '{"Name": "broken", ');
  writeContext(configDir, 'nohost', { Name: 'nohost', Endpoints: {} });
  fs.writeFileSync(path.join(configDir, 'config.json'), '{ not json');
  const result = await readDockerContexts(configDir);
  assert.deepEqual(
    result.hosts.map((h) => h.name),
    ['good'],
  );
  assert.equal(result.problems.length, 2);
  assert.ok(result.problems.some((p) => /broken JSON/.test(p.message) && p.location.endsWith('meta.json')));
  assert.ok(result.problems.some((p) => /"nohost" has no Docker endpoint host/.test(p.message)));
  assert.equal(result.currentContext, undefined);
  fs.rmSync(configDir, { recursive: true, force: true });
});

test('no contexts folder means no contexts, not an error', async () => {
  const result = await readDockerContexts(path.join(os.tmpdir(), 'doa-does-not-exist'));
  assert.deepEqual(result, { hosts: [], problems: [] });
});

test('DOCKER_CONFIG overrides ~/.docker', () => {
  assert.equal(dockerConfigDir({ DOCKER_CONFIG: '/etc/dc' }, '/home/u'), '/etc/dc');
  assert.equal(dockerConfigDir({}, '/home/u'), '/home/u/.docker');
});
