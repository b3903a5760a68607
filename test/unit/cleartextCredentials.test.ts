import test from 'node:test';
import assert from 'node:assert/strict';
import { mayHandOverCredentials, type CleartextConsent } from '../../src/core/docker/cleartextCredentials';
import type { Transport } from '../../src/core/docker/errors';
import { registryAuth } from '../../src/core/docker/registryAuth';

/** Remembers in memory and answers as told, counting what it was asked. */
function consent(answer: boolean): CleartextConsent & { asked: string[] } {
  const allowed: string[] = [];
  const asked: string[] = [];
  return {
    asked,
    allowed: () => allowed,
    ask: (engine, what) => {
      asked.push(`${engine} ${what}`);
      return Promise.resolve(answer);
    },
    remember: (engine) => {
      allowed.push(engine);
      return Promise.resolve();
    },
  };
}

const push = { registry: 'reg.example.com', auth: registryAuth('reg.example.com', 'u', 'p') };

test('credentials go to engines reached over a socket, SSH or TLS without asking', async () => {
  for (const transport of ['socket', 'ssh', 'tls'] as Transport[]) {
    const c = consent(false);
    assert.equal(await mayHandOverCredentials({ transport, where: 'h:1' }, push, c), true, transport);
    assert.deepEqual(c.asked, []);
  }
});

test('a push without credentials to a plain HTTP engine asks nothing: nothing secret travels', async () => {
  const c = consent(false);
  assert.equal(await mayHandOverCredentials({ transport: 'tcp', where: 'h:2375' }, { registry: 'open.example.com' }, c), true);
  assert.deepEqual(c.asked, []);
});

test('a plain HTTP engine: asked once per address; a refusal is not remembered', async () => {
  const refusing = consent(false);
  assert.equal(await mayHandOverCredentials({ transport: 'tcp', where: 'h:2375' }, push, refusing), false);
  assert.equal(await mayHandOverCredentials({ transport: 'tcp', where: 'h:2375' }, push, refusing), false);
  assert.deepEqual(refusing.asked, ['h:2375 the credentials for reg.example.com', 'h:2375 the credentials for reg.example.com']);

  const agreeing = consent(true);
  assert.equal(await mayHandOverCredentials({ transport: 'tcp', where: 'h:2375' }, push, agreeing), true);
  assert.equal(await mayHandOverCredentials({ transport: 'tcp', where: 'h:2375' }, push, agreeing), true);
  assert.equal(await mayHandOverCredentials({ transport: 'tcp', where: 'other:2375' }, push, agreeing), true);
  assert.deepEqual(agreeing.asked, ['h:2375 the credentials for reg.example.com', 'other:2375 the credentials for reg.example.com']);
});
