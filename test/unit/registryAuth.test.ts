import test from 'node:test';
import assert from 'node:assert/strict';
import { parseBearerChallenge } from '../../src/core/docker/acrTokenExchange';
import { PushProgress } from '../../src/core/docker/pushImage';
import {
  registryAuthHeader,
  describeRegistryError,
  isRegistryAuthError,
  registryAuth,
  registryOf,
  repositoryOf,
  repositoryProblem,
  targetReference,
} from '../../src/core/docker/registryAuth';

test('engine error texts become a sign-in failure, an unreachable registry, or the text itself', () => {
  for (const text of [
    'unauthorized: authentication required',
    'denied: requested access to the resource is denied',
    'no basic auth credentials',
    'unauthorized: incorrect username or password',
  ]) {
    const err = describeRegistryError(text, 'reg.example.com');
    assert.ok(isRegistryAuthError(err), text);
    assert.equal(err.message, `Sign-in to reg.example.com failed: check the user name and password (${text}).`);
  }
  for (const text of [
    'Get "https://nowhere.example.com/v2/": dial tcp: lookup nowhere.example.com: no such host',
    'Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused',
    'Get "https://10.0.0.9/v2/": dial tcp 10.0.0.9:443: i/o timeout',
  ]) {
    assert.match(describeRegistryError(text, 'r').message, /^Cannot reach the registry r: check its address and that it is running/, text);
  }
  assert.match(
    describeRegistryError('Get "https://reg:5000/v2/": http: server gave HTTP response to HTTPS client', 'reg:5000').message,
    /answers over plain HTTP.*insecure-registries/,
  );
  assert.equal(describeRegistryError('blob upload invalid', 'r').message, 'Pushing to r failed: blob upload invalid');
});

test('references: the target keeps Docker Hub short, and the default repository drops registry and tag', () => {
  assert.equal(targetReference('docker.io', 'me/web', '1'), 'me/web:1');
  assert.equal(targetReference('myreg.azurecr.io', 'team/web', 'latest'), 'myreg.azurecr.io/team/web:latest');
  assert.equal(repositoryOf('web:1'), 'web');
  assert.equal(repositoryOf('localhost:5000/team/web:2'), 'team/web');
  assert.equal(repositoryOf('myreg.azurecr.io/web'), 'web');
  assert.equal(repositoryOf('team/web@sha256:abc'), 'team/web');
  assert.equal(repositoryProblem('web', 'docker.io'), 'Docker Hub repositories are ACCOUNT/NAME.');
  assert.equal(repositoryProblem('web', 'myreg.azurecr.io'), undefined);
  assert.match(repositoryProblem('Web', 'r') ?? '', /lowercase/);
  assert.equal(registryAuth('docker.io', 'u', 'p').serveraddress, 'https://index.docker.io/v1/');
  assert.equal(registryAuth('127.0.0.1:5000', 'u', 'p').serveraddress, '127.0.0.1:5000');
});

test('a Bearer challenge gives its realm and service; anything else gives nothing', () => {
  assert.deepEqual(parseBearerChallenge('Bearer realm="https://r.azurecr.io/oauth2/token",service="r.azurecr.io"'), {
    realm: 'https://r.azurecr.io/oauth2/token',
    service: 'r.azurecr.io',
  });
  assert.deepEqual(parseBearerChallenge('Basic realm="x"'), {});
  assert.deepEqual(parseBearerChallenge(undefined), {});
});

test('push progress keeps one state per layer and ignores the lines that are not layers', () => {
  const p = new PushProgress();
  assert.equal(p.update({ status: 'The push refers to repository [r/x]' }), false);
  assert.equal(p.update({ id: 'aaa', status: 'Preparing' }), true);
  p.update({ id: 'bbb', status: 'Preparing' });
  p.update({ id: 'aaa', status: 'Pushing', progressDetail: { current: 2048, total: 4096 } });
  p.update({ id: 'bbb', status: 'Layer already exists' });
  assert.equal(p.summary(), '1/2 layers, 2.05 kB sent', 'sizes as the tree and the docker CLI print them');
  p.update({ id: 'aaa', status: 'Pushed' });
  assert.equal(p.update({ id: 'latest', status: 'latest: digest: sha256:00 size: 1' }), false);
  assert.equal(p.summary(), '2/2 layers');
  assert.equal(p.done, 2);
});

test('the registry an image pulls from: a first part with a dot, a port or localhost names it; anything else is Docker Hub', () => {
  assert.equal(registryOf('contoso.azurecr.io/team/app:v1'), 'contoso.azurecr.io');
  assert.equal(registryOf('127.0.0.1:5000/app'), '127.0.0.1:5000');
  assert.equal(registryOf('localhost/app@sha256:abc'), 'localhost');
  assert.equal(registryOf('library/busybox:1.36'), 'docker.io');
  assert.equal(registryOf('busybox'), 'docker.io');
});

test('X-Registry-Auth is URL-safe base64 with its padding, as a swarm node decodes it', () => {
  // A password whose JSON needs padding and the two characters standard and URL-safe base64 differ in.
  const auth = { username: 'u', password: '>>>???~~', serveraddress: 'reg.example.com:5000' };
  const header = registryAuthHeader(auth);
  assert.match(header, /^[A-Za-z0-9_-]+={1,2}$/);
  assert.deepEqual(JSON.parse(Buffer.from(header.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString()), auth);
});
