import test from 'node:test';
import assert from 'node:assert/strict';
import { describeDockerError, DockerHostError, isDockerHostError, isUnknownHostKeyError } from '../../src/core/docker/errors';

const cases: [object, RegExp, string][] = [
  [
    { code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:2376' },
    /Connection refused by h:1\. Is the Docker daemon running/,
    'ECONNREFUSED',
  ],
  [{ code: 'ENOENT', message: 'connect ENOENT /x.sock' }, /No Docker socket at h:1/, 'ENOENT'],
  [{ code: 'EACCES' }, /Permission denied.*docker" group/, 'EACCES'],
  [{ code: 'ENOTFOUND' }, /Cannot resolve the host name/, 'ENOTFOUND'],
  [{ code: 'SELF_SIGNED_CERT_IN_CHAIN' }, /not signed by the CA you gave/, 'SELF_SIGNED_CERT_IN_CHAIN'],
  [{ code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, /not issued for this address/, 'ERR_TLS_CERT_ALTNAME_INVALID'],
  [{ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }, /refused the client certificate/, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'],
  [{ level: 'client-authentication', message: 'All configured authentication methods failed' }, /SSH sign-in to h:1 was refused/, 'SSH_AUTH'],
  [{ level: 'client-timeout', message: 'Timed out while waiting for handshake' }, /did not complete the SSH handshake/, 'ETIMEDOUT'],
  [{ statusCode: 404, json: { message: 'No such container: x' } }, /answered 404: No such container: x/, 'HTTP_404'],
];

for (const [err, message, code] of cases) {
  test(`explains ${code}`, () => {
    const described = describeDockerError(err, 'h:1');
    assert.ok(described instanceof DockerHostError);
    assert.match(described.message, message);
    assert.equal(described.code, code);
  });
}

test('a dropped connection is explained for the way the host is reached: certificates only for TLS, SSH only for SSH', () => {
  const reset = { code: 'ECONNRESET', message: 'socket hang up' };
  const socket = describeDockerError(reset, '/run/docker.sock', 'socket').message;
  assert.match(socket, /closed unexpectedly\. The Docker daemon may have stopped/);
  assert.doesNotMatch(socket, /certificate|SSH/i);
  assert.doesNotMatch(describeDockerError(reset, 'h:2375', 'tcp').message, /certificate|SSH/i);
  assert.match(describeDockerError(reset, 'h:2376', 'tls').message, /refused the client certificate/);
  const ssh = describeDockerError(reset, 'h:22', 'ssh').message;
  assert.match(ssh, /SSH server/);
  assert.doesNotMatch(ssh, /certificate/i);
});

test('keeps an already described error and the raw text of an unknown one', () => {
  const mine = new DockerHostError('mine', 'X');
  assert.equal(describeDockerError(mine, 'h'), mine);
  assert.equal(describeDockerError(new Error('weird'), 'h').message, 'h: weird');
});

test('errors from the separately bundled connection layer are recognised by their mark, not their class', () => {
  const modulePath = require.resolve('../../src/core/docker/errors');
  delete require.cache[modulePath];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const otherCopy = require(modulePath) as typeof import('../../src/core/docker/errors');
  assert.notEqual(otherCopy.DockerHostError, DockerHostError, 'a second copy of the module, as in dist/vendor.js');
  const foreign = new otherCopy.UnknownHostKeyError('h', 22, 'ssh-ed25519', 'SHA256:x', 'h ssh-ed25519 AAAA', '/k');
  assert.equal(foreign instanceof DockerHostError, false);
  assert.equal(isDockerHostError(foreign), true);
  assert.equal(isUnknownHostKeyError(foreign), true);
  assert.equal(describeDockerError(foreign, 'elsewhere'), foreign);
  assert.equal(isUnknownHostKeyError(new otherCopy.DockerHostError('x', 'ECONNREFUSED')), false);
});
