/**
 * A private Docker registry (Debian `docker-registry`, distribution 2.8) on a local port: open,
 * with htpasswd auth, or, like Azure Container Registry, over HTTPS with token auth.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as https from 'node:https';
import * as os from 'node:os';
import * as path from 'node:path';
import { freePort, isAlive, logTail, run, sleep, terminate, which } from './processes';

export interface RegistryOptions {
  /** Basic auth through an htpasswd file (bcrypt) with this one user. */
  auth?: { username: string; password: string };
  /**
   * Serve HTTPS with this certificate (for 127.0.0.1) signed by `ca`. dockerd still accepts it
   * unverified (loopback registries are insecure registries), and clients that verify, like the
   * product's token exchange, trust `ca`.
   */
  tls?: { cert: string; key: string; ca: string };
  /**
   * Token auth as ACR does it (distribution's `auth: token:`): the /v2/ challenge names `realm` and,
   * as service, the registry's own address; access tokens must be JWTs from `issuer` signed by a key
   * whose certificate is in `rootCertBundle`. The ARM emulator's `acrTokenAuth` fits here.
   */
  tokenAuth?: { realm: string; issuer: string; rootCertBundle: string };
  /**
   * Listen on this address instead of 127.0.0.1. dockerd treats a loopback registry as insecure,
   * and BuildKit pulls from one over plain HTTP: one on a local non-loopback address
   * (localAddress.ts) is reached over verified HTTPS, as ACR is, once the daemon trusts `tls.ca`
   * for it. A swarm's nodes live in namespaces of their own, where loopback is their own, so their
   * registry listens on the bridge they share.
   */
  host?: string;
}

export interface RegistryHandle {
  /** `HOST:PORT`: the registry part of image references (a loopback one is trusted as insecure by dockerd). */
  address: string;
  port: number;
  dir: string;
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

function statusOf(address: string, ca: string | undefined): Promise<number> {
  if (!ca) {
    return fetch(`http://${address}/v2/`).then((res) => res.status);
  }
  return new Promise((resolve, reject) => {
    https
      .get(`https://${address}/v2/`, { ca: fs.readFileSync(ca) }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      })
      .on('error', reject);
  });
}

async function answers(address: string, ca: string | undefined): Promise<boolean> {
  try {
    const status = await statusOf(address, ca);
    // 401 is an answer too: the registry is up and wants credentials.
    return status === 200 || status === 401;
  } catch {
    return false;
  }
}

export async function startRegistry(opts: RegistryOptions = {}): Promise<RegistryHandle> {
  if (opts.auth && opts.tokenAuth) {
    throw new Error('startRegistry: htpasswd auth and token auth exclude each other');
  }
  const binary = which('docker-registry');
  if (!binary) {
    throw new Error('docker-registry not found: run `bash scripts/ensure-test-deps.sh` (docker-registry)');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-registry-'));
  const port = await freePort();
  const address = `${opts.host ?? '127.0.0.1'}:${port}`;
  const config = [
    'version: 0.1',
    'log:',
    '  level: info',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    'http:',
    `  addr: ${address}`,
    // Without a secret each start makes a random one and warns; upload state is signed with it.
    `  secret: ${Math.random().toString(36).slice(2)}`,
  ];
  if (opts.tls) {
    config.push('  tls:', `    certificate: ${opts.tls.cert}`, `    key: ${opts.tls.key}`);
  }
  if (opts.tokenAuth) {
    config.push(
      'auth:',
      '  token:',
      `    realm: ${opts.tokenAuth.realm}`,
      `    service: ${address}`,
      `    issuer: ${JSON.stringify(opts.tokenAuth.issuer)}`,
      `    rootcertbundle: ${opts.tokenAuth.rootCertBundle}`,
    );
  }
  if (opts.auth) {
    const htpasswd = path.join(dir, 'htpasswd');
    const { stdout } = await run('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password]);
    fs.writeFileSync(htpasswd, stdout);
    config.push('auth:', '  htpasswd:', '    realm: doa-test', `    path: ${htpasswd}`);
  }
  const configFile = path.join(dir, 'config.yml');
  fs.writeFileSync(configFile, config.join('\n') + '\n');
  const logFile = path.join(dir, 'registry.log');
  const log = fs.openSync(logFile, 'a');
  const child = spawn(binary, ['serve', configFile], { detached: true, stdio: ['ignore', log, log] });
  fs.closeSync(log);
  child.unref();
  let exited = false;
  child.on('exit', () => (exited = true));
  child.on('error', () => (exited = true));
  const pid = child.pid ?? 0;
  const stop = async () => {
    if (pid && isAlive(pid)) {
      await terminate([pid], 5000);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  while (!(await answers(address, opts.tls?.ca))) {
    if (exited) {
      throw new Error(`docker-registry exited during startup:\n${logTail(logFile)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry not answering on ${address} after 20 s:\n${logTail(logFile)}`);
    }
    await sleep(100);
  }
  return { address, port, dir, pid, logFile, stop };
}
