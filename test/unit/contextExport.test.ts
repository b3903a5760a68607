import test from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { exportDockerContext, validateContextName } from '../../src/core/docker/contextExport';
import { readDockerContexts } from '../../src/core/docker/dockerContexts';

test('an exported context reads back as the same host, with its TLS files copied privately', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-export-'));
  try {
    const certs = path.join(dir, 'certs');
    fs.mkdirSync(certs);
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) {
      fs.writeFileSync(path.join(certs, f), `pem ${f}`);
    }
    const config = path.join(dir, 'docker');
    await exportDockerContext(
      config,
      'web-vm',
      {
        id: 'x',
        name: 'web',
        source: 'azure',
        address: 'tcp://web.example:2376',
        tls: { ca: path.join(certs, 'ca.pem'), cert: path.join(certs, 'cert.pem'), key: path.join(certs, 'key.pem') },
      },
      'Azure VM web',
    );
    const { hosts, problems } = await readDockerContexts(config);
    assert.deepEqual(problems, []);
    assert.equal(hosts[0].name, 'web-vm');
    assert.equal(hosts[0].address, 'tcp://web.example:2376');
    assert.equal(hosts[0].description, 'Azure VM web');
    assert.equal(fs.readFileSync(hosts[0].tls!.key!, 'utf8'), 'pem key.pem');
    assert.equal(fs.statSync(hosts[0].tls!.key!).mode & 0o777, 0o600);
    await assert.rejects(exportDockerContext(config, 'web-vm', hosts[0], 'again'), /already exists/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('context names follow the CLI rule', () => {
  assert.equal(validateContextName('my-vm.1'), undefined);
  assert.ok(validateContextName('-bad'));
  assert.ok(validateContextName('has space'));
  assert.ok(validateContextName('x'));
});
