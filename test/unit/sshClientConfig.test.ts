import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { addSshHostEntry, missingSshDirectives } from '../../src/core/docker/sshClientConfig';

const home = '/home/dev';
const needs = (over: Partial<{ identityFile: string; knownHostsFile: string }> = {}) => ({
  host: '20.1.2.3',
  identityFile: `${home}/.ssh/web_ed25519`,
  knownHostsFile: `${home}/.ssh/known_hosts`,
  ...over,
});

test("OpenSSH's default key and known_hosts need no entry; another key or file does", () => {
  assert.equal(missingSshDirectives('', needs({ identityFile: `${home}/.ssh/id_ed25519` }), home), undefined);
  assert.deepEqual(missingSshDirectives('', needs(), home), { IdentityFile: `${home}/.ssh/web_ed25519` });
  assert.deepEqual(missingSshDirectives('', needs({ identityFile: undefined, knownHostsFile: '/srv/kh' }), home), { UserKnownHostsFile: '/srv/kh' });
});

test('an entry the user already has for the host, by name or by wildcard, counts; one for another host does not', () => {
  const text = ['Host 20.1.2.*', '  IdentityFile ~/.ssh/web_ed25519', 'Host other', '  UserKnownHostsFile /srv/kh'].join('\n');
  assert.equal(missingSshDirectives(text, needs(), home), undefined);
  assert.deepEqual(missingSshDirectives(text, needs({ knownHostsFile: '/srv/kh' }), home), { UserKnownHostsFile: '/srv/kh' });
  // A key named for every host replaces the defaults, so a default key is then missing.
  assert.deepEqual(missingSshDirectives('IdentityFile ~/.ssh/work', needs({ identityFile: `${home}/.ssh/id_rsa` }), home), { IdentityFile: `${home}/.ssh/id_rsa` });
});

test('reading the config never runs its Match exec commands', () => {
  const marker = path.join(os.tmpdir(), `doa-match-exec-${process.pid}`);
  missingSshDirectives(`Match exec "touch ${marker}"\n  IdentityFile /x\n`, needs(), home);
  assert.equal(fs.existsSync(marker), false);
});

test('the entry is added at the end, every other line stays, and ssh itself resolves the host with it', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-sshcfg-'));
  const first = await addSshHostEntry(dir, needs({ identityFile: `${dir}/.ssh/web_ed25519`, knownHostsFile: '/srv/kh' }), { IdentityFile: `${dir}/.ssh/web_ed25519`, UserKnownHostsFile: '/srv/kh' }, 'web (Docker on Azure)');
  assert.equal(fs.statSync(path.join(dir, '.ssh')).mode & 0o777, 0o700);
  assert.equal(fs.statSync(first.file).mode & 0o777, 0o600);
  assert.equal(first.stillMissing, undefined);
  const mine = 'Host work\n  User me\n';
  fs.writeFileSync(first.file, mine + fs.readFileSync(first.file, 'utf8'));
  const second = await addSshHostEntry(dir, { host: '20.1.2.4', knownHostsFile: '/srv/kh' }, { UserKnownHostsFile: '/srv/kh' }, 'db (Docker on Azure)');
  const text = fs.readFileSync(second.file, 'utf8');
  assert.ok(text.startsWith(mine), text);
  assert.match(text, /# db \(Docker on Azure\)\n+Host 20\.1\.2\.4\n {2}UserKnownHostsFile \/srv\/kh\n$/);
  const resolved = execFileSync('ssh', ['-G', '-F', second.file, '20.1.2.3'], { encoding: 'utf8' });
  assert.match(resolved, new RegExp(`^identityfile ${dir}/\\.ssh/web_ed25519$`, 'm'));
  assert.match(resolved, /^userknownhostsfile \/srv\/kh$/m);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('an earlier entry for every host that sets the known_hosts file wins, and is reported', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-sshcfg-'));
  fs.mkdirSync(path.join(dir, '.ssh'));
  fs.writeFileSync(path.join(dir, '.ssh', 'config'), 'Host *\n  UserKnownHostsFile ~/.ssh/corp_hosts\n');
  const result = await addSshHostEntry(dir, needs({ identityFile: undefined, knownHostsFile: '/srv/kh' }), { UserKnownHostsFile: '/srv/kh' }, 'x');
  assert.deepEqual(result.stillMissing, { UserKnownHostsFile: '/srv/kh' });
  fs.rmSync(dir, { recursive: true, force: true });
});
