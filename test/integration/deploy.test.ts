import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import Dockerode from 'dockerode';
import { buildClassic } from '../../src/core/docker/buildImage';
import { DeployStartError, exposedPorts, replaceContainer, type ReplaceOptions } from '../../src/core/docker/deployContainer';
import { DEPLOYED_BY_LABEL } from '../../src/core/docker/presentation';
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
  await buildClassic(docker, { contextDir: dir, dockerfile: path.join(dir, 'Dockerfile'), tag }, () => undefined);
  return tag;
}

const spec = (image: string) => ({
  image,
  name: app,
  ports: [{ containerPort: 80, hostPort: port, protocol: 'tcp' as const }],
  env: ['GREETING=hi'],
  restartPolicy: 'unless-stopped' as const,
});

const quick: ReplaceOptions = { settleMs: 500, confirmForeign: () => assert.fail('no question about a container this extension deployed') };
const cleanup: string[] = [];

/** Containers whose name starts with `prefix`, by name. */
async function namedLike(prefix: string): Promise<string[]> {
  const all = await docker.listContainers({ all: true, filters: { name: [prefix] } });
  return all.map((c) => c.Names[0].replace(/^\//, '')).filter((n) => n.startsWith(prefix)).sort();
}

before(async () => {
  port = await freePort();
});

after(async () => {
  await dockerCli(['rm', '-f', app, ...cleanup]).catch(() => undefined);
  for (const leftover of await namedLike(`${app}-previous-`)) {
    await dockerCli(['rm', '-f', leftover]).catch(() => undefined);
  }
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
  const result = await replaceContainer(docker, spec(await buildSite('v1')), () => undefined, quick);
  assert.equal(result?.replaced, false);
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'site v1\n'));
  const info = await docker.getContainer(app).inspect();
  assert.equal(info.HostConfig.RestartPolicy?.Name, 'unless-stopped');
  assert.ok(info.Config.Env.includes('GREETING=hi'));
});

test('a redeploy replaces the container of the same name once the new one runs', async () => {
  const before = (await docker.getContainer(app).inspect()).Id;
  const result = await replaceContainer(docker, spec(await buildSite('v2')), () => undefined, quick);
  assert.equal(result?.replaced, true);
  assert.notEqual(result?.containerId, before);
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'site v2\n'));
  const all = await docker.listContainers({ all: true, filters: { name: [app] } });
  assert.deepEqual(
    all.map((c) => c.Id),
    [result?.containerId],
    'the previous container is gone',
  );
});

test('a new container that fails to start is removed, and the previous one is running again by itself', async () => {
  const running = (await docker.getContainer(app).inspect()).Id;
  const broken = await buildSite('v3', 'sh -c "echo cannot start: missing config >&2; exit 3"');
  const steps: string[] = [];
  const err = await replaceContainer(docker, spec(broken), (t) => steps.push(t), { ...quick, settleMs: 1000 }).catch((e: unknown) => e);
  assert.ok(err instanceof DeployStartError);
  assert.match(err.message, /did not start: it (exited with code 3|keeps exiting)/);
  assert.match(err.message, new RegExp(`The previous ${app} is running again\\.$`));
  assert.match(err.logs, /cannot start: missing config/);
  assert.equal(err.previousContainerId, running);
  const info = await docker.getContainer(app).inspect();
  assert.equal(info.Id, running, 'the previous container has its name back');
  assert.equal(info.State.Running, true, 'and runs, with nobody asked to restart it');
  await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'site v2\n'));
  assert.deepEqual(await namedLike(`${app}-previous-`), [], 'no -previous- container is left');
});

test('a successful deploy leaves no -previous- container of this extension behind, and keeps ones it did not make', async () => {
  // What a failed deploy of an earlier version left when its notification was dismissed.
  const leftover = `${app}-previous-${Date.now().toString(36)}`;
  const foreign = `${app}-previous-theirs`;
  cleanup.push(foreign);
  await dockerCli(['create', '--label', `${DEPLOYED_BY_LABEL}=docker-on-azure`, '--name', leftover, env.baseImage, 'sleep', '600']);
  await dockerCli(['create', '--name', foreign, env.baseImage, 'sleep', '600']);
  const result = await replaceContainer(docker, spec(`${repo}:v2`), () => undefined, quick);
  assert.equal(result?.replaced, true);
  assert.deepEqual(await namedLike(`${app}-previous-`), [foreign], 'only the container this extension did not make is left');
  assert.equal((await docker.getContainer(app).inspect()).State.Running, true);
});

test('a same-named container this extension did not deploy stays unless the user confirms; then its volumes and networks carry over', async () => {
  const name = uniqueName('theirs');
  const network = uniqueName('their-net');
  const volume = uniqueName('their-vol');
  cleanup.push(name);
  await dockerCli(['network', 'create', network]);
  try {
    const id = (
      await dockerCli([
        'run', '-d', '--name', name, '--network', network, '--network-alias', 'db',
        '-v', '/anon', '-v', `${volume}:/named`, env.baseImage,
        'sh', '-c', 'echo anon-data > /anon/f; echo named-data > /named/f; sleep 600',
      ])
    ).trim();
    await eventually(async () => assert.match(await dockerCli(['exec', name, 'cat', '/anon/f']), /anon-data/));
    const anon = ((await docker.getContainer(id).inspect()).Mounts as { Name?: string; Destination: string }[]).find((m) => m.Destination === '/anon')!.Name;
    const asked: string[] = [];
    const theirs = { ...spec(`${repo}:v2`), name, ports: [] };
    const declined = await replaceContainer(docker, theirs, () => undefined, {
      settleMs: 500,
      confirmForeign: (existing) => {
        asked.push(existing.name);
        return Promise.resolve(false);
      },
    });
    assert.equal(declined, undefined, 'declining replaces nothing');
    assert.deepEqual(asked, [name]);
    const kept = await docker.getContainer(name).inspect();
    assert.equal(kept.Id, id, 'their container keeps its name');
    assert.equal(kept.State.Running, true, 'and keeps running');

    const steps: string[] = [];
    const result = await replaceContainer(docker, theirs, (t) => steps.push(t), { settleMs: 500, confirmForeign: () => Promise.resolve(true) });
    assert.equal(result?.replaced, true);
    await assert.rejects(docker.getContainer(id).inspect(), (e: { statusCode?: number }) => e.statusCode === 404, 'the confirmed one was replaced');
    assert.match(await dockerCli(['exec', name, 'cat', '/anon/f']), /anon-data/, 'the anonymous volume moved to the new container');
    assert.match(await dockerCli(['exec', name, 'cat', '/named/f']), /named-data/, 'so did the named one');
    const info = await docker.getContainer(name).inspect();
    assert.equal((info.Mounts as { Name?: string; Destination: string }[]).find((m) => m.Destination === '/anon')?.Name, anon);
    assert.ok(info.NetworkSettings.Networks[network], `the new container is on ${network}`);
    assert.ok(info.NetworkSettings.Networks[network].Aliases?.includes('db'), 'with its alias');
    assert.ok(
      steps.some((t) => t.includes('/anon') && t.includes('/named') && t.includes(network)),
      `the user is told what carried over: ${steps.join(' | ')}`,
    );
  } finally {
    await dockerCli(['rm', '-fv', name]).catch(() => undefined);
    await dockerCli(['network', 'rm', network]).catch(() => undefined);
    await dockerCli(['volume', 'rm', volume]).catch(() => undefined);
  }
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
      quick,
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
