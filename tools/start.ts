/**
 * `npm start` (after `npm run package`): opens the packaged extension in a real VS Code.
 *   - the desktop `code` when it is on PATH (extension loaded from this folder);
 *   - otherwise code-server on 127.0.0.1 with the .vsix installed, printing the URL to open.
 * Flags: --playground (a private Docker engine with demo containers, and an ARM emulator whose
 *        demo Docker host VMs run; needs root; opens a demo app folder),
 *        --code-server (use code-server even when `code` is on PATH), --port N,
 *        --check (code-server with a fresh profile; open it in Chromium, wait for the extension to
 *        activate and the Other Docker Hosts view to render, and with --playground for a running
 *        demo Azure host to list its containers; print what was seen, stop, exit).
 * Ctrl+C stops everything this started.
 */
import { spawn, execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as net from 'net';
import * as path from 'path';
import { freePort } from '../test/support/engines';
import { ensureCodeServer, startCodeServer } from '../test/support/codeServer';
import { startPlayground, Playground } from './playground';
import { checkWorkbench, describeReport } from './startCheck';

const repoRoot = path.resolve(__dirname, '..', '..');
const args = process.argv.slice(2);
const wantsPlayground = args.includes('--playground');
const wantsCheck = args.includes('--check');
const forceCodeServer = args.includes('--code-server') || wantsCheck;
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : undefined;

function onPath(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const cleanups: (() => Promise<void>)[] = [];
let stopping = false;

async function stopAll(code: number): Promise<void> {
  if (stopping) {
    return;
  }
  stopping = true;
  if (cleanups.length) {
    console.log('\nStopping…');
  }
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((err) => console.error(String(err)));
  }
  process.exit(code);
}

/** 8080 when free, as people expect of code-server; otherwise any free port. */
async function pickPort(): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer().once('error', () => resolve(false));
    srv.listen(8080, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  return free ? 8080 : freePort();
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  const env: NodeJS.ProcessEnv = {};
  const settings: Record<string, unknown> = {};
  let playground: Playground | undefined;
  if (wantsPlayground) {
    if (process.getuid?.() !== 0) {
      throw new Error('The playground runs its own dockerd and needs root (sudo npm start -- --playground).');
    }
    console.log('Starting the playground: a Docker engine, the ARM emulator and its demo VMs…');
    playground = await startPlayground(fs.mkdtempSync('/tmp/doa-play-'));
    cleanups.push(() => playground!.stop());
    Object.assign(env, playground.env);
    Object.assign(settings, playground.settings);
    console.log(`Playground engine: ${env.DOCKER_HOST} (containers web, worker, nightly-report; web serves ${playground.webUrl})`);
    console.log(
      `Playground Azure: ARM emulator at ${String(playground.settings['dockerOnAzure.azure.resourceManagerEndpoint'])}, demo Docker host VMs:`,
    );
    for (const host of playground.azureHosts) {
      console.log(`  ${host.name} (${host.powerState}) at ${host.address}, containers ${host.containers.join(', ')}`);
    }
    console.log(`Playground app to deploy: ${playground.workspace} (opened as the workspace; its Dockerfile builds on every playground host)`);
    console.log(`Playground SSH keys and known_hosts: ${String(playground.settings['dockerOnAzure.ssh.keyDirectory'])}`);
  }
  const workspace = playground?.workspace ?? repoRoot;

  if (onPath('code') && !forceCodeServer) {
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-code-'));
    cleanups.push(async () => fs.rmSync(profile, { recursive: true, force: true }));
    fs.mkdirSync(path.join(profile, 'User'), { recursive: true });
    fs.writeFileSync(path.join(profile, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
    // A profile of its own makes this a new VS Code process, so the playground's DOCKER_HOST reaches it.
    const child = spawn('code', ['--wait', '--new-window', '--user-data-dir', profile, `--extensionDevelopmentPath=${repoRoot}`, workspace], {
      stdio: 'inherit',
      env: { ...process.env, ...env },
    });
    console.log('VS Code is open with the extension loaded. Close its window (or press Ctrl+C) to stop.');
    child.on('exit', () => void stopAll(0));
    return;
  }

  console.log('Preparing code-server (installed once per machine; the first time takes a few minutes)…');
  // The check drives the workbench in Chromium; a person brings their own browser.
  const install = ensureCodeServer({ browser: wantsCheck });
  // The playground's settings point at services that end with it, and a check must not depend on
  // what an earlier session left in the profile: both get a throwaway one.
  const throwaway = wantsPlayground || wantsCheck;
  const profileDir = throwaway ? fs.mkdtempSync(path.join(os.tmpdir(), 'doa-start-profile-')) : path.join(install.cache, 'start-profile');
  if (throwaway) {
    cleanups.push(async () => fs.rmSync(profileDir, { recursive: true, force: true }));
  }
  const server = await startCodeServer({
    install,
    dir: profileDir,
    keepProfile: !throwaway,
    workspace,
    vsixPaths: [path.join(repoRoot, 'docker-on-azure.vsix')],
    env,
    settings,
    port: port ?? (wantsCheck ? await freePort() : await pickPort()),
  });
  cleanups.push(() => server.stop());
  if (wantsCheck) {
    const runningHost = playground?.azureHosts.find((h) => h.powerState === 'running');
    const azure = runningHost && { host: runningHost.name, container: runningHost.containers[0] };
    const report = await checkWorkbench(server, path.join(repoRoot, '.test-results', 'start-check'), azure);
    console.log(describeReport(report, install.version));
    await stopAll(0);
    return;
  }
  console.log(
    `\nDocker on Azure is running in code-server ${install.version}:\n\n    ${server.url}\n\nOpen it in a browser. Press Ctrl+C to stop everything.`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  void stopAll(1);
});
