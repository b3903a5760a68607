import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';
import Dockerode from 'dockerode';
import type { Pseudoterminal } from 'vscode';
import { openLogsTerminal } from '../../src/ui/terminals/logsTerminal';
import { openShellTerminal } from '../../src/ui/terminals/shellTerminal';
import { importBusybox } from '../support/busyboxImage';
import { startEngineProxy } from '../support/engineProxy';
import { DockerdHandle, startDockerd } from '../support/engines';
import { dockerCli, eventually, loadTestEnvironment, uniqueName } from '../support/testEnv';

const testEnv = loadTestEnvironment();
const docker = new Dockerode({ socketPath: testEnv.unixSocket });
const created: string[] = [];
const dir = fs.mkdtempSync('/tmp/doa-term-');
let fragile: DockerdHandle;

before(async () => {
  fragile = await startDockerd({ dir });
  await importBusybox(fragile.socketPath, testEnv.baseImage);
});

after(async () => {
  for (const id of created) {
    await dockerCli(['rm', '-f', id]).catch(() => undefined);
  }
  await fragile.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function sleeper(): Promise<string> {
  const id = (await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', uniqueName('term'), testEnv.baseImage, 'sleep', '300'])).trim();
  created.push(id);
  return id;
}

function lastPty(): Pseudoterminal {
  const pty = recorded.terminals.at(-1)?.pty;
  assert.ok(pty, 'a terminal with a pseudoterminal was created');
  return pty as Pseudoterminal;
}

/** The processes the container runs besides its own `sleep`: what a shell left behind would add. */
async function extraProcesses(id: string): Promise<string[]> {
  const top = await docker.getContainer(id).top({ ps_args: '-o pid,args' });
  return (top.Processes ?? []).map((p: string[]) => p.join(' ')).filter((line: string) => !/\bsleep 300\b/.test(line));
}

/** Connections the engine has accepted on its unix socket and not yet closed (read on the engine's side). */
async function engineConnections(socketPath: string): Promise<number> {
  const { stdout } = await promisify(execFile)('ss', ['-xH', 'state', 'established']);
  return stdout.split('\n').filter((line) => line.includes(` ${socketPath} `)).length;
}

test('a shell terminal closed before its shell opened leaves no shell running in the container', async () => {
  resetRecorded();
  const id = await sleeper();
  openShellTerminal(docker, id, 'Shell: early close');
  const pty = lastPty();
  pty.open({ columns: 80, rows: 24 });
  pty.close();
  // The exec is created after the close; once it exists, what it started must go away.
  await eventually(async () => assert.ok(((await docker.getContainer(id).inspect()).ExecIDs ?? []).length > 0), 15_000);
  await eventually(async () => assert.deepEqual(await extraProcesses(id), []), 15_000);
});

test('a logs terminal closed before its stream opened does not keep following the log', async () => {
  resetRecorded();
  const container = await new Dockerode({ socketPath: fragile.socketPath }).createContainer({ Image: testEnv.baseImage, Cmd: ['sleep', '300'] });
  await container.start();
  // The terminal reaches the engine through a proxy of its own, so every connection on the proxy's
  // socket is this terminal's, and the log request can be held until the terminal has closed.
  const proxySocket = path.join(dir, 'logs-proxy.sock');
  const proxy = await startEngineProxy(fragile.socketPath, { socketPath: proxySocket });
  try {
    const follow = proxy.hold((r) => r.url.includes('/logs?') && r.url.includes('follow=true'));
    openLogsTerminal(new Dockerode({ socketPath: proxySocket }), container.id, 'Logs: early close');
    const pty = lastPty();
    pty.open(undefined);
    pty.close();
    await follow.arrived;
    follow.release();
    // Idle keep-alive sockets close by themselves within seconds; a follow stream never does.
    await eventually(async () => assert.equal(await engineConnections(proxySocket), 0), 20_000, 500);
  } finally {
    await proxy.close();
  }
});

test('typing into a shell whose engine went away says so instead of crashing the extension host', async () => {
  resetRecorded();
  const engine = new Dockerode({ socketPath: fragile.socketPath });
  const container = await engine.createContainer({ Image: testEnv.baseImage, Cmd: ['sleep', '300'] });
  await container.start();
  openShellTerminal(engine, container.id, 'Shell: dropped');
  const pty = lastPty();
  let output = '';
  let closedWith: number | void | undefined;
  pty.onDidWrite((text) => (output += text));
  pty.onDidClose?.((code) => (closedWith = code));
  pty.open({ columns: 80, rows: 24 });
  await eventually(
    async () => {
      pty.handleInput?.('echo "up=$((1+1))"\r');
      assert.match(output, /up=2/);
    },
    15_000,
    500,
  );
  const uncaught: Error[] = [];
  const onUncaught = (err: Error) => uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    // Input the engine has not read when it dies makes the kernel reset the connection, as a
    // dropped network link does, instead of a clean end of stream.
    process.kill(fragile.pid, 'SIGSTOP');
    pty.handleInput?.('echo unread\r'.repeat(100));
    await fragile.kill();
    for (let i = 0; i < 20; i++) {
      pty.handleInput?.('echo still-there\r');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(uncaught, [], 'no uncaught exception');
    await eventually(async () => assert.notEqual(closedWith, undefined, 'the terminal closed'), 15_000);
  } finally {
    process.off('uncaughtException', onUncaught);
    await fragile.restart();
  }
});
