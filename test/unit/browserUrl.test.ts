import test from 'node:test';
import assert from 'node:assert/strict';
import { browserUrlForPort } from '../../src/core/docker/browserUrl';

const port = (hostIp: string, hostPort = 8080) => ({ hostIp, hostPort, containerPort: 80, protocol: 'tcp' });

test('local engine ports open on localhost', () => {
  assert.deepEqual(browserUrlForPort('unix:///var/run/docker.sock', port('0.0.0.0')), { reachable: true, url: 'http://localhost:8080' });
  assert.deepEqual(browserUrlForPort('unix:///var/run/docker.sock', port('127.0.0.1')), { reachable: true, url: 'http://127.0.0.1:8080' });
});

test('remote ports open on the host address', () => {
  assert.deepEqual(browserUrlForPort('ssh://u@vm.example:2222', port('0.0.0.0')), { reachable: true, url: 'http://vm.example:8080' });
  assert.deepEqual(browserUrlForPort('tcp://[2001:db8::1]:2376', port('0.0.0.0', 81)), { reachable: true, url: 'http://[2001:db8::1]:81' });
});

test("a remote port bound to the remote host's loopback is explained, not opened", () => {
  const result = browserUrlForPort('ssh://u@vm.example', port('127.0.0.1'));
  assert.equal(result.reachable, false);
  assert.match((result as { reason: string }).reason, /remote host's loopback/);
});
