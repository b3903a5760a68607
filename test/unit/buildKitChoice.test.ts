import test from 'node:test';
import assert from 'node:assert/strict';
import { buildKitUnavailable, sessionSharedKey } from '../../src/core/docker/buildImage';

test('BuildKit is used on Linux engines from API 1.39; older or Windows engines get the classic builder, with the reason', () => {
  assert.equal(buildKitUnavailable({ ApiVersion: '1.41', Os: 'linux' }), undefined);
  assert.equal(buildKitUnavailable({ ApiVersion: '1.39', Os: 'linux' }), undefined);
  assert.equal(buildKitUnavailable({ ApiVersion: '1.38', Os: 'linux' }), "its engine's API 1.38 is older than 1.39");
  assert.equal(buildKitUnavailable({ ApiVersion: '1.44', Os: 'windows' }), 'its engine runs windows containers');
});

test("the session's shared key is stable per client and folder, and differs between folders and clients", () => {
  const key = sessionSharedKey('client-a', '/work/app');
  assert.match(key, /^[0-9a-f]{64}$/);
  assert.equal(sessionSharedKey('client-a', '/work/app/'), key, 'the same folder, however written');
  assert.notEqual(sessionSharedKey('client-a', '/work/other'), key);
  assert.notEqual(sessionSharedKey('client-b', '/work/app'), key);
});
