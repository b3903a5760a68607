/**
 * Test entry point: `node out/test/support/runTests.js [unit|integration|PATH...] [--node-test-flag...]`.
 * Starts the real services (unless only unit tests run), runs `node --test`, and always stops them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { cleanupStaleRuns, removeRunRoot, RUNNER_PID_FILE, startTestEnvironment, which, type RunningTestEnvironment } from './engines';
import { ARM_CA_DIR_VAR, TEST_ENV_VAR } from './testEnv';
import { ensureEmulatorCa } from './armEmulator';

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const SUITES: Record<string, string> = {
  unit: path.join(repoRoot, 'out', 'test', 'unit'),
  integration: path.join(repoRoot, 'out', 'test', 'integration'),
  // The packaged extension in code-server, driven through Chromium (needs docker-on-azure.vsix).
  e2e: path.join(repoRoot, 'out', 'test', 'e2e'),
};
const REQUIRED_TOOLS = ['dockerd', 'containerd', 'runc', 'docker', 'sshd', 'ssh', 'ssh-keygen', 'openssl', 'ip', 'tar', 'docker-registry', 'htpasswd', 'docker-compose'];

function say(msg: string): void {
  process.stderr.write(`[runTests] ${msg}\n`);
}

interface Plan {
  targets: string[];
  nodeFlags: string[];
  needsEnv: boolean;
}

function plan(argv: string[]): Plan | string {
  const nodeFlags = argv.filter((a) => a.startsWith('--'));
  const requested = argv.filter((a) => !a.startsWith('--'));
  const targets: string[] = [];
  if (requested.length === 0) {
    targets.push(...Object.values(SUITES).filter((d) => fs.existsSync(d)));
    if (targets.length === 0) {
      return `no compiled tests in ${Object.values(SUITES).join(' or ')}: run \`npm run build:tests\` first`;
    }
  } else {
    for (const r of requested) {
      const t = SUITES[r] ?? path.resolve(r);
      if (!fs.existsSync(t)) {
        return `${t} does not exist (suites: ${Object.keys(SUITES).join(', ')}; or give compiled test paths)`;
      }
      targets.push(t);
    }
  }
  const unitDir = SUITES.unit;
  const needsEnv = targets.some((t) => t !== unitDir && !t.startsWith(unitDir + path.sep));
  return { targets, nodeFlags, needsEnv };
}

function preflight(): string | undefined {
  if (process.getuid?.() !== 0) {
    return 'integration tests start dockerd and sshd and must run as root';
  }
  const missing = REQUIRED_TOOLS.filter((t) => !which(t));
  if (!['/bin/busybox', '/usr/bin/busybox'].some((p) => fs.existsSync(p))) {
    missing.push('busybox');
  }
  if (missing.length > 0) {
    return `missing ${missing.join(', ')}: run \`bash scripts/ensure-test-deps.sh\``;
  }
  return undefined;
}

// --test-concurrency came to Node 20 in 20.10; integration tests share daemons, so run files one by one.
function concurrencyFlag(): string[] {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 20 || (major === 20 && minor >= 10) ? ['--test-concurrency=1'] : [];
}

async function main(): Promise<number> {
  const p = plan(process.argv.slice(2));
  if (typeof p === 'string') {
    say(`error: ${p}`);
    return 1;
  }
  if (p.needsEnv) {
    const problem = preflight();
    if (problem) {
      say(`error: ${problem}`);
      return 1;
    }
  }

  let rootDir: string | undefined;
  let starting: Promise<RunningTestEnvironment> | undefined;
  let child: ChildProcess | undefined;
  let teardown: Promise<void> | undefined;

  const stopEverything = () =>
    (teardown ??= (async () => {
      const t0 = Date.now();
      if (starting) {
        // A failed start has already cleaned up after itself.
        const env = await starting.catch(() => undefined);
        if (env) {
          await env.stop().catch((e) => say(`error while stopping services: ${String(e)}`));
        }
      }
      if (rootDir) {
        // A test file killed mid-way leaves its swarm daemons and namespaces, recorded in the root.
        await removeRunRoot(rootDir);
        if (fs.existsSync(rootDir)) {
          say(`could not remove ${rootDir}`);
        }
        say(`test environment stopped and removed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
      }
    })());

  let interrupted = false;
  const onSignal = (sig: NodeJS.Signals) => {
    if (interrupted) {
      return;
    }
    interrupted = true;
    say(`${sig}: stopping tests and services`);
    child?.kill(sig);
    void stopEverything().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);

  const env: NodeJS.ProcessEnv = { ...process.env };
  let code = 1;
  try {
    if (p.needsEnv) {
      for (const stale of await cleanupStaleRuns()) {
        say(`cleaned up services left by an interrupted run in ${stale}`);
      }
      // /tmp, not os.tmpdir(): unix socket paths are limited to 108 bytes.
      rootDir = await fsp.mkdtemp('/tmp/doa-');
      await fsp.writeFile(path.join(rootDir, RUNNER_PID_FILE), `${process.pid}\n`);
      const t0 = Date.now();
      starting = startTestEnvironment(rootDir);
      const description = await starting;
      const envFile = path.join(rootDir, 'env.json');
      await fsp.writeFile(envFile, JSON.stringify(description, null, 2));
      env[TEST_ENV_VAR] = envFile;
      // Node reads NODE_EXTRA_CA_CERTS only at start-up, so the ARM emulator's CA is made here and
      // the test processes (and the code-server they start) trust it from their first line.
      // The machine's own NODE_EXTRA_CA_CERTS (a TLS-inspecting proxy's CA, say) is kept beside the
      // emulator's: installs that the tests run, code-server's among them, reach npm through it.
      const armCaDir = path.join(rootDir, 'arm-ca');
      const armCa = await ensureEmulatorCa(armCaDir);
      const inherited = process.env.NODE_EXTRA_CA_CERTS;
      if (inherited && fs.existsSync(inherited)) {
        const bundle = path.join(rootDir, 'extra-ca-certs.pem');
        await fsp.writeFile(bundle, `${await fsp.readFile(inherited, 'utf8')}\n${await fsp.readFile(armCa, 'utf8')}`);
        env.NODE_EXTRA_CA_CERTS = bundle;
      } else {
        env.NODE_EXTRA_CA_CERTS = armCa;
      }
      env[ARM_CA_DIR_VAR] = armCaDir;
      say(`test environment up in ${((Date.now() - t0) / 1000).toFixed(1)} s (${envFile})`);
    }
    if (interrupted) {
      return 1;
    }
    const args = ['--test', '--test-reporter=spec', ...concurrencyFlag(), ...p.nodeFlags, ...p.targets];
    code = await new Promise<number>((resolve, reject) => {
      child = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: 'inherit' });
      child.on('error', reject);
      child.on('exit', (c, s) => resolve(c ?? (s ? 1 : 0)));
    });
  } catch (e) {
    say(`error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    code = 1;
  } finally {
    await stopEverything();
  }
  return code;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    say(`error: ${String(e)}`);
    process.exit(1);
  },
);
