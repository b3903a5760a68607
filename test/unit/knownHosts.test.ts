import test from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  appendKnownHost,
  checkHostKey,
  knownHostKeyTypes,
  knownHostsLine,
  preferredHostKeyAlgorithms,
  replaceKnownHostKey,
  sshFingerprint,
  sshKeyType,
} from '../../src/core/docker/knownHosts';

const str = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);

/** An SSH wire-format ed25519 public key blob, as a server presents it. */
function ed25519Blob(): Buffer {
  const der = generateKeyPairSync('ed25519').publicKey.export({ format: 'der', type: 'spki' });
  return Buffer.concat([str(Buffer.from('ssh-ed25519')), str(der.subarray(der.length - 32))]);
}

/** A blob of another type: only its type name matters to the known_hosts logic. */
function blobOfType(type: string): Buffer {
  return Buffer.concat([str(Buffer.from(type)), str(Buffer.from('not a real key'))]);
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
  assert.equal(checkHostKey(`myhost ssh-ed25519 ${b64}\n@revoked * ssh-ed25519 ${b64}`, 'myhost', 22, key), 'revoked');
});

test('a known host presenting a key of a type known_hosts lacks is a mismatch, not a new host (a downgrade)', () => {
  const rsa = blobOfType('ssh-rsa');
  const ecdsa = blobOfType('ecdsa-sha2-nistp256');
  assert.equal(checkHostKey(`myhost ssh-ed25519 ${b64}`, 'myhost', 22, rsa), 'mismatch');
  assert.equal(checkHostKey(`myhost ssh-rsa ${rsa.toString('base64')}`, 'myhost', 22, key), 'mismatch');
  assert.equal(checkHostKey(`myhost ssh-ed25519 ${b64}\nmyhost ssh-rsa ${rsa.toString('base64')}`, 'myhost', 22, ecdsa), 'mismatch');
  // Known by one of its types and presenting that one: trusted whatever else the file holds.
  assert.equal(checkHostKey(`myhost ssh-rsa ${rsa.toString('base64')}\nmyhost ssh-ed25519 ${b64}`, 'myhost', 22, key), 'trusted');
  // Keys of other hosts, revoked keys and CA lines do not make a host known.
  assert.equal(checkHostKey(`otherhost ssh-ed25519 ${b64}`, 'myhost', 22, rsa), 'unknown');
  assert.equal(checkHostKey(`[myhost]:2222 ssh-ed25519 ${b64}`, 'myhost', 22, rsa), 'unknown');
  assert.equal(checkHostKey(`@revoked myhost ssh-ed25519 ${b64}`, 'myhost', 22, rsa), 'unknown');
  assert.equal(checkHostKey(`@cert-authority *.example ssh-ed25519 ${b64}`, 'myhost.example', 22, rsa), 'unknown');
});

test('the key types known for a host decide which host key algorithms are asked for first', () => {
  const text = [
    `myhost ssh-rsa AAAA`,
    `myhost,other ecdsa-sha2-nistp384 AAAA`,
    `@revoked myhost ssh-ed25519 ${b64}`,
    `@cert-authority * ssh-ed25519 AAAA`,
    `other ssh-ed25519 AAAA`,
    `myhost ssh-dss AAAA`,
  ].join('\n');
  assert.deepEqual(knownHostKeyTypes(text, 'myhost', 22), ['ssh-rsa', 'ecdsa-sha2-nistp384', 'ssh-dss']);
  // In ssh2's own order of preference; an RSA key signs with SHA-2 first; DSA is not offered at all.
  assert.deepEqual(preferredHostKeyAlgorithms(knownHostKeyTypes(text, 'myhost', 22)), [
    'ecdsa-sha2-nistp384',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ]);
  assert.deepEqual(preferredHostKeyAlgorithms(knownHostKeyTypes(text, 'other', 22)), ['ssh-ed25519', 'ecdsa-sha2-nistp384']);
  assert.deepEqual(preferredHostKeyAlgorithms(knownHostKeyTypes(text, 'unknown', 22)), []);
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

test('a reused address gets the new key: only the old lines for that exact name go, into known_hosts.old', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-kh-'));
  const file = path.join(dir, 'known_hosts');
  const salt = Buffer.from('0123456789abcdefghij');
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('20.1.2.3').digest('base64')}`;
  const original = [
    '# mine',
    `20.1.2.3 ssh-ed25519 ${other.toString('base64')}`,
    `${hashed} ssh-rsa AAAAold`,
    `20.1.2.3,work.example ssh-ed25519 ${other.toString('base64')}`,
    `20.1.2.* ssh-ed25519 ${other.toString('base64')}`,
    `@revoked 20.1.2.3 ssh-ed25519 ${other.toString('base64')}`,
    `[20.1.2.3]:2222 ssh-ed25519 ${other.toString('base64')}`,
    `20.1.2.30 ssh-ed25519 ${other.toString('base64')}`,
  ].join('\n') + '\n';
  fs.writeFileSync(file, original, { mode: 0o600 });
  const removed = await replaceKnownHostKey(file, ['20.1.2.3'], 22, key);
  assert.equal(removed, 3, 'the plain line, the hashed line and the name in the shared line');
  const text = fs.readFileSync(file, 'utf8');
  assert.equal(fs.readFileSync(`${file}.old`, 'utf8'), original, 'the file as it was, as ssh-keygen -R keeps it');
  assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(text.split('\n').filter(Boolean), [
    '# mine',
    `work.example ssh-ed25519 ${other.toString('base64')}`,
    `20.1.2.* ssh-ed25519 ${other.toString('base64')}`,
    `@revoked 20.1.2.3 ssh-ed25519 ${other.toString('base64')}`,
    `[20.1.2.3]:2222 ssh-ed25519 ${other.toString('base64')}`,
    `20.1.2.30 ssh-ed25519 ${other.toString('base64')}`,
    `20.1.2.3 ssh-ed25519 ${b64}`,
  ]);
  assert.equal(checkHostKey(text, '20.1.2.3', 22, key), 'trusted');
  assert.equal(checkHostKey(text, 'work.example', 22, other), 'trusted', 'other names on a shared line keep their key');
  fs.rmSync(dir, { recursive: true, force: true });
});

test('replacing a key already the only one known changes nothing and writes no backup', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-kh-'));
  const file = path.join(dir, 'known_hosts');
  assert.equal(await replaceKnownHostKey(file, ['new.example'], 22, key), 0, 'a missing file is created');
  assert.equal(await replaceKnownHostKey(file, ['new.example'], 22, key), 0);
  assert.deepEqual(fs.readFileSync(file, 'utf8'), `new.example ssh-ed25519 ${b64}\n`);
  assert.equal(fs.existsSync(`${file}.old`), false);
  fs.rmSync(dir, { recursive: true, force: true });
});
