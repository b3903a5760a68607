// Build secrets through Deploy and Redeploy, on the real main daemon through BuildKit: a value
// typed once (kept in SecretStorage) or a file read at every build reaches `RUN --mount=type=secret`
// and nothing else: not the image, its history, the build output or workspace state.
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { dockerCli, loadTestEnvironment, uniqueName } from '../support/testEnv';
import { memento, secretStorage, Uri } from '../support/vscodeFake';
import { startHostViews, type HostViews } from '../support/hostViews';
import { ContainerNode, ContainersGroupNode, HostNode } from '../../src/ui/tree/hostNodes';

const testEnv = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-secrets-'));
const TYPED = 'typed-secret-7f3a9c';
const IN_FILE = 'file-secret-2b8e41';
const created: string[] = [];
let views: HostViews;
let context: {
  subscriptions: unknown[];
  globalState: ReturnType<typeof memento>;
  workspaceState: ReturnType<typeof memento>;
  secrets: ReturnType<typeof secretStorage>;
};

type Item = { label: string };
const pick = (prefix: string) => (items: Item[]) => items.find((i) => i.label.startsWith(prefix));
const errors = () => recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
const output = () => recorded.outputs.get('Docker on Azure: Build') ?? '';

async function deployedContainer(name: string): Promise<ContainerNode> {
  const [host] = (await views.otherHosts.provider.getChildren()).filter((n): n is HostNode => n instanceof HostNode);
  host.session.invalidate();
  const [group] = (await views.otherHosts.provider.getChildren(host)).filter((n) => n instanceof ContainersGroupNode);
  const node = (await views.otherHosts.provider.getChildren(group)).find(
    (n): n is ContainerNode => n instanceof ContainerNode && n.getTreeItem().label === name,
  );
  assert.ok(node, `${name} is listed`);
  return node;
}

/** Everything a secret must stay out of: the image, its history, the build output and plain state. */
async function assertNowhere(image: string): Promise<void> {
  const places = {
    image: await dockerCli(['image', 'inspect', image]),
    history: await dockerCli(['history', '--no-trunc', image]),
    'build output': output(),
    'workspace state': JSON.stringify(context.workspaceState.keys().map((k) => context.workspaceState.get(k))),
    'global state': JSON.stringify(context.globalState.keys().map((k) => context.globalState.get(k))),
  };
  for (const [where, text] of Object.entries(places)) {
    assert.ok(!text.includes(TYPED) && !text.includes(IN_FILE), `no secret in the ${where}`);
  }
}

before(() => {
  process.env.DOCKER_HOST = `unix://${testEnv.unixSocket}`;
  context = { subscriptions: [], globalState: memento(), workspaceState: memento(), secrets: secretStorage() };
  views = startHostViews({
    connectionEnv: () => ({ homeDir: scratch, knownHostsFile: testEnv.ssh.knownHostsFile, localUser: 'root', connectTimeoutMs: 5000 }),
    hostList: { showLocalEngine: true, showContexts: false },
    context,
    commands: true,
  });
});

beforeEach(() => resetRecorded());

after(async () => {
  views.dispose();
  if (created.length) {
    await dockerCli(['rm', '-f', ...created]).catch(() => undefined);
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('Deploy asks where each build secret comes from; the build step reads it, and Redeploy uses it again asking nothing', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'app-'));
  const secretFile = path.join(scratch, 'token.txt');
  fs.writeFileSync(secretFile, IN_FILE);
  fs.writeFileSync(path.join(dir, 'stamp'), 'first\n');
  // The Dockerfile compares with the value decoded at build time, so it does not carry the value itself.
  const expected = `"$(printf '%s' ${Buffer.from(TYPED).toString('base64')} | base64 -d)"`;
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      `FROM ${testEnv.baseImage}`,
      'COPY stamp /stamp',
      `RUN --mount=type=secret,id=api_token,required=true test "$(cat /run/secrets/api_token)" = ${expected} && cat /stamp > /checked`,
      'RUN --mount=type=secret,id=file_token,target=/tmp/token wc -c < /tmp/token > /file-bytes',
      'CMD sleep 3600',
      '',
    ].join('\n'),
  );
  const name = uniqueName('with-secrets');
  const image = `${name}:1`;
  created.push(name);
  let offered: string[] = [];
  recorded.answers.push(
    (items: Item[]) => items.find((i) => i.label === 'Local engine'),
    image,
    name,
    '',
    '',
    (items: Item[]) => items[0],
    (items: Item[]) => {
      offered = items.map((i) => i.label);
      return pick('Enter a value')(items);
    },
    TYPED,
    pick('Read from a file'),
    [Uri.file(secretFile)],
  );
  await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
  assert.deepEqual(errors(), []);
  assert.deepEqual(offered, ['Enter a value…', 'Read from a file…', 'Build without it']);
  assert.equal((await dockerCli(['exec', name, 'cat', '/checked'])).trim(), 'first', 'the step saw the typed value');
  assert.equal((await dockerCli(['exec', name, 'cat', '/file-bytes'])).trim(), String(IN_FILE.length), 'the step saw the file');
  assert.match(
    output(),
    new RegExp(`^Build secrets: api_token from SecretStorage, file_token from ${secretFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\.$`, 'm'),
  );
  assert.ok(
    (await Promise.all((await context.secrets.keys()).map((k) => context.secrets.get(k)))).includes(TYPED),
    'the typed value is in SecretStorage',
  );
  await assertNowhere(image);

  resetRecorded();
  fs.writeFileSync(path.join(dir, 'stamp'), 'second\n');
  await recorded.commands.get('dockerOnAzure.redeploy')!(await deployedContainer(name));
  assert.deepEqual(errors(), []);
  assert.equal(recorded.answers.length, 0);
  assert.equal((await dockerCli(['exec', name, 'cat', '/checked'])).trim(), 'second', 'the step ran again with the kept value');
  await assertNowhere(image);
});

test('a required secret the user builds without fails at its step, and the running container stays', async () => {
  const dir = fs.mkdtempSync(path.join(scratch, 'missing-'));
  fs.writeFileSync(
    path.join(dir, 'Dockerfile'),
    `FROM ${testEnv.baseImage}\nRUN --mount=type=secret,id=deploy_key,required=true cat /run/secrets/deploy_key\nCMD sleep 3600\n`,
  );
  const name = uniqueName('no-secret');
  created.push(name);
  const before = (
    await dockerCli(['run', '-d', '--name', name, '--label', 'dockerOnAzure.deployedBy=docker-on-azure', testEnv.baseImage, 'sleep', '3600'])
  ).trim();
  recorded.answers.push(
    (items: Item[]) => items.find((i) => i.label === 'Local engine'),
    `${name}:1`,
    name,
    '',
    '',
    (items: Item[]) => items[0],
    pick('Build without it'),
  );
  await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
  assert.equal(errors().length, 1, `one error: ${errors()}`);
  assert.match(errors()[0], /RUN --mount=type=secret,id=deploy_key/);
  assert.match(errors()[0], /deploy_key/);
  assert.equal((await dockerCli(['inspect', '-f', '{{.Id}} {{.State.Running}}', name])).trim(), `${before} true`);
});
