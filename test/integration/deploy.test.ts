import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Dockerode from 'dockerode';
import { buildImage } from '../../src/core/docker/buildImage';
import { DeployStartError, exposedPorts, replaceContainer, restorePrevious } from '../../src/core/docker/deployContainer';
import { dockerCli, eventually, freePort, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';

const env = loadTestEnvironment();
const docker = new Dockerode({ socketPath: env.unixSocket });
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-deploy-'));
const app = uniqueName('app');
const repo = uniqueName('local/site');
let port: number;

async function buildSite(version: string, cmd = 'httpd -f -p 80 -h /www'): Promise<string> {
  const dir = fs.mkdtempSync(path.join(scratch, 'site-'));
  fs.mkdirSync(path.join(dir, 'www'));
  fs.writeFileSync(path.join(dir, 'www', 'index.html'), `site ${version}\n`);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${env.baseImage}\nCOPY www /www\nEXPOSE 80\nCMD ${cmd}\n`);
  const tag = `${repo}:${version}`;
  await buildImage(docker, { contextDir: dir, dockerfile: path.join(dir, 'Dockerfile'), tag }, () => undefined);
  return tag;
}

const spec = (image: string) => ({
  image,
  name: app,
  ports: [{ containerPort: 80, hostPort: port, protocol: 'tcp' as const }],
  env: ['GREETING=hi'],
  restartPolicy: 'unless-stopped' as const,
});

before(async () => {
  port = await freePort();
});

after(async () => {
  await dockerCli(['rm', '-f', app]).catch(() => undefined);
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('EXPOSE lines give the default ports', () => {
  assert.deepEqual(exposedPorts('FROM x\nEXPOSE 80 443/tcp\nexpose 53/udp \\\n  8080\nEXPOSE $PORT\n'), [
    { port: 80, protocol: 'tcp' },
    { port: 443, protocol: 'tcp' },
    { port: 53, protocol: 'udp' },
    { port: 8080, protocol: 'tcp' },
  ]);
});

test('a first deploy runs the container with its port, environment and restart policy', async () => {
  const result = await replaceContainer(docker, spec(await buildSite('v1')), () => undefined, 500);
  assert.equal(result.replaced, false);
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'site v1\n'));
  const info = await docker.getContainer(app).inspect();
  assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
  assert.ok(info.Config.Env.includes('GREETING=hi'));
});

test('a redeploy replaces the container of the same name once the new one runs', async () => {
  const before = (await docker.getContainer(app).inspect()).Id;
  const result = await replaceContainer(docker, spec(await buildSite('v2')), () => undefined, 500);
  assert.equal(result.replaced, true);
  assert.notEqual(result.containerId, before);
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'site v2\n'));
  const all = await docker.listContainers({ all: true, filters: { name: [app] } });
  assert.deepEqual(
    all.map((c) => c.Id),
    [result.containerId],
    'the previous container is gone',
  );
});

test('a new container that fails to start is removed, and the previous one can be brought back as it was', async () => {
  const running = (await docker.getContainer(app).inspect()).Id;
  const broken = await buildSite('v3', 'sh -c "echo cannot start: missing config >&2; exit 3"');
  const err = await replaceContainer(docker, spec(broken), () => undefined, 1000).catch((e: unknown) => e);
  assert.ok(err instanceof DeployStartError);
  assert.match(err.message, /did not start: it (exited with code 3|keeps exiting)/);
  assert.match(err.logs, /cannot start: missing config/);
  assert.equal(err.previousContainerId, running);
  assert.equal((await docker.getContainer(running).inspect()).State.Running, false, 'kept, stopped');
  await restorePrevious(docker, running, app);
  const info = await docker.getContainer(app).inspect();
  assert.equal(info.Id, running);
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'site v2\n'));
});

test("a host port already taken fails the deploy with Docker's reason, and nothing else changes", async () => {
  const blocker = uniqueName('blocker');
  const taken = await freePort();
  await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', blocker, '-p', `${taken}:80`, env.baseImage, 'httpd', '-f', '-p', '80']);
  try {
    const err = await replaceContainer(
      docker,
      { ...spec(`${repo}:v2`), name: uniqueName('second'), ports: [{ containerPort: 80, hostPort: taken, protocol: 'tcp' }] },
      () => undefined,
      500,
    ).catch((e: unknown) => e);
    assert.ok(err instanceof DeployStartError);
    assert.match(err.message, /port is already allocated|address already in use/);
    assert.equal(err.previousContainerId, undefined);
    assert.equal((await docker.getContainer(blocker).inspect()).State.Running, true);
  } finally {
    await dockerCli(['rm', '-f', blocker]);
  }
});

test('port mappings, environment and default names are parsed with clear errors', async () => {
  const { parsePortMappings, parseEnvironment, defaultNames } = await import('../../src/core/docker/deployContainer');
  assert.deepEqual(parsePortMappings('8080:80, 53:53/udp 443'), [
    { hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostPort: 53, containerPort: 53, protocol: 'udp' },
    { hostPort: 443, containerPort: 443, protocol: 'tcp' },
  ]);
  assert.throws(() => parsePortMappings('80:99999'), /"80:99999" is not a port mapping/);
  assert.throws(() => parsePortMappings('web'), /not a port mapping/);
  assert.deepEqual(parseEnvironment('A=1, B_2=two words\nC='), ['A=1', 'B_2=two words', 'C=']);
  assert.throws(() => parseEnvironment('1BAD=x'), /not NAME=value/);
  assert.deepEqual(defaultNames('My App!'), { image: 'my-app:latest', container: 'my-app' });
});
