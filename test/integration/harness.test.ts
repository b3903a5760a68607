import test from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import Docker from 'dockerode';
import { startDockerd, toolEnv } from '../support/engines';
import { dockerCli, eventually, freePort, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';

const env = loadTestEnvironment();

function ssh(command: string): Promise<string> {
  const s = env.ssh;
  return new Promise((resolve, reject) => {
    execFile(
      'ssh',
      [
        '-F',
        '/dev/null',
        '-i',
        s.identityFile,
        '-o',
        'IdentitiesOnly=yes',
        '-o',
        `UserKnownHostsFile=${s.knownHostsFile}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=yes',
        '-o',
        'BatchMode=yes',
        '-p',
        String(s.port),
        `${s.user}@${s.host}`,
        command,
      ],
      { env: toolEnv(), timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err) {
          reject(new Error(`ssh ${command}: ${err.message}\n${stderr}`));
        } else {
          resolve(stdout);
        }
      },
    );
  });
}

function tlsDocker(opts: { ca: string; cert?: string; key?: string }): Docker {
  return new Docker({
    host: env.tls.host,
    port: env.tls.port,
    protocol: 'https',
    ca: fs.readFileSync(opts.ca),
    cert: opts.cert ? fs.readFileSync(opts.cert) : undefined,
    key: opts.key ? fs.readFileSync(opts.key) : undefined,
    timeout: 10_000,
  });
}

test('the unix-socket daemon answers /_ping and has the base image', async () => {
  const docker = new Docker({ socketPath: env.unixSocket });
  const pong = await docker.ping();
  assert.equal(pong.toString(), 'OK');
  const images = await docker.listImages();
  assert.ok(
    images.some((i) => (i.RepoTags ?? []).includes(env.baseImage)),
    `${env.baseImage} is listed`,
  );
});

test('a Dockerfile FROM the base image builds', async () => {
  const ctx = await fsp.mkdtemp(path.join(env.rootDir, 'ctx-'));
  const tag = `local/${uniqueName('harness-build')}:1`;
  try {
    await fsp.writeFile(path.join(ctx, 'Dockerfile'), `FROM ${env.baseImage}\nRUN echo built > /tmp/marker\nCMD ["cat", "/tmp/marker"]\n`);
    await dockerCli(['build', '-q', '-t', tag, ctx]);
    const out = await dockerCli(['run', '--rm', tag]);
    assert.equal(out.trim(), 'built');
  } finally {
    await dockerCli(['rmi', '-f', tag]).catch(() => undefined);
    await fsp.rm(ctx, { recursive: true, force: true });
  }
});

test('the TLS daemon answers with the client certificate', async () => {
  const docker = tlsDocker({ ca: env.tls.ca, cert: env.tls.cert, key: env.tls.key });
  assert.equal((await docker.ping()).toString(), 'OK');
  const images = await docker.listImages();
  assert.ok(images.some((i) => (i.RepoTags ?? []).includes(env.baseImage)));
  const version = await dockerCli(['version', '--format', '{{.Server.APIVersion}}'], env.tls);
  assert.match(version.trim(), /^1\.\d+$/);
});

test('the TLS daemon rejects a client without a certificate', async () => {
  await assert.rejects(tlsDocker({ ca: env.tls.ca }).ping());
});

test('a client trusting the wrong CA rejects the TLS daemon', async () => {
  await assert.rejects(
    tlsDocker({ ca: env.tls.wrongCa, cert: env.tls.cert, key: env.tls.key }).ping(),
    /self[- ]signed|unable to verify|certificate/i,
  );
});

test('ssh with the generated key and known_hosts reaches the main daemon', async () => {
  const version = await ssh('docker version --format "{{.Server.Version}}"');
  assert.match(version.trim(), /^\d+\.\d+/);
  // The same image id proves the session's DOCKER_HOST is the test daemon, not some other one.
  const remoteId = await ssh(`docker image inspect --format "{{.Id}}" ${env.baseImage}`);
  const localId = await dockerCli(['image', 'inspect', '--format', '{{.Id}}', env.baseImage]);
  assert.equal(remoteId.trim(), localId.trim());
});

test('a published busybox httpd answers HTTP from the host', async () => {
  const port = await freePort();
  const name = uniqueName('harness-httpd');
  try {
    await dockerCli([
      'run',
      '-d',
      '--name',
      name,
      '-p',
      `127.0.0.1:${port}:80`,
      env.baseImage,
      'sh',
      '-c',
      'echo hello-from-busybox > /tmp/index.html && exec httpd -f -p 80 -h /tmp',
    ]);
    const res = await eventually(() => httpGet(`http://127.0.0.1:${port}/`));
    assert.equal(res.status, 200);
    assert.equal(res.body.trim(), 'hello-from-busybox');
  } finally {
    await dockerCli(['rm', '-f', name]).catch(() => undefined);
  }
});

test('an extra daemon survives kill and restart, and stop leaves nothing running', async () => {
  const dir = await fsp.mkdtemp(path.join(env.rootDir, 'x'));
  const d = await startDockerd({ dir });
  try {
    const docker = new Docker({ socketPath: d.socketPath });
    assert.equal((await docker.ping()).toString(), 'OK');
    const firstPid = d.pid;
    await d.kill();
    await assert.rejects(docker.ping());
    await d.restart();
    assert.notEqual(d.pid, firstPid);
    assert.equal((await docker.ping()).toString(), 'OK');
  } finally {
    await d.stop();
  }
  const leftovers = fs
    .readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        return fs.readFileSync(`/proc/${n}/cmdline`, 'utf8').includes(dir + '/');
      } catch {
        return false;
      }
    });
  assert.deepEqual(leftovers, []);
  await fsp.rm(dir, { recursive: true, force: true });
});
