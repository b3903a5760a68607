import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { openConnection, DockerConnection } from '../../src/core/docker/connection';
import { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { composeDown, composeProjectName } from '../../src/core/docker/compose';
import { ComposeError, ComposeTool, composeUp, findComposeTool } from '../../src/core/docker/composeRun';
import { startDaemonForwarder } from '../../src/core/docker/daemonForwarder';
import { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { dockerCli, eventually, freePort, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';

const testEnv = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-compose-'));
const connEnv: ConnectionEnvironment = {
  homeDir: scratch,
  knownHostsFile: testEnv.ssh.knownHostsFile,
  localUser: 'root',
  connectTimeoutMs: 5000,
};
const sshSpec: DockerHostSpec = {
  id: 'ssh',
  name: 'ssh host',
  source: 'added',
  address: `ssh://${testEnv.ssh.user}@${testEnv.ssh.host}:${testEnv.ssh.port}`,
  identityFile: testEnv.ssh.identityFile,
};
const tlsSpec: DockerHostSpec = {
  id: 'tls',
  name: 'tls host',
  source: 'added',
  address: `tcp://127.0.0.1:${testEnv.tls.port}`,
  tls: { ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key },
};
const tlsTarget = { host: '127.0.0.1', port: testEnv.tls.port, ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key };
const projects: { project: string; socket: string | typeof tlsTarget }[] = [];
let tool: ComposeTool;

before(async () => {
  const found = await findComposeTool();
  assert.ok(found, 'the test machine has Docker Compose (scripts/ensure-test-deps.sh installs docker-compose)');
  tool = found;
});

after(async () => {
  for (const { project, socket } of projects) {
    const ids = (await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], socket)).split('\n').filter(Boolean);
    if (ids.length) {
      await dockerCli(['rm', '-f', ...ids], socket);
    }
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** A two-service app: `web` built from a Dockerfile and published, `worker` from the base image. */
function writeProject(port: number): { dir: string; file: string; project: string } {
  const dir = fs.mkdtempSync(path.join(scratch, 'Shop_App-'));
  fs.mkdirSync(path.join(dir, 'web', 'www'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'web', 'www', 'index.html'), `served by compose ${path.basename(dir)}\n`);
  fs.writeFileSync(path.join(dir, 'web', 'Dockerfile'), `FROM ${testEnv.baseImage}\nCOPY www /www\nCMD httpd -f -p 80 -h /www\n`);
  const file = path.join(dir, 'compose.yaml');
  fs.writeFileSync(
    file,
    [
      "version: '3.8'",
      'services:',
      '  web:',
      '    build: ./web',
      `    ports: ["${port}:80"]`,
      '  worker:',
      `    image: ${testEnv.baseImage}`,
      '    command: sleep 3600',
      '',
    ].join('\n'),
  );
  return { dir, file, project: composeProjectName(path.basename(dir)) };
}

async function upThrough(spec: DockerHostSpec, files: string[], cwd: string, project: string, output: string[]): Promise<DockerConnection> {
  const connection = openConnection(spec, connEnv);
  const forwarder = await startDaemonForwarder(() => connection.dial());
  try {
    await composeUp(tool, { files, cwd, project, dockerHost: forwarder.dockerHost, onOutput: (t) => output.push(t) });
  } catch (err) {
    connection.dispose();
    throw err;
  } finally {
    await forwarder.close();
  }
  return connection;
}

async function projectContainers(docker: Dockerode, project: string): Promise<Dockerode.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
}

test('the project name is what Compose derives from the folder: lowercase, only letters, digits, _ and -', () => {
  assert.equal(composeProjectName('Shop_App-x1'), 'shop_app-x1');
  assert.equal(composeProjectName('My App!'), 'myapp');
  assert.equal(composeProjectName('__x'), 'x');
  assert.equal(composeProjectName('!!!'), 'default');
});

test('without Compose on PATH there is no tool to offer', async () => {
  const empty = fs.mkdtempSync(path.join(scratch, 'bin-'));
  assert.equal(await findComposeTool({ PATH: empty }), undefined);
});

test('Compose Up over SSH builds and runs both services on the host behind sshd; Compose Down removes them and their network', async () => {
  const port = await freePort();
  const { dir, file, project } = writeProject(port);
  projects.push({ project, socket: testEnv.unixSocket });
  const output: string[] = [];
  const connection = await upThrough(sshSpec, [file], dir, project, output);
  try {
    const containers = await projectContainers(connection.docker, project);
    assert.deepEqual(containers.map((c) => c.Labels['com.docker.compose.service']).sort(), ['web', 'worker']);
    assert.ok(
      containers.every((c) => c.State === 'running'),
      `all running: ${containers.map((c) => c.State)}`,
    );
    assert.equal((await eventually(() => httpGet(`http://127.0.0.1:${port}/`))).body, `served by compose ${path.basename(dir)}\n`);
    assert.match(output.join(''), /web/, "Compose's own output streamed out");
    const networks = await connection.docker.listNetworks({ filters: JSON.stringify({ label: [`com.docker.compose.project=${project}`] }) });
    assert.equal(networks.length, 1, 'compose created the project network');

    const bystander = uniqueName('bystander');
    await dockerCli(['run', '-d', '--name', bystander, testEnv.baseImage, 'sleep', '60']);
    try {
      const progress: string[] = [];
      const removed = await composeDown(connection.docker, project, (t) => progress.push(t));
      assert.deepEqual(removed, { containers: 2, networks: 1 });
      assert.equal((await projectContainers(connection.docker, project)).length, 0);
      assert.equal((await connection.docker.listNetworks({ filters: JSON.stringify({ name: [networks[0].Name] }) })).length, 0);
      assert.equal((await dockerCli(['inspect', '-f', '{{.State.Running}}', bystander])).trim(), 'true', 'other containers are left alone');
      assert.ok(progress.some((p) => p.startsWith('Removing network')));
    } finally {
      await dockerCli(['rm', '-f', bystander]);
    }
  } finally {
    connection.dispose();
  }
});

test('Compose Up over mutual TLS runs the services on that host and nowhere else', async () => {
  const { dir, file, project } = writeProject(await freePort());
  projects.push({ project, socket: tlsTarget });
  const connection = await upThrough(tlsSpec, [file], dir, project, []);
  try {
    assert.equal((await projectContainers(connection.docker, project)).length, 2);
    assert.equal(
      (await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).trim(),
      '',
      'nothing on the main daemon',
    );
  } finally {
    connection.dispose();
  }
});

test('a broken compose file fails with what Compose said, and starts nothing', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'broken-'));
  const file = path.join(dir, 'compose.yaml');
  fs.writeFileSync(file, 'services:\n  web:\n    image: [not, a, string]\n');
  const project = composeProjectName(path.basename(dir));
  const err = await upThrough(sshSpec, [file], dir, project, []).then(
    () => assert.fail('compose up of a broken file succeeded'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ComposeError);
  assert.notEqual(err.exitCode, 0);
  assert.match(err.message, /failed \(exit \d+\)/);
  assert.match(err.message, /image/, `names the bad key: ${err.message}`);
  assert.equal((await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`])).trim(), '');
});

test('a failing build fails Compose Up and leaves the running project as it was', async () => {
  const port = await freePort();
  const { dir, file, project } = writeProject(port);
  projects.push({ project, socket: testEnv.unixSocket });
  const connection = await upThrough(sshSpec, [file], dir, project, []);
  try {
    const before = (await projectContainers(connection.docker, project)).map((c) => c.Id).sort();
    fs.appendFileSync(path.join(dir, 'web', 'Dockerfile'), 'RUN exit 3\n');
    await assert.rejects(
      upThrough(sshSpec, [file], dir, project, []).then((c) => c.dispose()),
      ComposeError,
    );
    assert.deepEqual((await projectContainers(connection.docker, project)).map((c) => c.Id).sort(), before);
    assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).status, 200, 'the old web service still serves');
  } finally {
    connection.dispose();
  }
});

test('when the host cannot be reached, the forwarder keeps the reason Compose cannot see', async () => {
  const connection = openConnection({ ...sshSpec, address: `ssh://root@127.0.0.1:${await freePort()}` }, connEnv);
  const forwarder = await startDaemonForwarder(() => connection.dial());
  const dir = fs.mkdtempSync(path.join(scratch, 'unreachable-'));
  fs.writeFileSync(path.join(dir, 'compose.yaml'), `services:\n  one:\n    image: ${testEnv.baseImage}\n`);
  try {
    await assert.rejects(
      composeUp(tool, {
        files: [path.join(dir, 'compose.yaml')],
        cwd: dir,
        project: 'unreachable',
        dockerHost: forwarder.dockerHost,
        onOutput: () => undefined,
      }),
      ComposeError,
    );
    assert.match(String(forwarder.lastDialError()), /ECONNREFUSED/);
  } finally {
    await forwarder.close();
    connection.dispose();
  }
});
