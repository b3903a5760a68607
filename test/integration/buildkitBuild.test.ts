import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { buildImage, BuildFailedError } from '../../src/core/docker/buildImage';
import { openConnection, type DockerConnection } from '../../src/core/docker/connection';
import type { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import type { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { DOCKERIGNORE_CASES, type DockerignoreCase } from '../support/dockerignoreCases';
import { listProcesses, run, toolEnv } from '../support/engines';
import { dockerCli, loadTestEnvironment, uniqueName } from '../support/testEnv';

const env = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-bk-'));
const connEnv: ConnectionEnvironment = { homeDir: scratch, knownHostsFile: env.ssh.knownHostsFile, localUser: 'root', connectTimeoutMs: 5000 };
const hosts: Record<string, DockerHostSpec> = {
  unix: { id: 'unix', name: 'local host', source: 'added', address: `unix://${env.unixSocket}` },
  ssh: {
    id: 'ssh',
    name: 'ssh host',
    source: 'added',
    address: `ssh://${env.ssh.user}@${env.ssh.host}:${env.ssh.port}`,
    identityFile: env.ssh.identityFile,
  },
  tls: {
    id: 'tls',
    name: 'tls host',
    source: 'added',
    address: `tcp://127.0.0.1:${env.tls.port}`,
    tls: { ca: env.tls.ca, cert: env.tls.cert, key: env.tls.key },
  },
};
const connections: DockerConnection[] = [];
const tags: { tag: string; socket: string }[] = [];

after(async () => {
  for (const { tag, socket } of tags) {
    await dockerCli(['rmi', '-f', tag], socket).catch(() => undefined);
  }
  connections.forEach((c) => c.dispose());
  fs.rmSync(scratch, { recursive: true, force: true });
});

function connect(host: keyof typeof hosts): DockerConnection {
  const connection = openConnection(hosts[host], connEnv);
  connections.push(connection);
  return connection;
}

function folder(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(scratch, 'ctx-'));
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

function tagFor(host: keyof typeof hosts): string {
  const tag = `${uniqueName('local/bk')}:1`;
  tags.push({ tag, socket: host === 'tls' ? env.tls.unixSocket : env.unixSocket });
  return tag;
}

test('a Dockerfile with RUN --mount=type=cache builds, and the cache mount survives into the next build', async () => {
  const connection = connect('unix');
  const root = folder({
    Dockerfile: `FROM ${env.baseImage}\nRUN --mount=type=cache,target=/cache echo built >> /cache/runs && cp /cache/runs /runs\n`,
  });
  const tag = tagFor('unix');
  let log = '';
  await buildImage(connection, { contextDir: root, dockerfile: path.join(root, 'Dockerfile'), tag }, (t) => (log += t));
  assert.match(await dockerCli(['run', '--rm', tag, 'cat', '/runs']), /^built\n/);
  assert.match(log, /RUN --mount=type=cache/);
});

test('the Dockerfile may sit outside the context folder, with its own .dockerignore', async () => {
  const connection = connect('unix');
  const project = folder({
    'app/index.html': 'hello',
    'app/secret.env': 'TOKEN=1',
    'build/app.Dockerfile': `FROM ${env.baseImage}\nCOPY . /app\nRUN ls /app > /listing\n`,
    'build/app.Dockerfile.dockerignore': 'secret.env\n',
  });
  const tag = tagFor('unix');
  await buildImage(
    connection,
    { contextDir: path.join(project, 'app'), dockerfile: path.join(project, 'build', 'app.Dockerfile'), tag },
    () => undefined,
  );
  const listing = await dockerCli(['run', '--rm', tag, 'cat', '/listing']);
  assert.deepEqual(listing.trim().split('\n'), ['index.html']);
});

for (const host of ['unix', 'ssh', 'tls'] as const) {
  test(`over ${host}, a second build of the same folder sends only the file that changed`, async () => {
    const connection = connect(host);
    const files: Record<string, string> = { Dockerfile: `FROM ${env.baseImage}\nCOPY . /app\n` };
    for (let i = 0; i < 40; i++) {
      files[`src/file-${i}.txt`] = `content ${i}\n`.repeat(100);
    }
    const root = folder(files);
    const tag = tagFor(host);
    const opts = { contextDir: root, dockerfile: path.join(root, 'Dockerfile'), tag };
    const first = await buildImage(connection, opts, () => undefined);
    fs.writeFileSync(path.join(root, 'src', 'file-7.txt'), 'changed\n');
    const second = await buildImage(connection, opts, () => undefined);
    assert.equal(first.builder, 'buildkit');
    assert.ok((first.sent?.files ?? 0) >= 41, `the first build sent the whole folder: ${JSON.stringify(first.sent)}`);
    assert.deepEqual({ files: second.sent?.files, bytes: second.sent?.bytes }, { files: 1, bytes: 'changed\n'.length });
    assert.equal(
      await dockerCli(['run', '--rm', tag, 'cat', '/app/src/file-7.txt'], host === 'tls' ? env.tls.unixSocket : env.unixSocket),
      'changed\n',
    );
  });
}

test('a failing RUN step is named, with its output', async () => {
  const connection = connect('unix');
  const root = folder({ Dockerfile: `FROM ${env.baseImage}\nRUN echo about to fail && false\nRUN echo never\n` });
  const err = await buildImage(
    connection,
    { contextDir: root, dockerfile: path.join(root, 'Dockerfile'), tag: tagFor('unix') },
    () => undefined,
  ).catch((e: unknown) => e);
  assert.ok(err instanceof BuildFailedError, String(err));
  assert.equal(err.failedStep, '[2/3] RUN echo about to fail && false');
  assert.match(err.log, /about to fail/);
  assert.match(err.message, /\[2\/3\] RUN echo about to fail && false/);
});

/** Live processes on this machine (the daemon's host) whose command line is `sleep <seconds>`. */
const sleepers = (seconds: string) => listProcesses().filter((p) => p.cmdline === `sleep ${seconds}` && p.state !== 'Z');

test('cancelling a build stops it on the host: no build process is left running', async () => {
  const connection = connect('unix');
  const seconds = String(3000 + Math.floor(Math.random() * 900));
  const root = folder({ Dockerfile: `FROM ${env.baseImage}\nRUN --mount=type=cache,target=/cache echo started && sleep ${seconds}\n` });
  const controller = new AbortController();
  const build = buildImage(
    connection,
    { contextDir: root, dockerfile: path.join(root, 'Dockerfile'), tag: tagFor('unix'), signal: controller.signal },
    () => undefined,
  );
  let settled = false;
  const outcome = build.then(
    () => assert.fail('the build was cancelled'),
    (e: Error) => {
      settled = true;
      return e;
    },
  );
  while (!settled && sleepers(seconds).length === 0) {
    await new Promise((r) => setTimeout(r, 100));
  }
  controller.abort();
  const err = await outcome;
  assert.equal(err.name, 'AbortError', String(err));
  for (;;) {
    if (sleepers(seconds).length === 0) {
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
});

/** What `docker build` with BuildKit (Debian's 20.10 client, which needs no buildx) puts in the image for this folder. */
async function listedBy(build: (root: string, tag: string) => Promise<unknown>, root: string): Promise<string> {
  const tag = tagFor('unix');
  await build(root, tag);
  return dockerCli(['run', '--rm', tag, 'cat', '/listing']);
}

const LISTING = `COPY . /ctx\nRUN cd /ctx && find . | sort > /listing\n`;
const ignoreCases: DockerignoreCase[] = [
  ...DOCKERIGNORE_CASES,
  {
    name: 'patterns with ** in the middle, negations below excluded folders, and an indented #',
    files: {
      '.dockerignore': 'assets/*\n!assets/logo.png\nsub/**/deep.txt\n  #not-a-comment\n**/cache\n!keep/cache\ndocs/*.md\n!docs/README.md\n',
      'assets/logo.png': 'p',
      'assets/big.bin': 'b',
      'sub/a/b/deep.txt': 'd',
      'sub/deep.txt': 'd',
      '#not-a-comment': 'h',
      'x/cache/f': 'c',
      'keep/cache/f': 'k',
      'docs/a.md': 'a',
      'docs/README.md': 'r',
      'docs/sub/b.md': 'b',
    },
    dockerfile: 'Dockerfile',
  },
  {
    name: 'names that sort differently by bytes and by locale',
    files: { 'a/x': '1', 'a-b': '2', 'a.txt': '3', A: '4', 'é.txt': '5', 'Z/y': '6', _u: '7' },
    dockerfile: 'Dockerfile',
  },
];

for (const { name, files, dockerfile } of ignoreCases) {
  test(`the image gets the files the BuildKit CLI sends: ${name}`, async () => {
    const connection = connect('unix');
    const root = folder({ ...files, [dockerfile]: `FROM ${env.baseImage}\n${LISTING}` });
    const ours = await listedBy(
      (dir, tag) => buildImage(connection, { contextDir: dir, dockerfile: path.join(dir, dockerfile), tag }, () => undefined),
      root,
    );
    const cli = await listedBy(
      (dir, tag) =>
        run('/usr/bin/docker', ['-H', `unix://${env.unixSocket}`, 'build', '-q', '-t', tag, '-f', path.join(dir, dockerfile), dir], {
          env: toolEnv({ DOCKER_BUILDKIT: '1', DOCKER_CONFIG: scratch }),
          timeoutMs: 120_000,
        }),
      root,
    );
    assert.equal(ours, cli);
  });
}
