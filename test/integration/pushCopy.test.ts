import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { buildClassic } from '../../src/core/docker/buildImage';
import { copyImage } from '../../src/core/docker/copyImage';
import { pushImage, PushProgress } from '../../src/core/docker/pushImage';
import { isRegistryAuthError, registryAuth, targetReference } from '../../src/core/docker/registryAuth';
import { run, toolEnv } from '../support/processes';
import { startRegistry, type RegistryHandle } from '../support/registry';
import { dockerCli, freePort, loadTestEnvironment, uniqueName } from '../support/testEnv';

const env = loadTestEnvironment();
const main = new Dockerode({ socketPath: env.unixSocket });
// The second engine is reached as a remote host would be: TCP with mutual TLS.
const other = new Dockerode({
  host: env.tls.host,
  port: env.tls.port,
  ca: fs.readFileSync(env.tls.ca),
  cert: fs.readFileSync(env.tls.cert),
  key: fs.readFileSync(env.tls.key),
});
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-push-'));
// The CLI's own login state stays in this run's folder, not the machine's ~/.docker.
const cliConfig = path.join(scratch, 'docker-config');
const user = { username: 'pusher', password: `pw-${randomBytes(6).toString('hex')}` };
let secured: RegistryHandle;
let open: RegistryHandle;
let image: string;
let imageId: string;
const made: Array<{ docker: Dockerode; ref: string }> = [];

/** An image of its own: the base plus a layer of random bytes, so no registry or engine has it yet. */
async function buildRandomImage(docker: Dockerode, kilobytes: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(scratch, 'ctx-'));
  fs.writeFileSync(path.join(dir, 'blob'), randomBytes(kilobytes * 1024));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${env.baseImage}\nCOPY blob /blob\nCMD ["wc", "-c", "/blob"]\n`);
  const tag = `${uniqueName('local/payload')}:1`;
  await buildClassic(docker, { contextDir: dir, dockerfile: path.join(dir, 'Dockerfile'), tag }, () => undefined);
  made.push({ docker, ref: tag });
  return tag;
}

function cli(args: string[], host: string, input?: string): Promise<{ stdout: string }> {
  return run('docker', ['-H', host, ...args], { input, env: toolEnv({ DOCKER_CONFIG: cliConfig, DOCKER_CLI_HINTS: 'false' }), timeoutMs: 120_000 });
}

async function catalog(registry: RegistryHandle): Promise<string[]> {
  const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
  const res = await fetch(`http://${registry.address}/v2/_catalog`, { headers: { Authorization: `Basic ${auth}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { repositories: string[] }).repositories;
}

before(async () => {
  [secured, open] = await Promise.all([startRegistry({ auth: user }), startRegistry()]);
  image = await buildRandomImage(main, 512);
  imageId = (await main.getImage(image).inspect()).Id;
});

after(async () => {
  for (const { docker, ref } of made) {
    await docker
      .getImage(ref)
      .remove({ force: true })
      .catch(() => undefined);
  }
  await Promise.allSettled([secured?.stop(), open?.stop()]);
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('a push with good credentials arrives: another engine pulls the same image back with the docker CLI', async () => {
  const repository = uniqueName('team/app');
  const target = targetReference(secured.address, repository, 'v1');
  made.push({ docker: main, ref: target });
  const seen: PushProgress[] = [];
  const result = await pushImage(
    main,
    { source: image, target, registry: secured.address, auth: registryAuth(secured.address, user.username, user.password) },
    (p) => seen.push(p),
  );
  assert.match(result.digest ?? '', /^sha256:[0-9a-f]{64}$/);
  const last = seen.at(-1)!;
  assert.ok(last.layers.size >= 2, `the base and the payload layer were reported: ${[...last.layers.keys()].join(', ')}`);
  assert.equal(last.done, last.layers.size, last.summary());
  assert.ok(
    [...last.layers.values()].some((l) => (l.total ?? 0) > 0),
    'byte progress was reported for at least one layer',
  );
  assert.deepEqual(await catalog(secured), [repository]);

  const otherSocket = `unix://${env.tls.unixSocket}`;
  await cli(['login', secured.address, '-u', user.username, '--password-stdin'], otherSocket, user.password);
  made.push({ docker: other, ref: target });
  await cli(['pull', target], otherSocket);
  const pulledId = (await cli(['image', 'inspect', '--format', '{{.Id}}', target], otherSocket)).stdout.trim();
  assert.equal(pulledId, imageId, 'the pulled image is byte for byte the pushed one (same config digest)');
  const out = (await cli(['run', '--rm', target], otherSocket)).stdout;
  assert.match(out, /^524288 \/blob/);
});

test('pushing again after a rebuild sends the new image, not the one the earlier push left tagged', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'rebuilt-'));
  const tag = `${uniqueName('local/rebuilt')}:1`;
  made.push({ docker: main, ref: tag });
  const build = async (text: string) => {
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${env.baseImage}\nRUN echo ${text} > /version\nCMD ["cat", "/version"]\n`);
    await buildClassic(main, { contextDir: dir, dockerfile: path.join(dir, 'Dockerfile'), tag }, () => undefined);
    return (await main.getImage(tag).inspect()).Id;
  };
  const target = targetReference(open.address, uniqueName('open/rebuilt'), 'v1');
  made.push({ docker: main, ref: target }, { docker: other, ref: target });
  const firstId = await build(`first-${randomBytes(4).toString('hex')}`);
  await pushImage(main, { source: tag, target, registry: open.address }, () => undefined);
  const secondId = await build(`second-${randomBytes(4).toString('hex')}`);
  assert.notEqual(secondId, firstId, 'the rebuild made a different image');
  const { digest } = await pushImage(main, { source: tag, target, registry: open.address }, () => undefined);

  const otherSocket = `unix://${env.tls.unixSocket}`;
  await cli(['pull', target], otherSocket);
  const pulled = JSON.parse((await cli(['image', 'inspect', target], otherSocket)).stdout)[0] as { Id: string; RepoDigests: string[] };
  assert.equal(pulled.Id, secondId, 'the registry holds the rebuilt image');
  assert.ok(pulled.RepoDigests.some((d) => d.endsWith(`@${digest}`)), `the pushed digest ${digest} is the pulled one: ${pulled.RepoDigests.join(', ')}`);
  assert.match((await cli(['run', '--rm', target], otherSocket)).stdout, /^second-/);
  assert.equal((await main.getImage(target).inspect()).Id, secondId, 'the target tag on the source engine follows the source');
});

/** Pushes the test image to the basic-auth registry with a refused password; resolves to the error. */
function pushWithWrongPassword(target: string): Promise<unknown> {
  return pushImage(
    main,
    { source: image, target, registry: secured.address, auth: registryAuth(secured.address, user.username, 'wrong') },
    () => undefined,
  ).catch((e: unknown) => e);
}

test('a failed push to a tag that already existed puts that tag back where it was', async () => {
  const target = targetReference(secured.address, uniqueName('team/kept'), 'v1');
  made.push({ docker: main, ref: target });
  await main.getImage(env.baseImage).tag({ repo: target.slice(0, target.lastIndexOf(':')), tag: 'v1' });
  const baseId = (await main.getImage(env.baseImage).inspect()).Id;
  assert.notEqual(baseId, imageId);
  const err = await pushWithWrongPassword(target);
  assert.ok(isRegistryAuthError(err), `an auth error: ${String(err)}`);
  assert.equal((await main.getImage(target).inspect()).Id, baseId, 'the tag points at the image it pointed at before the push');
});

test('a push with a wrong password says sign-in failed, and loses nothing', async () => {
  const repository = uniqueName('team/denied');
  const target = targetReference(secured.address, repository, 'v1');
  const err = await pushWithWrongPassword(target);
  assert.ok(isRegistryAuthError(err), `an auth error: ${String(err)}`);
  assert.match((err as Error).message, new RegExp(`^Sign-in to ${secured.address.replace(/\./g, '\\.')} failed: check the user name and password`));
  assert.equal((await main.getImage(image).inspect()).Id, imageId, 'the source image is untouched');
  await assert.rejects(
    main.getImage(target).inspect(),
    (e: { statusCode?: number }) => e.statusCode === 404,
    'the tag the push added was taken away',
  );
  assert.ok(!(await catalog(secured)).includes(repository), 'nothing reached the registry');
});

test('a push without credentials to a registry that wants them is an auth error too', async () => {
  const target = targetReference(secured.address, uniqueName('team/anon'), 'v1');
  const err = await pushImage(main, { source: image, target, registry: secured.address }, () => undefined).catch((e: unknown) => e);
  assert.ok(isRegistryAuthError(err), `an auth error: ${String(err)}`);
});

test('a registry without auth takes a push without credentials', async () => {
  const target = targetReference(open.address, uniqueName('open/app'), 'latest');
  made.push({ docker: main, ref: target });
  const result = await pushImage(main, { source: image, target, registry: open.address }, () => undefined);
  assert.match(result.digest ?? '', /^sha256:/);
  const res = await fetch(`http://${open.address}/v2/${target.slice(open.address.length + 1).replace(/:latest$/, '')}/tags/list`);
  assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ['latest']);
});

test('a push to a registry nobody answers at says it cannot be reached', async () => {
  const nowhere = `127.0.0.1:${await freePort()}`;
  const target = targetReference(nowhere, uniqueName('team/lost'), 'v1');
  const err = (await pushImage(main, { source: image, target, registry: nowhere, auth: registryAuth(nowhere, 'a', 'b') }, () => undefined).catch(
    (e: unknown) => e,
  )) as Error;
  assert.match(err.message, new RegExp(`^Cannot reach the registry ${nowhere.replace(/\./g, '\\.')}: check its address`));
  assert.ok(!isRegistryAuthError(err));
  await assert.rejects(main.getImage(target).inspect(), (e: { statusCode?: number }) => e.statusCode === 404);
});

test('copying an image to another engine streams it across; the target lists it and runs it', async () => {
  const ref = await buildRandomImage(main, 1024);
  made.push({ docker: other, ref });
  assert.ok(!(await other.listImages()).some((i) => i.RepoTags?.includes(ref)), 'the target does not have it yet');
  const counts: number[] = [];
  const result = await copyImage(main, other, ref, (n) => counts.push(n));
  assert.ok(result.bytes > 1024 * 1024, `at least the payload crossed: ${result.bytes} bytes`);
  assert.equal(counts.at(-1), result.bytes);
  assert.deepEqual(
    counts,
    [...counts].sort((a, b) => a - b),
    'progress only grows',
  );
  assert.ok(
    result.loaded.some((l) => l.includes(ref)),
    `the target said it loaded ${ref}: ${result.loaded.join(' | ')}`,
  );
  assert.ok(
    (await other.listImages()).some((i) => i.RepoTags?.includes(ref)),
    'the target lists it',
  );
  assert.equal((await other.getImage(ref).inspect()).Id, (await main.getImage(ref).inspect()).Id);
  const out = await dockerCli(['run', '--rm', ref], env.tls.unixSocket);
  assert.match(out, /^1048576 \/blob/);
});

test('copying an image the source does not have fails clearly and changes nothing on the target', async () => {
  const before = (await other.listImages()).map((i) => i.Id).sort();
  const missing = `${uniqueName('local/absent')}:1`;
  await assert.rejects(
    copyImage(main, other, missing, () => undefined),
    new RegExp(`^Error: The image ${missing} is not on the source host`),
  );
  assert.deepEqual((await other.listImages()).map((i) => i.Id).sort(), before);
});

test('a copy cancelled midway fails as cancelled and leaves no image on the target', async () => {
  const ref = await buildRandomImage(main, 4096);
  made.push({ docker: other, ref });
  const controller = new AbortController();
  const err = await copyImage(main, other, ref, (n) => n > 256 * 1024 && controller.abort(), controller.signal).catch((e: unknown) => e);
  assert.match(String(err), /was cancelled; the target host kept none of it/);
  assert.ok(!(await other.listImages()).some((i) => i.RepoTags?.includes(ref)), 'the target has no half-loaded image');
  assert.ok((await main.getImage(ref).inspect()).Id, 'the source still has it');
});
