// Every command that takes a host, a container or an image, run through the activated extension on
// an Azure host (Azure Docker Hosts, mutual TLS or SSH) and on another host (Other Docker Hosts,
// the local engine or an added SSH host), with both real views. A command that reaches into one
// view only fails on the other side's case.
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import type { Pseudoterminal } from 'vscode';
import { startRegistry, type RegistryHandle } from '../support/registry';
import { dockerCli, eventually, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';
import { Uri } from '../support/vscodeFake';
import {
  activateExtension,
  type ActivatedExtension,
  announcedChange,
  azureHost,
  azureView,
  containerUnder,
  imageUnder,
  label,
  otherHost,
  otherView,
  type TlsTarget,
  viewsHidden,
} from '../support/activatedExtension';
import { ErrorNode } from '../../src/ui/tree/errorNode';
import { ComposeProjectNode, ContainersGroupNode, type ContainerNode } from '../../src/ui/tree/hostNodes';
import type { TreeNode } from '../../src/ui/tree/treeNode';
import type { DockerHostsTreeProvider } from '../../src/ui/tree/dockerHostsTreeProvider';
import { INSPECT_SCHEME } from '../../src/ui/inspectDocuments';

const testEnv = loadTestEnvironment();
const user = { username: 'matrix', password: 'matrix-secret' };
let ext: ActivatedExtension;
let registry: RegistryHandle;

type Item = { label: string; description?: string };

/** One kind of host: where its row is, how the docker CLI reaches its daemon, and its name in picks. */
interface Side {
  kind: string;
  name: string;
  provider(): DockerHostsTreeProvider;
  /** The host's row, re-read from the daemon. */
  host(): Promise<TreeNode & { id: string }>;
  daemon(): TlsTarget | undefined;
}

const azureSide = (name: string, daemon: () => TlsTarget | undefined): Side => ({
  kind: 'an Azure host',
  name,
  provider: () => azureView().provider,
  host: async () => {
    const node = await azureHost(name);
    node.session!.invalidate();
    return node;
  },
  daemon,
});
const AZURE = azureSide('azure-tls', () => ext.tlsTarget);
const OTHER: Side = {
  kind: 'another host',
  name: 'Local engine',
  provider: () => otherView().provider,
  host: async () => {
    const node = await otherHost('Local engine');
    node.session.invalidate();
    return node;
  },
  daemon: () => undefined,
};
const SIDES = [AZURE, OTHER];
const otherSide = (side: Side) => (side === AZURE ? OTHER : AZURE);

const run = async (command: string, ...args: unknown[]) => {
  const handler = recorded.commands.get(`dockerOnAzure.${command}`);
  assert.ok(handler, `${command} is registered`);
  await handler(...args);
};
const errors = () => recorded.messages.filter((m) => m.level === 'error').map((m) => m.text);
const hostPick = (name: string) => (items: Item[]) => items.find((i) => i.label === name || i.label.startsWith(`${name} `));

async function container(side: Side, name: string): Promise<ContainerNode> {
  const node = await containerUnder(side.provider(), await side.host(), name);
  assert.ok(node, `${name} is listed under ${side.name}`);
  return node;
}

const state = async (side: Side, name: string) =>
  (await dockerCli(['inspect', '-f', '{{.State.Status}} {{.State.StartedAt}}', name], side.daemon())).trim();

before(async () => {
  registry = await startRegistry({ auth: user });
  ext = await activateExtension({
    // The test sshd by another name than the Azure VM's address, so each side has its own known_hosts entry.
    added: [
      {
        id: 'added:ssh-other',
        name: 'ssh-other',
        address: `ssh://${testEnv.ssh.user}@localhost:${testEnv.ssh.port}`,
        identityFile: testEnv.ssh.identityFile,
      },
    ],
  });
});

beforeEach(() => {
  resetRecorded();
  ext.restoreSettings();
});

after(async () => {
  await ext?.stop();
  await registry?.stop();
});

// First, so that the SSH hosts are trusted for the tests after them.
const SSH_SIDES = [
  {
    kind: 'an Azure host',
    name: 'azure-ssh',
    provider: () => azureView().provider,
    host: () => azureHost('azure-ssh'),
    entry: `[127.0.0.1]:${testEnv.ssh.port}`,
  },
  {
    kind: 'another host',
    name: 'ssh-other',
    provider: () => otherView().provider,
    host: () => otherHost('ssh-other'),
    entry: `[localhost]:${testEnv.ssh.port}`,
  },
];

for (const side of SSH_SIDES) {
  test(`Retry on ${side.kind}'s error row re-reads it; Trust SSH Host Key then shows its containers`, async () => {
    const host = await side.host();
    const [row] = await side.provider().getChildren(host);
    assert.ok(row instanceof ErrorNode && row.unknownHostKey, `an unknown-key row under ${side.name}: ${label(row)}`);
    await viewsHidden(async () => {
      const changed = announcedChange(side.provider(), host.id);
      await run('retryHost', row);
      await changed;
    });
    recorded.answers.push('Trust and Connect');
    await viewsHidden(async () => {
      const changed = announcedChange(side.provider(), host.id);
      await run('trustHostKey', row);
      await changed;
    });
    assert.ok(
      fs
        .readFileSync(ext.knownHosts, 'utf8')
        .split('\n')
        .some((l) => l.startsWith(`${side.entry} `)),
      `${side.entry} is trusted`,
    );
    assert.deepEqual((await side.provider().getChildren(await side.host())).map(label), ['Containers', 'Images']);
  });
}

// The mutual-TLS test daemon publishes no ports, so the Azure case is the SSH VM in front of the main daemon.
const WEB_SIDES: { side: Side; host: string }[] = [
  { side: azureSide('azure-ssh', () => undefined), host: '127.0.0.1' },
  { side: OTHER, host: 'localhost' },
];

for (const { side, host } of WEB_SIDES) {
  test(`Open in Browser opens ${side.kind}'s published port at the host's address`, async () => {
    const name = await ext.runContainer(side.daemon(), ['-p', '80'], ['httpd', '-f', '-p', '80']);
    await run('container.openInBrowser', await container(side, name));
    const port = (await dockerCli(['port', name, '80/tcp'], side.daemon())).trim().split('\n')[0].split(':').at(-1);
    assert.deepEqual(recorded.opened, [`http://${host}:${port}/`]);
    const answer = await httpGet(recorded.opened[0]);
    assert.ok(answer.status > 0, 'the container answers there');
  });
}

for (const side of SIDES) {
  test(`Refresh Host re-reads ${side.kind}'s row`, async () => {
    const host = await side.host();
    await viewsHidden(async () => {
      const changed = announcedChange(side.provider(), host.id);
      await run('refreshHost', host);
      await changed;
    });
  });

  test(`Stop, Start and Restart act on ${side.kind}'s container, and its row follows the engine's events`, async () => {
    const name = await ext.runContainer(side.daemon());
    const rowState = async () =>
      (await containerUnder(side.provider(), await (side === AZURE ? azureHost(side.name) : otherHost(side.name)), name))?.info.State;
    await run('container.stop', await container(side, name));
    assert.match(await state(side, name), /^exited /);
    await eventually(async () => assert.equal(await rowState(), 'exited'));
    await run('container.start', await container(side, name));
    const started = await state(side, name);
    assert.match(started, /^running /);
    await eventually(async () => assert.equal(await rowState(), 'running'));
    await run('container.restart', await container(side, name));
    const restarted = await state(side, name);
    assert.match(restarted, /^running /);
    assert.notEqual(restarted, started, 'a restart starts it again');
    assert.deepEqual(errors(), []);
  });

  test(`Logs stream ${side.kind}'s container output into a terminal`, async () => {
    const name = await ext.runContainer(side.daemon(), [], ['sh', '-c', `echo hello from ${side.name}; sleep 3600`]);
    await run('container.logs', await container(side, name));
    const terminal = recorded.terminals.find((t) => t.name.startsWith(`Logs: ${name}`));
    assert.ok(terminal?.pty, `a logs terminal opened: ${recorded.terminals.map((t) => t.name)}`);
    const pty = terminal.pty as Pseudoterminal;
    let output = '';
    pty.onDidWrite((text) => (output += text));
    pty.open(undefined);
    await eventually(async () => assert.match(output, new RegExp(`hello from ${side.name}`)));
    pty.close();
  });

  test(`Shell runs commands inside ${side.kind}'s container`, async () => {
    const name = await ext.runContainer(side.daemon());
    await run('container.shell', await container(side, name));
    const pty = recorded.terminals.find((t) => t.name.startsWith(`Shell: ${name}`))?.pty as Pseudoterminal;
    assert.ok(pty, 'a shell terminal opened');
    let output = '';
    pty.onDidWrite((text) => (output += text));
    pty.open({ columns: 100, rows: 30 });
    await eventually(
      async () => {
        pty.handleInput?.('hostname\r');
        const id = (await dockerCli(['inspect', '-f', '{{.Config.Hostname}}', name], side.daemon())).trim();
        assert.ok(output.includes(id), `the shell runs in ${name} (${id}): ${JSON.stringify(output.slice(-200))}`);
      },
      15_000,
      1000,
    );
    pty.close();
  });

  test(`Inspect and Copy ID give ${side.kind}'s container`, async () => {
    const name = await ext.runContainer(side.daemon());
    const node = await container(side, name);
    await run('container.inspect', node);
    const uri = recorded.opened.find((u) => u.startsWith(`${INSPECT_SCHEME}:`));
    assert.ok(uri, `an inspect document opened: ${recorded.opened}`);
    const text = await recorded.contentProviders.get(INSPECT_SCHEME)!.provideTextDocumentContent(Uri.parse(uri));
    assert.equal(JSON.parse(text).Name, `/${name}`);
    await run('container.copyId', node);
    assert.equal(recorded.clipboard, (await dockerCli(['inspect', '-f', '{{.Id}}', name], side.daemon())).trim());
  });

  test(`Remove Container removes ${side.kind}'s container and re-reads its row`, async () => {
    const name = await ext.runContainer(side.daemon());
    const node = await container(side, name);
    const host = await side.host();
    recorded.answers.push('Remove');
    await viewsHidden(async () => {
      const changed = announcedChange(side.provider(), host.id);
      await run('container.remove', node);
      await changed;
    });
    assert.equal(await containerUnder(side.provider(), await side.host(), name), undefined);
    await assert.rejects(dockerCli(['inspect', name], side.daemon()), /No such/i);
  });

  test(`Inspect Image and Remove Image act on ${side.kind}'s image`, async () => {
    const tag = `${uniqueName('local/matrix')}:1`;
    await dockerCli(['tag', testEnv.baseImage, tag], side.daemon());
    const node = await imageUnder(side.provider(), await side.host(), tag);
    assert.ok(node, `${tag} is listed under ${side.name}`);
    await run('image.inspect', node);
    const uri = recorded.opened.find((u) => u.startsWith(`${INSPECT_SCHEME}:`));
    assert.ok(uri);
    const text = await recorded.contentProviders.get(INSPECT_SCHEME)!.provideTextDocumentContent(Uri.parse(uri));
    assert.ok(JSON.parse(text).RepoTags.includes(tag), text.slice(0, 200));
    recorded.answers.push('Remove');
    await run('image.remove', node);
    await assert.rejects(dockerCli(['image', 'inspect', tag], side.daemon()), /No such image/i);
    assert.equal(await imageUnder(side.provider(), await side.host(), tag), undefined, 'the row is gone');
  });

  test(`Copy Image to Host copies ${side.kind}'s image to a host of the other view`, async () => {
    const to = otherSide(side);
    const tag = `${uniqueName('local/copied')}:1`;
    await dockerCli(['tag', testEnv.baseImage, tag], side.daemon());
    try {
      const node = await imageUnder(side.provider(), await side.host(), tag);
      assert.ok(node);
      let offered: string[] = [];
      recorded.answers.push((items: Item[]) => {
        offered = items.map((i) => i.label);
        return hostPick(to.name)(items);
      });
      await run('image.copyToHost', node);
      assert.deepEqual(errors(), []);
      assert.ok(!offered.some((l) => l.startsWith(side.name)), `the source is not offered: ${offered}`);
      assert.ok(await imageUnder(to.provider(), await to.host(), tag), `${to.name} lists the copy`);
    } finally {
      await dockerCli(['image', 'rm', tag], side.daemon()).catch(() => undefined);
      await dockerCli(['image', 'rm', tag], to.daemon()).catch(() => undefined);
    }
  });

  test(`Push Image pushes ${side.kind}'s image to a registry`, async () => {
    const tag = `${uniqueName('local/pushed')}:1`;
    const repository = uniqueName('team/matrix');
    await dockerCli(['tag', testEnv.baseImage, tag], side.daemon());
    try {
      recorded.answers.push(
        (items: Item[]) => items.find((i) => i.label.includes('Other registry')),
        registry.address,
        `${repository}:v1`,
        user.username,
        user.password,
      );
      await run('image.push', await imageUnder(side.provider(), await side.host(), tag));
      assert.deepEqual(errors(), []);
      const auth = Buffer.from(`${user.username}:${user.password}`).toString('base64');
      const res = await fetch(`http://${registry.address}/v2/${repository}/tags/list`, { headers: { Authorization: `Basic ${auth}` } });
      assert.deepEqual(((await res.json()) as { tags: string[] }).tags, ['v1']);
    } finally {
      await dockerCli(['image', 'rm', tag], side.daemon()).catch(() => undefined);
    }
  });

  test(`Deploy to ${side.kind}, then Redeploy its container`, async () => {
    const dir = fs.mkdtempSync(path.join(ext.scratch, 'app-'));
    fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${testEnv.baseImage}\nCOPY stamp /stamp\nCMD sleep 3600\n`);
    fs.writeFileSync(path.join(dir, 'stamp'), 'first\n');
    const name = uniqueName('matrix-deployed');
    try {
      recorded.answers.push(hostPick(side.name), `${name}:1`, name, '', '', (items: Item[]) => items[0]);
      await run('deploy', Uri.file(path.join(dir, 'Dockerfile')));
      assert.deepEqual(errors(), []);
      const first = (await dockerCli(['inspect', '-f', '{{.Id}}', name], side.daemon())).trim();
      fs.writeFileSync(path.join(dir, 'stamp'), 'second\n');
      resetRecorded();
      ext.restoreSettings();
      await run('redeploy', await container(side, name));
      assert.deepEqual(errors(), []);
      assert.equal(recorded.answers.length, 0);
      const second = (await dockerCli(['inspect', '-f', '{{.Id}}', name], side.daemon())).trim();
      assert.notEqual(second, first, 'a new container replaced the first');
      assert.equal((await dockerCli(['exec', name, 'cat', '/stamp'], side.daemon())).trim(), 'second');
    } finally {
      await dockerCli(['rm', '-f', name], side.daemon()).catch(() => undefined);
    }
  });

  test(`Compose Up on ${side.kind}, then Compose Down on its project row`, async () => {
    const dir = fs.mkdtempSync(path.join(ext.scratch, 'Matrix-'));
    const file = path.join(dir, 'compose.yaml');
    fs.writeFileSync(file, `services:\n  api:\n    image: ${testEnv.baseImage}\n    command: sleep 3600\n`);
    const project = path.basename(dir).toLowerCase();
    const members = () => dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${project}`], side.daemon());
    try {
      recorded.answers.push(hostPick(side.name));
      await run('composeUp', Uri.file(file));
      assert.deepEqual(
        recorded.messages.map((m) => m.text),
        [`${project} is up on ${side.name}.`],
      );
      assert.notEqual((await members()).trim(), '');
      const [group] = (await side.provider().getChildren(await side.host())).filter((n) => n instanceof ContainersGroupNode);
      const row = (await side.provider().getChildren(group)).find(
        (n): n is ComposeProjectNode => n instanceof ComposeProjectNode && label(n) === project,
      );
      assert.ok(row, `${project} is one row under ${side.name}`);
      recorded.answers.push('Compose Down');
      await run('composeDown', row);
      assert.equal((await members()).trim(), '');
    } finally {
      const left = (await members()).trim();
      if (left) {
        await dockerCli(['rm', '-f', ...left.split('\n')], side.daemon());
      }
    }
  });
}
