/** A private OpenSSH server whose sessions reach a test dockerd. */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as net from 'node:net';
import * as path from 'node:path';
import { knownHostsName } from '../../src/core/docker/knownHosts';
import { descendants, isAlive, logTail, readPidFile, run, sleep, terminate, toolEnv, which } from './processes';

export interface SshdOptions {
  dir: string;
  port: number;
  /** The daemon `docker system dial-stdio` reaches in the ssh session (via DOCKER_HOST). */
  dockerSocketPath: string;
  /** The server's host keys, one of each type; only ed25519 unless given. */
  hostKeyTypes?: HostKeyType[];
  /** Where it listens; 127.0.0.1 unless given (an emulated VM listens on its own address). */
  listenAddress?: string;
  /** An OpenSSH private key to serve as the only host key, instead of new ones of `hostKeyTypes`. */
  hostKeyPrivate?: string;
  /** authorized_keys lines to accept, instead of a new client key for root. */
  authorizedKeys?: string[];
  /**
   * Channels the server allows on one SSH connection. Unless given, 100, so that tests opening many
   * at once are not refused; `'default'` leaves OpenSSH's own limit (10), which real hosts have.
   */
  maxSessions?: number | 'default';
}

export type HostKeyType = 'ed25519' | 'ecdsa' | 'rsa';

export interface SshdHandle {
  host: string;
  port: number;
  user: 'root';
  /** Private key (ed25519, no passphrase) whose public half is the only authorized key. */
  identityFile: string;
  /** known_hosts holding `[127.0.0.1]:PORT ssh-ed25519 AAAA...` for each of this server's host keys. */
  knownHostsFile: string;
  /** The first host key, e.g. `ssh-ed25519 AAAA...` */
  hostKeyPublic: string;
  /** Every host key, in the order of {@link SshdOptions.hostKeyTypes}. */
  hostKeysPublic: string[];
  pid: number;
  logFile: string;
  stop(): Promise<void>;
}

function sshBanner(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(2000, () => done(false));
    sock.once('data', (b: Buffer) => done(b.toString().startsWith('SSH-')));
    sock.once('error', () => done(false));
  });
}

/**
 * Starts a private OpenSSH server on 127.0.0.1:port that accepts only a freshly made key for root
 * (or, with `authorizedKeys`, those keys for any user that exists).
 */
export async function startSshd(opts: SshdOptions): Promise<SshdHandle> {
  const sshd = which('sshd');
  if (!sshd) {
    throw new Error('sshd not found: run `bash scripts/ensure-test-deps.sh` (openssh-server)');
  }
  const { dir, port } = opts;
  await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
  // Privilege separation directory, normally made by the init script.
  await fsp.mkdir('/run/sshd', { recursive: true, mode: 0o755 });

  const listenAddress = opts.listenAddress ?? '127.0.0.1';
  const hostKeyTypes = opts.hostKeyPrivate ? ['given'] : (opts.hostKeyTypes ?? ['ed25519']);
  const hostKeys = hostKeyTypes.map((type) => path.join(dir, `ssh_host_${type}_key`));
  const identityFile = path.join(dir, 'id_ed25519');
  if (opts.hostKeyPrivate) {
    await fsp.writeFile(hostKeys[0], opts.hostKeyPrivate, { mode: 0o600 });
    await run('ssh-keygen', ['-y', '-f', hostKeys[0]]).then(({ stdout }) => fsp.writeFile(hostKeys[0] + '.pub', stdout));
  } else {
    await Promise.all(hostKeys.map((file, i) => run('ssh-keygen', ['-q', '-t', hostKeyTypes[i], '-N', '', '-C', 'doa-test-host', '-f', file])));
  }
  if (!opts.authorizedKeys) {
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'doa-test-client', '-f', identityFile]);
  }
  const hostKeysPublic = await Promise.all(
    hostKeys.map(async (file) => (await fsp.readFile(file + '.pub', 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ')),
  );
  const authorizedKeys = path.join(dir, 'authorized_keys');
  if (opts.authorizedKeys) {
    // sshd reads the file as the user logging in, who must be able to reach it.
    await fsp.writeFile(authorizedKeys, opts.authorizedKeys.map((k) => `${k.trim()}\n`).join(''), { mode: 0o644 });
    await fsp.chmod(dir, 0o711);
  } else {
    await fsp.copyFile(identityFile + '.pub', authorizedKeys);
  }
  const knownHostsFile = path.join(dir, 'known_hosts');
  await fsp.writeFile(knownHostsFile, hostKeysPublic.map((key) => `${knownHostsName(listenAddress, port)} ${key}\n`).join(''));

  const config = path.join(dir, 'sshd_config');
  const pidFile = path.join(dir, 'sshd.pid');
  const logFile = path.join(dir, 'sshd.log');
  await fsp.writeFile(
    config,
    [
      `ListenAddress ${listenAddress}`,
      `Port ${port}`,
      ...hostKeys.map((file) => `HostKey ${file}`),
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin prohibit-password',
      // The key files live under /tmp, which is world-writable: StrictModes would refuse them.
      'StrictModes no',
      // PAM's session modules (pam_loginuid) fail inside containers and VMs without a login manager.
      'UsePAM no',
      `SetEnv DOCKER_HOST=unix://${opts.dockerSocketPath}`,
      'AllowTcpForwarding yes',
      'AllowStreamLocalForwarding yes',
      'PrintMotd no',
      'PrintLastLog no',
      // Tests may open many connections at once; the default 10:30:100 drops some of them.
      'MaxStartups 100',
      ...(opts.maxSessions === 'default' ? [] : [`MaxSessions ${opts.maxSessions ?? 100}`]),
      'LogLevel VERBOSE',
      'Subsystem sftp /usr/lib/openssh/sftp-server',
      '',
    ].join('\n'),
  );

  const log = fs.openSync(logFile, 'a');
  // -D: stay in the foreground so we own the pid; sshd needs an absolute path to re-exec itself.
  const child = spawn(sshd, ['-D', '-f', config, '-E', logFile], {
    detached: true,
    stdio: ['ignore', log, log],
    env: toolEnv(),
  });
  fs.closeSync(log);
  let exited = false;
  child.on('exit', () => {
    exited = true;
  });
  child.on('error', () => {
    exited = true;
  });
  child.unref();

  const stop = async () => {
    const pid = readPidFile(pidFile) ?? child.pid;
    if (pid === undefined || !isAlive(pid)) {
      return;
    }
    // Session processes outlive the listener, so take the whole tree down.
    await terminate([pid, ...descendants(pid)], 5000);
  };

  const deadline = Date.now() + 20_000;
  while (!(await sshBanner(listenAddress, port))) {
    if (exited) {
      throw new Error(`sshd exited during startup:\n${logTail(logFile)}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`sshd not answering on ${listenAddress}:${port} after 20 s:\n${logTail(logFile)}`);
    }
    await sleep(100);
  }
  return {
    host: listenAddress,
    port,
    user: 'root',
    identityFile,
    knownHostsFile,
    hostKeyPublic: hostKeysPublic[0],
    hostKeysPublic,
    pid: readPidFile(pidFile) ?? child.pid ?? 0,
    logFile,
    stop,
  };
}
