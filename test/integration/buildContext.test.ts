import test, { after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { prepareBuildContext } from '../../src/core/docker/buildContext';
import { buildClassic, BuildFailedError } from '../../src/core/docker/buildImage';
import { captureCliBuildContext, listTar } from '../support/buildContextCapture';
import { DOCKERIGNORE_CASES } from '../support/dockerignoreCases';

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-ctx-'));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

function write(root: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
}

/** The entries `docker build` (legacy builder) itself uploads for this context. */
async function cliEntries(root: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  const capture = await captureCliBuildContext(scratch);
  try {
    await new Promise<void>((resolve) => {
      execFile(
        'docker',
        ['-H', `unix://${capture.socketPath}`, 'build', '-f', path.join(root, dockerfile), root],
        { env: { ...process.env, DOCKER_BUILDKIT: '0', DOCKER_CONFIG: scratch } },
        () => resolve(),
      );
    });
    assert.equal(capture.contexts.length, 1, 'the CLI uploaded one context');
    return await capture.contexts[0];
  } finally {
    await capture.close();
  }
}

async function ourEntries(root: string, dockerfile = 'Dockerfile'): Promise<string[]> {
  const context = await prepareBuildContext(root, path.join(root, dockerfile));
  return listTar(context.tar());
}

for (const { name, files, dockerfile } of DOCKERIGNORE_CASES) {
  test(`the context matches what docker build sends: ${name}`, async () => {
    const root = fs.mkdtempSync(path.join(scratch, 'ctx-'));
    write(root, { ...files, [dockerfile]: 'FROM scratch\n' });
    const [ours, cli] = await Promise.all([ourEntries(root, dockerfile), cliEntries(root, dockerfile)]);
    assert.deepEqual(ours, cli);
  });
}

test('a symlink that points outside the context is sent as a link, never followed', async () => {
  const root = fs.mkdtempSync(path.join(scratch, 'ctx-'));
  write(root, { Dockerfile: 'FROM scratch\n' });
  fs.writeFileSync(path.join(scratch, 'secret.txt'), 'do not send');
  fs.symlinkSync(path.join(scratch, 'secret.txt'), path.join(root, 'link-out'));
  const context = await prepareBuildContext(root, path.join(root, 'Dockerfile'));
  const chunks: Buffer[] = [];
  for await (const chunk of context.tar()) {
    chunks.push(chunk as Buffer);
  }
  const tar = Buffer.concat(chunks).toString('latin1');
  assert.ok(tar.includes('link-out'), 'the link itself is in the context');
  assert.ok(!tar.includes('do not send'), 'the file it points to is not');
  assert.deepEqual((await ourEntries(root)).sort(), await cliEntries(root));
});

test('a Dockerfile outside the context is refused', async () => {
  const root = fs.mkdtempSync(path.join(scratch, 'ctx-'));
  await assert.rejects(prepareBuildContext(root, path.join(scratch, 'Dockerfile')), /outside the build context/);
});

test('the classic builder builds on a real host from the packed context; a failing step is named with its output', async () => {
  const { loadTestEnvironment, dockerCli, uniqueName } = await import('../support/testEnv');
  const { default: Dockerode } = await import('dockerode');
  const env = loadTestEnvironment();
  const docker = new Dockerode({ socketPath: env.unixSocket });
  const root = fs.mkdtempSync(path.join(scratch, 'ctx-'));
  write(root, {
    Dockerfile: `FROM ${env.baseImage}\nCOPY . /app\nRUN ls /app > /listing.txt\n`,
    '.dockerignore': 'secret.env\n',
    'secret.env': 'TOKEN=1',
    'index.html': '<h1>hi</h1>',
  });
  const tag = `${uniqueName('local/built')}:1`;
  let streamed = '';
  const result = await buildClassic(docker, { contextDir: root, dockerfile: path.join(root, 'Dockerfile'), tag }, (t) => (streamed += t));
  assert.match(streamed, /Step 3\/3 : RUN ls/);
  const listing = await dockerCli(['run', '--rm', tag, 'cat', '/listing.txt']);
  assert.match(listing, /index\.html/);
  assert.doesNotMatch(listing, /secret\.env/, '.dockerignore kept the secret out of the image');
  assert.ok(result.sentEntries >= 3);

  fs.writeFileSync(path.join(root, 'Dockerfile'), `FROM ${env.baseImage}\nRUN echo about to fail && false\nRUN echo never\n`);
  const err = await buildClassic(docker, { contextDir: root, dockerfile: path.join(root, 'Dockerfile'), tag: `${tag}-bad` }, () => undefined).catch(
    (e: unknown) => e,
  );
  assert.ok(err instanceof BuildFailedError);
  assert.equal(err.failedStep, 'Step 2/3 : RUN echo about to fail && false');
  assert.match(err.log, /about to fail/);
  assert.match(err.message, /non-zero code: 1/);
  await dockerCli(['rmi', tag]);
});
