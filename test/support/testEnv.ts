import * as fs from 'node:fs';
import * as http from 'node:http';
import { run, toolEnv, type TestEnvironment } from './engines';

export type { TestEnvironment } from './engines';
export { freePort } from './engines';

export const TEST_ENV_VAR = 'DOA_TEST_ENV';
/** Where the runner made the ARM emulator's CA; the test processes trust it through NODE_EXTRA_CA_CERTS. */
export const ARM_CA_DIR_VAR = 'DOA_ARM_CA_DIR';

let cached: TestEnvironment | undefined;

/** The running services described by the runner (`node out/test/support/runTests.js`). */
export function loadTestEnvironment(): TestEnvironment {
  if (cached) {
    return cached;
  }
  const file = process.env[TEST_ENV_VAR];
  if (!file) {
    throw new Error(
      `${TEST_ENV_VAR} is not set: integration tests need the real Docker daemons and sshd ` +
        'that the test runner starts. Run them with `npm test` ' +
        '(or, after building, `node out/test/support/runTests.js integration`).',
    );
  }
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`${TEST_ENV_VAR}=${file} cannot be read (${(e as Error).message}); ` + 'the environment is gone: run the tests with `npm test`.');
  }
  cached = JSON.parse(text) as TestEnvironment;
  return cached;
}

/** A daemon reached over TCP with mutual TLS, as in {@link TestEnvironment.tls}. */
export interface TlsTarget {
  host: string;
  port: number;
  ca: string;
  cert: string;
  key: string;
}

function targetArgs(target: string | TlsTarget): string[] {
  if (typeof target !== 'string') {
    return ['--tlsverify', '--tlscacert', target.ca, '--tlscert', target.cert, '--tlskey', target.key, '-H', `tcp://${target.host}:${target.port}`];
  }
  return ['-H', target.includes('://') ? target : `unix://${target}`];
}

/**
 * Runs the `docker` CLI against the main test daemon (default), a socket path, a
 * DOCKER_HOST-style URL or a TLS target, and resolves to its stdout (rejects with stderr).
 */
export async function dockerCli(args: string[], socketOrHost?: string | TlsTarget, input?: string): Promise<string> {
  const target = socketOrHost ?? loadTestEnvironment().unixSocket;
  const { stdout } = await run('docker', [...targetArgs(target), ...args], {
    input,
    env: toolEnv({ DOCKER_CLI_HINTS: 'false' }),
    timeoutMs: 120_000,
  });
  return stdout;
}

let counter = 0;

/** A name no other test (or earlier run) uses; valid for containers, images and volumes. */
export function uniqueName(prefix: string): string {
  counter += 1;
  const rand = Math.random().toString(36).slice(2, 7);
  return `${prefix}-${process.pid.toString(36)}-${counter}-${rand}`.toLowerCase().replace(/[^a-z0-9_.-]/g, '-');
}

/** GET over plain HTTP; resolves on any status (no redirects followed). */
export function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

/** Retries `fn` until it resolves or `timeoutMs` passes (for services that take a moment to listen). */
export async function eventually<T>(fn: () => Promise<T>, timeoutMs = 15_000, intervalMs = 200): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > deadline) {
        throw e;
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}
