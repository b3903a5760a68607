import test, { after, before, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { openConnection, DockerConnection } from '../../src/core/docker/connection';
import { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { composeDown, composeProjectName } from '../../src/core/docker/compose';
import { ComposeError, ComposeTool, composeUp, findComposeTool, ServiceBuildError, type ServiceBuild } from '../../src/core/docker/composeRun';
import { startDaemonForwarder } from '../../src/core/docker/daemonForwarder';
import { DockerHostSpec } from '../../src/core/docker/hostSpec';
import { startEngineProxy } from '../support/engineProxy';
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

/** Compose Up as the command runs it: Compose through a forwarder, the images built over the connection itself. */
async function upOn(connection: DockerConnection, files: string[], cwd: string, project: string, output: string[]): Promise<ServiceBuild[]> {
  const forwarder = await startDaemonForwarder(() => connection.dial());
  try {
    const { builds } = await composeUp(tool, {
      files,
      cwd,
      project,
      dockerHost: forwarder.dockerHost,
      target: connection,
      clientId: 'compose-test',
      onOutput: (t) => output.push(t),
    });
    return builds;
  } finally {
    await forwarder.close();
  }
}

async function upThrough(spec: DockerHostSpec, files: string[], cwd: string, project: string, output: string[]): Promise<DockerConnection> {
  const connection = openConnection(spec, connEnv);
  try {
    await upOn(connection, files, cwd, project, output);
  } catch (err) {
    connection.dispose();
    throw err;
  }
  return connection;
}

function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), content);
  }
}

function byService(builds: ServiceBuild[]): Record<string, ServiceBuild> {
  return Object.fromEntries(builds.map((b) => [b.service, b]));
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

test('a service whose Dockerfile uses RUN --mount=type=cache deploys; a Dockerfile outside its context gets its args and target stage', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'Mounts-'));
  const apiImage = `${uniqueName('local/compose-api')}:1`;
  writeFiles(dir, {
    'web/Dockerfile': `FROM ${testEnv.baseImage}\nRUN --mount=type=cache,target=/cache echo built >> /cache/runs && cp /cache/runs /runs\nCMD sleep 3600\n`,
    'api/main.txt': 'api source\n',
    // The last stage fails: only a build that stops at the target stage succeeds.
    'docker/api.Dockerfile': `FROM ${testEnv.baseImage} AS final\nARG GREETING\nCOPY main.txt /main.txt\nRUN echo "$GREETING" > /greeting\nCMD sleep 3600\nFROM ${testEnv.baseImage} AS broken\nRUN exit 7\n`,
    'compose.yaml': [
      'services:',
      '  web:',
      '    build: ./web',
      '  api:',
      `    image: ${apiImage}`,
      '    build:',
      '      context: ./api',
      '      dockerfile: ../docker/api.Dockerfile',
      '      target: final',
      '      args:',
      '        - GREETING=hello from args',
      '',
    ].join('\n'),
  });
  const project = composeProjectName(path.basename(dir));
  projects.push({ project, socket: testEnv.unixSocket });
  const connection = openConnection(sshSpec, connEnv);
  try {
    const output: string[] = [];
    const builds = byService(await upOn(connection, [path.join(dir, 'compose.yaml')], dir, project, output));
    assert.deepEqual(Object.keys(builds).sort(), ['api', 'web']);
    assert.ok(
      Object.values(builds).every((b) => b.result.builder === 'buildkit'),
      'both built through BuildKit',
    );
    assert.equal(builds.api.tag, apiImage, "a service's image: names its build");
    assert.match(output.join(''), /RUN --mount=type=cache/, "BuildKit's steps are in the output");
    const containers = await projectContainers(connection.docker, project);
    const of = (service: string) => containers.find((c) => c.Labels['com.docker.compose.service'] === service)!;
    assert.deepEqual(containers.map((c) => `${c.Labels['com.docker.compose.service']} ${c.State}`).sort(), ['api running', 'web running']);
    assert.equal(of('web').Image, builds.web.tag, 'Compose ran the image built for it, under the name it looks for');
    assert.equal(of('api').Image, apiImage);
    assert.equal(await dockerCli(['exec', of('web').Id, 'cat', '/runs']), 'built\n');
    assert.equal(await dockerCli(['exec', of('api').Id, 'cat', '/greeting', '/main.txt']), 'hello from args\napi source\n');
  } finally {
    connection.dispose();
    await dockerCli(['rmi', '-f', apiImage]).catch(() => undefined);
  }
});

test("a service's build labels, network and extra_hosts reach the build, as docker compose build passes them", async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'Options-'));
  const image = `${uniqueName('local/compose-options')}:1`;
  writeFiles(dir, {
    Dockerfile: [
      `FROM ${testEnv.baseImage}`,
      'RUN ls /sys/class/net > /nets && grep registry.internal /etc/hosts > /hosts',
      'CMD sleep 3600',
      '',
    ].join('\n'),
    'compose.yaml': [
      'services:',
      '  job:',
      `    image: ${image}`,
      '    build:',
      '      context: .',
      '      network: none',
      '      labels:',
      '        org.example.team: platform',
      '      extra_hosts:',
      '        - "registry.internal:10.1.2.3"',
      '',
    ].join('\n'),
  });
  const project = composeProjectName(path.basename(dir));
  projects.push({ project, socket: testEnv.unixSocket });
  const connection = openConnection(sshSpec, connEnv);
  try {
    const builds = byService(await upOn(connection, [path.join(dir, 'compose.yaml')], dir, project, []));
    assert.equal(builds.job.result.builder, 'buildkit');
    const [job] = await projectContainers(connection.docker, project);
    assert.equal(await dockerCli(['exec', job.Id, 'cat', '/nets']), 'lo\n', 'RUN had no network but loopback');
    assert.match(await dockerCli(['exec', job.Id, 'cat', '/hosts']), /^10\.1\.2\.3\s+registry\.internal$/m);
    assert.equal((await dockerCli(['image', 'inspect', '-f', '{{index .Config.Labels "org.example.team"}}', image])).trim(), 'platform');
  } finally {
    connection.dispose();
    await dockerCli(['rmi', '-f', image]).catch(() => undefined);
  }
});

test('a second Compose Up of the same folder sends only the file that changed', async (t: TestContext) => {
  const port = await freePort();
  const { dir, file, project } = writeProject(port);
  for (let i = 0; i < 200; i++) {
    fs.writeFileSync(path.join(dir, 'web', 'www', `page-${i}.html`), `page ${i}\n`.repeat(128));
  }
  projects.push({ project, socket: testEnv.unixSocket });
  const connection = openConnection(sshSpec, connEnv);
  try {
    const first = byService(await upOn(connection, [file], dir, project, []));
    fs.writeFileSync(path.join(dir, 'web', 'www', 'index.html'), 'changed\n');
    const output: string[] = [];
    const second = byService(await upOn(connection, [file], dir, project, output));
    t.diagnostic(`first Compose Up sent ${JSON.stringify(first.web.result.sent)}, the second ${JSON.stringify(second.web.result.sent)}`);
    assert.ok((first.web.result.sent?.files ?? 0) >= 202, `the first build sent the whole context: ${JSON.stringify(first.web.result.sent)}`);
    assert.deepEqual({ files: second.web.result.sent?.files, bytes: second.web.result.sent?.bytes }, { files: 1, bytes: 'changed\n'.length });
    assert.match(output.join(''), /^Sent 1 file \(8 B\) that the host did not have from its last build\.$/m);
    await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'changed\n'));
  } finally {
    connection.dispose();
  }
});

test('a failing build step in one service is named in the error, and the running project stays as it was', async () => {
  const port = await freePort();
  const { dir, file, project } = writeProject(port);
  writeFiles(dir, { 'api/Dockerfile': `FROM ${testEnv.baseImage}\nCMD sleep 3600\n` });
  fs.appendFileSync(file, ['  api:', '    build: ./api', ''].join('\n'));
  projects.push({ project, socket: testEnv.unixSocket });
  const connection = await upThrough(sshSpec, [file], dir, project, []);
  try {
    const before = (await projectContainers(connection.docker, project)).map((c) => c.Id).sort();
    assert.equal(before.length, 3);
    const served = (await eventually(() => httpGet(`http://127.0.0.1:${port}/`))).body;
    fs.writeFileSync(path.join(dir, 'web', 'www', 'index.html'), 'not deployed\n');
    fs.appendFileSync(path.join(dir, 'api', 'Dockerfile'), 'RUN echo boom && exit 3\n');
    const err = await upOn(connection, [file], dir, project, []).then(
      () => assert.fail('Compose Up with a failing build succeeded'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ServiceBuildError, String(err));
    assert.equal(err.service, 'api');
    assert.equal(err.failedStep, '[2/2] RUN echo boom && exit 3');
    assert.match(err.message, /^Service api: .*\[2\/2\] RUN echo boom && exit 3/);
    assert.match(err.log, /boom/);
    assert.deepEqual((await projectContainers(connection.docker, project)).map((c) => c.Id).sort(), before);
    assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, served, 'the old web service still serves what it served');
  } finally {
    connection.dispose();
  }
});

test('on an engine that refuses BuildKit sessions, every service builds with the classic builder, and the output says so once', async () => {
  const proxy = await startEngineProxy(testEnv.unixSocket);
  proxy.fail((r) => new URL(r.url, 'http://engine').pathname.endsWith('/session'), { status: 404 });
  const dir = fs.mkdtempSync(path.join(scratch, 'Classic-'));
  writeFiles(dir, {
    'one/Dockerfile': `FROM ${testEnv.baseImage}\nRUN echo one > /which\nCMD sleep 3600\n`,
    'two/Dockerfile': `FROM ${testEnv.baseImage}\nRUN echo two > /which\nCMD sleep 3600\n`,
    'compose.yaml': 'services:\n  one:\n    build: ./one\n  two:\n    build: ./two\n',
  });
  const project = composeProjectName(path.basename(dir));
  projects.push({ project, socket: testEnv.unixSocket });
  const connection = openConnection({ id: 'old', name: 'old engine', source: 'added', address: `tcp://127.0.0.1:${proxy.port}` }, connEnv);
  try {
    const output: string[] = [];
    const builds = await upOn(connection, [path.join(dir, 'compose.yaml')], dir, project, output);
    assert.deepEqual(
      builds.map((b) => `${b.service} ${b.result.builder}`),
      ['one classic', 'two classic'],
    );
    assert.equal(
      output.join('').match(/^BuildKit is not available on this host \(.+\); building with the classic builder\.$/gm)?.length,
      1,
      output.join(''),
    );
    const containers = await projectContainers(connection.docker, project);
    for (const c of containers) {
      assert.equal(await dockerCli(['exec', c.Id, 'cat', '/which']), `${c.Labels['com.docker.compose.service']}\n`);
    }
    assert.equal(containers.length, 2);
  } finally {
    connection.dispose();
    await proxy.close();
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
        target: connection,
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
