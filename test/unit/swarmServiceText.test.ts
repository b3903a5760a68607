import test from 'node:test';
import assert from 'node:assert/strict';
import { parseDetails, serviceLogLineText } from '../../src/core/swarm/serviceLogs';
import { isImageName, taskChangeText } from '../../src/core/swarm/serviceUpdate';

test('a service log line’s details are read as the daemon escapes them; the line is prefixed by task and node', () => {
  const d = parseDetails('com.docker.swarm.node.id=n1id,com.docker.swarm.task.id=t1,team=a+b%2Cc,broken=%E0%A4%A');
  assert.equal(d.get('com.docker.swarm.node.id'), 'n1id');
  assert.equal(d.get('com.docker.swarm.task.id'), 't1');
  assert.equal(d.get('team'), 'a b,c');
  assert.equal(d.get('broken'), '%E0%A4%A', 'a malformed escape stays as it came');
  assert.equal(
    serviceLogLineText({ timestamp: '2026-01-01T00:00:00.000000000Z', task: 'web.2', node: 'n3', text: 'GET / 200' }),
    '2026-01-01T00:00:00.000000000Z web.2@n3 | GET / 200',
  );
});

test('task changes read as old → new state with the image; image names are checked before anything is sent', () => {
  assert.equal(
    taskChangeText({ taskId: 'x', task: 'web.1', node: 'n2', image: 'web:2', from: 'starting', to: 'running' }),
    'web.1 on n2: starting → running (web:2)',
  );
  assert.equal(
    taskChangeText({ taskId: 'x', task: 'web.1', node: 'n2', image: 'web:3', to: 'failed', error: 'task: non-zero exit (1)' }),
    'web.1 on n2: failed (web:3) — task: non-zero exit (1)',
  );
  assert.ok(isImageName('myregistry.azurecr.io/web:2'));
  assert.ok(isImageName(`web@sha256:${'a'.repeat(64)}`));
  assert.ok(!isImageName('web: 2'));
  assert.ok(!isImageName(''));
  assert.ok(!isImageName('web@latest'));
});
