import test from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { appendKnownHost, checkHostKey, knownHostsLine, sshFingerprint, sshKeyType } from '../../src/core/docker/knownHosts';

/** An SSH wire-format ed25519 public key blob, as a server presents it. */
function ed25519Blob(): Buffer {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  const raw = der.subarray(der.length - 32);
  const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]);
}

const key = ed25519Blob();
const other = ed25519Blob();
const b64 = key.toString('base64');

test('reads the key type and fingerprint as ssh prints them', () => {
  assert.equal(sshKeyType(key), 'ssh-ed25519');
  assert.match(sshFingerprint(key), /^SHA256:[A-Za-z0-9+/]{43}$/);
  assert.notEqual(sshFingerprint(key), sshFingerprint(other));
});

test('trusts a plain entry on port 22 and a [host]:port entry on another port', () => {
  assert.equal(checkHostKey(`myhost ssh-ed25519 ${b64}\n`, 'myhost', 22, key), 'trusted');
  assert.equal(checkHostKey(`[myhost]:2222 ssh-ed25519 ${b64}\n`, 'myhost', 2222, key), 'trusted');
  assert.equal(checkHostKey(`myhost ssh-ed25519 ${b64}\n`, 'myhost', 2222, key), 'unknown');
});

test('matches comma lists, wildcards and negations', () => {
  const text = `a.example,*.azure.example,!bad.azure.example ssh-ed25519 ${b64}`;
  assert.equal(checkHostKey(text, 'a.example', 22, key), 'trusted');
  assert.equal(checkHostKey(text, 'vm1.azure.example', 22, key), 'trusted');
  assert.equal(checkHostKey(text, 'bad.azure.example', 22, key), 'unknown');
});

test('matches hashed host names (HashKnownHosts yes)', () => {
  const salt = Buffer.from('0123456789abcdef0123');
  const hash = createHmac('sha1', salt).update('[10.1.2.3]:2200').digest('base64');
  const text = `|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${b64}`;
  assert.equal(checkHostKey(text, '10.1.2.3', 2200, key), 'trusted');
  assert.equal(checkHostKey(text, '10.1.2.4', 2200, key), 'unknown');
});

test('a different key of the same type for a known host is a mismatch; @revoked wins', () => {
  assert.equal(checkHostKey(`myhost ssh-ed25519 ${other.toString('base64')}`, 'myhost', 22, key), 'mismatch');
  assert.equal(checkHostKey(`myhost ssh-rsa AAAAB3NzaC1yc2E=`, 'myhost', 22, key), 'unknown');
  assert.equal(checkHostKey(`myhost ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${b64}`, 'myhost', 22, key), 'revoked');
});

test('ignores comments, blank lines and malformed lines', () => {
  assert.equal(checkHostKey(`# comment\n\ngarbage\nmyhost ssh-ed25519 ${b64} comment words`, 'myhost', 22, key), 'trusted');
});

test('appending a host creates ~/.ssh and known_hosts with private permissions, and the result verifies', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-kh-'));
  const file = path.join(dir, '.ssh', 'known_hosts');
  await appendKnownHost(file, knownHostsLine('h.example', 2222, key));
  await appendKnownHost(file, knownHostsLine('other.example', 22, other));
  assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  const text = fs.readFileSync(file, 'utf8');
  assert.equal(checkHostKey(text, 'h.example', 2222, key), 'trusted');
  assert.equal(checkHostKey(text, 'other.example', 22, other), 'trusted');
  assert.equal(text.split('\n').filter(Boolean).length, 2);
  fs.rmSync(dir, { recursive: true, force: true });
});
