import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { contextDirName, readDockerContexts } from '../../src/core/docker/dockerContexts';
import { DockerHostError, isDockerHostError, isUnknownHostKeyError } from '../../src/core/docker/errors';
import { DockerHostSession } from '../../src/core/docker/hostSession';
import { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { appendKnownHost } from '../../src/core/docker/knownHosts';
import { exportDockerContext } from '../../src/core/docker/contextExport';
import { waitForDaemon } from '../../src/core/docker/waitForDaemon';
import { SshdHandle, startSshd } from '../support/engines';
import { dockerCli, freePort, loadTestEnvironment, uniqueName } from '../support/testEnv';

const testEnv = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-conn-'));
const emptyHome = fs.mkdtempSync(path.join(scratch, 'home-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function connEnv(over: Partial<ConnectionEnvironment> = {}): ConnectionEnvironment {
  return { homeDir: emptyHome, knownHostsFile: testEnv.ssh.knownHostsFile, localUser: 'root', connectTimeoutMs: 5000, ...over };
}

function spec(over: Partial<DockerHostSpec> & { address: string }): DockerHostSpec {
  return { id: uniqueName('host'), name: 'test host', source: 'added', ...over };
}

async function failure(session: DockerHostSession): Promise<DockerHostError> {
  try {
    await session.load();
  } catch (err) {
    assert.ok(isDockerHostError(err), `expected a DockerHostError, got ${err}`);
    assert.equal(session.state.kind, 'failed');
    return err;
  } finally {
    session.dispose();
  }
  assert.fail('the host answered although it should not have');
}

test('the unix socket connection lists the containers and images the CLI sees', async () => {
  const name = uniqueName('unix');
  const id = (await dockerCli(['create', '--name', name, testEnv.baseImage, 'sleep', '60'])).trim();
  const session = new DockerHostSession(spec({ address: `unix://${testEnv.unixSocket}` }), connEnv());
  try {
    const snapshot = await session.load();
    assert.ok(snapshot.containers.some((c) => c.Id === id && c.Names[0] === `/${name}` && c.State === 'created'));
    assert.ok(snapshot.images.some((i) => i.RepoTags?.includes(testEnv.baseImage)));
  } finally {
    session.dispose();
    await dockerCli(['rm', '-f', id]);
  }
});

test("a host's own address wins over DOCKER_HOST and DOCKER_TLS_VERIFY in the extension's environment", async () => {
  const saved = { host: process.env.DOCKER_HOST, verify: process.env.DOCKER_TLS_VERIFY, certs: process.env.DOCKER_CERT_PATH };
  process.env.DOCKER_HOST = 'tcp://127.0.0.1:1';
  process.env.DOCKER_TLS_VERIFY = '1';
  process.env.DOCKER_CERT_PATH = path.dirname(testEnv.tls.ca);
  const sessions = [
    new DockerHostSession(spec({ address: `unix://${testEnv.unixSocket}` }), connEnv()),
    new DockerHostSession(spec({ address: `tcp://127.0.0.1:${testEnv.tls.port}`, tls: { ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key } }), connEnv()),
  ];
  try {
    for (const session of sessions) {
      assert.ok(Array.isArray((await session.load()).containers), `${session.spec.address} answered`);
    }
  } finally {
    sessions.forEach((s) => s.dispose());
    for (const [key, value] of [['DOCKER_HOST', saved.host], ['DOCKER_TLS_VERIFY', saved.verify], ['DOCKER_CERT_PATH', saved.certs]] as const) {
      if (value === undefined) {
        delete process.env[key];
      } else {
        process.env[key] = value;
      }
    }
  }
});

test('tcp with client certificates uses mutual TLS, whatever the port number', async () => {
  assert.notEqual(testEnv.tls.port, 2376, 'the test daemon listens on a random port, not the TLS convention');
  const { ca, cert, key } = testEnv.tls;
  const session = new DockerHostSession(spec({ address: `tcp://127.0.0.1:${testEnv.tls.port}`, tls: { ca, cert, key } }), connEnv());
  try {
    const snapshot = await session.load();
    assert.ok(snapshot.images.some((i) => i.RepoTags?.includes(testEnv.baseImage)));
  } finally {
    session.dispose();
  }
});

test('a wrong CA is reported as a certificate problem', async () => {
  const { wrongCa, cert, key } = testEnv.tls;
  const err = await failure(
    new DockerHostSession(spec({ address: `tcp://127.0.0.1:${testEnv.tls.port}`, tls: { ca: wrongCa, cert, key } }), connEnv()),
  );
  assert.match(err.message, /not signed by the CA you gave/);
});

test('a missing client certificate file is named', async () => {
  const { ca, key } = testEnv.tls;
  const missing = path.join(emptyHome, 'nope', 'cert.pem');
  const err = await failure(
    new DockerHostSession(spec({ address: `tcp://127.0.0.1:${testEnv.tls.port}`, tls: { ca, cert: missing, key } }), connEnv()),
  );
  assert.equal(err.code, 'TLS_FILE');
  assert.match(err.message, /client certificate file for "test host" does not exist: .*nope\/cert\.pem/);
});

test('connecting without a client certificate to a mutual-TLS daemon fails clearly', async () => {
  const err = await failure(new DockerHostSession(spec({ address: `tcp://127.0.0.1:${testEnv.tls.port}`, tls: { ca: testEnv.tls.ca } }), connEnv()));
  assert.match(err.message, /refused the client certificate|closed unexpectedly|TLS handshake/);
});

test('a refused connection and a missing socket say what to check', async () => {
  const port = await freePort();
  const refused = await failure(new DockerHostSession(spec({ address: `tcp://127.0.0.1:${port}` }), connEnv()));
  assert.match(refused.message, new RegExp(`Connection refused by 127\\.0\\.0\\.1:${port}\\. Is the Docker daemon running`));
  const noSocket = await failure(new DockerHostSession(spec({ address: 'unix:///tmp/doa-no-such.sock' }), connEnv()));
  assert.match(noSocket.message, /No Docker socket at \/tmp\/doa-no-such\.sock/);
});

test('a malformed address becomes a host error, not an exception from the tree', async () => {
  const err = await failure(new DockerHostSession(spec({ address: 'tcp://no-port-here' }), connEnv()));
  assert.match(err.message, /add the port/);
});

const sshAddress = `ssh://${testEnv.ssh.user}@${testEnv.ssh.host}:${testEnv.ssh.port}`;

test('ssh with a key file reaches the daemon through docker system dial-stdio, one connection for many requests', async () => {
  const name = uniqueName('ssh');
  const id = (await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', name, testEnv.baseImage, 'sleep', '60'])).trim();
  const logins = () =>
    fs
      .readFileSync(testEnv.logs.sshd, 'utf8')
      .split('\n')
      .filter((l) => l.includes('Accepted publickey')).length;
  const before = logins();
  const session = new DockerHostSession(spec({ address: sshAddress, identityFile: testEnv.ssh.identityFile }), connEnv());
  try {
    const first = await session.load();
    assert.ok(first.containers.some((c) => c.Id === id && c.State === 'running'));
    const docker = session.connect().docker;
    const [info, version] = await Promise.all([docker.info(), docker.version()]);
    assert.ok(info.Containers >= 1 && version.ApiVersion);
    await session.load();
    assert.equal(logins() - before, 1, 'six API requests, one SSH sign-in');
  } finally {
    session.dispose();
    await dockerCli(['rm', '-f', id]);
  }
});

test('ssh through ssh-agent, with no key file anywhere', async () => {
  const agentDir = fs.mkdtempSync(path.join(scratch, 'agent-'));
  const sock = path.join(agentDir, 'agent.sock');
  const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
  try {
    for (let i = 0; i < 50 && !fs.existsSync(sock); i++) {
      await new Promise((r) => setTimeout(r, 100));
    }
    execFileSync('ssh-add', [testEnv.ssh.identityFile], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
    const session = new DockerHostSession(spec({ address: sshAddress }), connEnv({ sshAuthSock: sock }));
    try {
      const snapshot = await session.load();
      assert.ok(snapshot.images.some((i) => i.RepoTags?.includes(testEnv.baseImage)));
    } finally {
      session.dispose();
    }
  } finally {
    agent.kill();
  }
});

test('an unknown ssh host key stops the connection with its fingerprint; trusting it lets the next attempt in', async () => {
  const knownHostsFile = path.join(fs.mkdtempSync(path.join(scratch, 'kh-')), '.ssh', 'known_hosts');
  const env = connEnv({ knownHostsFile });
  const err = await failure(new DockerHostSession(spec({ address: sshAddress, identityFile: testEnv.ssh.identityFile }), env));
  assert.ok(isUnknownHostKeyError(err));
  const expected = execFileSync('ssh-keygen', ['-lf', '-'], { input: testEnv.ssh.hostKeyPublic }).toString().split(' ')[1];
  assert.equal(err.fingerprint, expected, 'the fingerprint is the one ssh-keygen prints for the server key');
  assert.match(err.message, /not known yet/);
  await appendKnownHost(err.knownHostsFile, err.knownHostsLine);
  const session = new DockerHostSession(spec({ address: sshAddress, identityFile: testEnv.ssh.identityFile }), env);
  try {
    assert.ok((await session.load()).images.length > 0);
  } finally {
    session.dispose();
  }
});

/** A known_hosts that holds another ed25519 key for the test sshd, as after a host was rebuilt. */
function staleKnownHosts(): string {
  const dir = fs.mkdtempSync(path.join(scratch, 'kh-'));
  const otherKey = path.join(dir, 'other');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey]);
  const knownHostsFile = path.join(dir, 'known_hosts');
  const [type, blob] = fs.readFileSync(`${otherKey}.pub`, 'utf8').split(' ');
  fs.writeFileSync(knownHostsFile, `[127.0.0.1]:${testEnv.ssh.port} ${type} ${blob}\n`);
  return knownHostsFile;
}

test('a changed ssh host key is refused as a mismatch', async () => {
  const knownHostsFile = staleKnownHosts();
  const err = await failure(
    new DockerHostSession(spec({ address: sshAddress, identityFile: testEnv.ssh.identityFile }), connEnv({ knownHostsFile })),
  );
  assert.equal(err.code, 'HOST_KEY_MISMATCH');
  assert.match(err.message, /does not match the one in/);
});

test('waiting for a new host stops at once on a changed host key instead of retrying until the deadline', async () => {
  // A reused public IP: the old VM's key is still in known_hosts.
  const knownHostsFile = staleKnownHosts();
  let attempts = 0;
  const err = await waitForDaemon(spec({ address: sshAddress, identityFile: testEnv.ssh.identityFile }), connEnv({ knownHostsFile }), {
    timeoutMs: 30_000,
    intervalMs: 500,
    onAttempt: () => attempts++,
  }).then(
    () => assert.fail('a changed host key must not connect'),
    (e: DockerHostError) => e,
  );
  assert.equal(err.code, 'HOST_KEY_MISMATCH');
  assert.equal(attempts, 0, 'no retry: waiting cannot change a host key');
});

/** A second real sshd that has no ed25519 host key, only ecdsa and rsa ones (ssh2 prefers ecdsa of those). */
let noEd25519: SshdHandle;
before(async () => {
  noEd25519 = await startSshd({
    dir: path.join(testEnv.rootDir, 'ssh-keytypes'),
    port: await freePort(),
    dockerSocketPath: testEnv.unixSocket,
    hostKeyTypes: ['ecdsa', 'rsa'],
  });
});
after(() => noEd25519?.stop());

function noEd25519Session(knownHostsLines: string[]): DockerHostSession {
  const knownHostsFile = path.join(fs.mkdtempSync(path.join(scratch, 'kh-')), 'known_hosts');
  fs.writeFileSync(knownHostsFile, knownHostsLines.map((key) => `[127.0.0.1]:${noEd25519.port} ${key}\n`).join(''));
  return new DockerHostSession(
    spec({ address: `ssh://root@127.0.0.1:${noEd25519.port}`, identityFile: noEd25519.identityFile }),
    connEnv({ knownHostsFile }),
  );
}

test('a host known by an ed25519 key that presents only other key types is refused as a changed key, not offered as new', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'kh-'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'old')]);
  const known = fs.readFileSync(path.join(dir, 'old.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
  const err = await failure(noEd25519Session([known]));
  assert.equal(isUnknownHostKeyError(err), false, 'no "trust this new host" offer');
  assert.equal(err.code, 'HOST_KEY_MISMATCH');
  assert.match(err.message, /^The SSH host key of 127\.0\.0\.1:\d+ \(ecdsa-sha2-nistp256 SHA256:\S+\) does not match /);
  assert.match(err.message, /knows this host only by its ssh-ed25519 key/);
  assert.match(err.message, /check before you edit known_hosts/);
});

test('a host known by only one of its key types is trusted: the dial asks for the known type first, as OpenSSH does', async () => {
  const rsa = noEd25519.hostKeysPublic.find((k) => k.startsWith('ssh-rsa '));
  assert.ok(rsa);
  const session = noEd25519Session([rsa]);
  try {
    assert.ok((await session.load()).images.some((i) => i.RepoTags?.includes(testEnv.baseImage)));
  } finally {
    session.dispose();
  }
});

test('ssh with a key the server does not accept says so', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'key-'));
  const key = path.join(dir, 'id_ed25519');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const err = await failure(new DockerHostSession(spec({ address: sshAddress, identityFile: key }), connEnv()));
  assert.equal(err.code, 'SSH_AUTH');
  assert.match(err.message, /SSH sign-in to .* was refused/);
});

test('ssh to a closed port is a refused connection', async () => {
  const port = await freePort();
  const err = await failure(
    new DockerHostSession(spec({ address: `ssh://root@127.0.0.1:${port}`, identityFile: testEnv.ssh.identityFile }), connEnv()),
  );
  assert.match(err.message, /Connection refused/);
});

test('a context made by the docker CLI itself is read and reaches its daemon over TLS', async () => {
  const configDir = fs.mkdtempSync(path.join(scratch, 'dc-'));
  const { ca, cert, key, port } = testEnv.tls;
  execFileSync(
    'docker',
    [
      'context',
      'create',
      'tls-test',
      '--description',
      'made by the CLI',
      '--docker',
      `host=tcp://127.0.0.1:${port},ca=${ca},cert=${cert},key=${key}`,
    ],
    {
      env: { ...process.env, DOCKER_CONFIG: configDir },
      stdio: 'ignore',
    },
  );
  assert.ok(fs.existsSync(path.join(configDir, 'contexts', 'meta', contextDirName('tls-test'), 'meta.json')));
  const contexts = await readDockerContexts(configDir);
  assert.deepEqual(contexts.problems, []);
  const [ctx] = contexts.hosts;
  assert.equal(ctx.name, 'tls-test');
  assert.equal(ctx.description, 'made by the CLI');
  assert.ok(ctx.tls?.ca && ctx.tls.cert && ctx.tls.key);
  const session = new DockerHostSession(ctx, connEnv());
  try {
    assert.ok((await session.load()).images.some((i) => i.RepoTags?.includes(testEnv.baseImage)));
  } finally {
    session.dispose();
  }
});

test('an exported context works with the real docker CLI: docker --context NAME ps', async () => {
  const configDir = fs.mkdtempSync(path.join(scratch, 'export-'));
  const { ca, cert, key, port } = testEnv.tls;
  await exportDockerContext(configDir, 'exported-vm', spec({ address: `tcp://127.0.0.1:${port}`, tls: { ca, cert, key } }), 'exported by the test');
  const out = execFileSync('docker', ['--context', 'exported-vm', 'images', '--format', '{{.Repository}}:{{.Tag}}'], {
    env: { ...process.env, DOCKER_CONFIG: configDir },
  }).toString();
  assert.match(out, new RegExp(testEnv.baseImage.replace(/[.:/]/g, '\\$&')));
});

test('a host whose certificates live in SecretStorage (a provisioned TLS host) exports a context the docker CLI can use', async () => {
  const configDir = fs.mkdtempSync(path.join(scratch, 'export-pem-'));
  const { port } = testEnv.tls;
  const [ca, cert, key] = [testEnv.tls.ca, testEnv.tls.cert, testEnv.tls.key].map((f) => fs.readFileSync(f, 'utf8'));
  await exportDockerContext(configDir, 'provisioned-vm', spec({ address: `tcp://127.0.0.1:${port}`, tlsPem: { ca, cert, key } }), 'exported by the test');
  const out = execFileSync('docker', ['--context', 'provisioned-vm', 'images', '--format', '{{.Repository}}:{{.Tag}}'], {
    env: { ...process.env, DOCKER_CONFIG: configDir },
  }).toString();
  assert.match(out, new RegExp(testEnv.baseImage.replace(/[.:/]/g, '\\$&')));
  const keyFile = path.join(configDir, 'contexts', 'tls', contextDirName('provisioned-vm'), 'docker', 'key.pem');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the private key is readable by its owner only');
});
