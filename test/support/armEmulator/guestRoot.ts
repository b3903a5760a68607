/**
 * The root filesystem of an emulated VM, for running what a VM extension sends it. It is this
 * machine's root seen through an overlay (so the script runs real binaries: sh, usermod, systemctl,
 * dpkg) whose writes land in the VM's own upper folder and persist across runs, as a disk does.
 * What the VM image decides is written into that folder first: /etc/os-release from the VM's image
 * reference, an SSH host key of its own (made at "first boot"), and the admin user outside the
 * docker group, as a fresh image has them. systemd is not PID 1 there, as in any chroot: services
 * are enabled but not started, and dockerHostBoot.ts starts what the VM would run.
 *
 * This machine has docker.io installed, and the overlay shows it: an emulated VM's package database
 * has Docker Engine already, so an install script takes its "already installed" path here.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { run } from '../processes';

export interface GuestRootDirs {
  /** The VM's own files (the overlay's upper layer). */
  upper: string;
  work: string;
  merged: string;
}

/** /etc/os-release of the images tests use, keyed `publisher:offer` (lower case); others read as an unknown Linux. */
const IMAGES: Record<string, (sku: string) => Record<string, string>> = {
  'canonical:ubuntu-24_04-lts': () => ({ ID: 'ubuntu', VERSION_ID: '24.04', PRETTY_NAME: 'Ubuntu 24.04.3 LTS', ID_LIKE: 'debian' }),
  'canonical:0001-com-ubuntu-server-jammy': () => ({ ID: 'ubuntu', VERSION_ID: '22.04', PRETTY_NAME: 'Ubuntu 22.04.5 LTS', ID_LIKE: 'debian' }),
  'canonical:0001-com-ubuntu-server-focal': () => ({ ID: 'ubuntu', VERSION_ID: '20.04', PRETTY_NAME: 'Ubuntu 20.04.6 LTS', ID_LIKE: 'debian' }),
  'debian:debian-12': () => ({ ID: 'debian', VERSION_ID: '12', PRETTY_NAME: 'Debian GNU/Linux 12 (bookworm)' }),
  'debian:debian-11': () => ({ ID: 'debian', VERSION_ID: '11', PRETTY_NAME: 'Debian GNU/Linux 11 (bullseye)' }),
  'almalinux:almalinux-x86_64': (sku) => ({
    ID: 'almalinux',
    VERSION_ID: sku.startsWith('8') ? '8.10' : '9.5',
    PRETTY_NAME: 'AlmaLinux',
    ID_LIKE: 'rhel centos fedora',
  }),
  'suse:sles-15-sp5': () => ({ ID: 'sles', VERSION_ID: '15.5', PRETTY_NAME: 'SUSE Linux Enterprise Server 15 SP5', ID_LIKE: 'suse' }),
};

export function osReleaseOf(image: { publisher?: unknown; offer?: unknown; sku?: unknown }): string {
  const make = IMAGES[`${String(image.publisher)}:${String(image.offer)}`.toLowerCase()];
  const fields = make ? make(String(image.sku ?? '')) : { ID: 'linux', PRETTY_NAME: 'Linux' };
  return Object.entries(fields)
    .map(([k, v]) => `${k}="${v}"\n`)
    .join('');
}

export function guestRootDirs(dir: string): GuestRootDirs {
  return { upper: path.join(dir, 'upper'), work: path.join(dir, 'work'), merged: path.join(dir, 'merged') };
}

/** Makes the VM's disk on first use: its image's os-release, its own host key, its admin user outside the docker group. */
export async function prepareGuestRoot(dir: string, osRelease: string, adminUser: string): Promise<GuestRootDirs> {
  const d = guestRootDirs(dir);
  if (fs.existsSync(d.upper)) {
    return d;
  }
  const etc = path.join(d.upper, 'etc');
  await fsp.mkdir(path.join(etc, 'ssh'), { recursive: true });
  await fsp.mkdir(d.work, { recursive: true });
  await fsp.mkdir(d.merged, { recursive: true });
  await fsp.writeFile(path.join(etc, 'os-release'), osRelease);
  const key = path.join(etc, 'ssh', 'ssh_host_ed25519_key');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${path.basename(dir)}`, '-f', key]);
  for (const file of ['group', 'gshadow']) {
    const text = await fsp.readFile(path.join('/etc', file), 'utf8').catch(() => undefined);
    if (text !== undefined) {
      await fsp.writeFile(path.join(etc, file), withoutMember(text, 'docker', adminUser), { mode: file === 'gshadow' ? 0o640 : 0o644 });
    }
  }
  return d;
}

function withoutMember(groupFile: string, group: string, user: string): string {
  return groupFile
    .split('\n')
    .map((line) => {
      const f = line.split(':');
      if (f[0] !== group || f.length < 4) {
        return line;
      }
      f[f.length - 1] = f[f.length - 1]
        .split(',')
        .filter((m) => m && m !== user)
        .join(',');
      return f.join(':');
    })
    .join('\n');
}

/** Where a VM path is on this machine: the VM's own layer first, else the image; undefined when the VM deleted it or never had it. */
function guestLocation(d: GuestRootDirs, vmPath: string): string | undefined {
  for (const candidate of [path.join(d.upper, vmPath), vmPath]) {
    const st = fs.lstatSync(candidate, { throwIfNoEntry: false });
    if (st) {
      // An overlay whiteout: deleted on the VM.
      return st.isCharacterDevice() && st.rdev === 0 ? undefined : candidate;
    }
  }
  return undefined;
}

export function guestFileExists(d: GuestRootDirs, vmPath: string): boolean {
  return guestLocation(d, vmPath) !== undefined;
}

export function readGuestFile(d: GuestRootDirs, vmPath: string): string | undefined {
  const at = guestLocation(d, vmPath);
  return at === undefined ? undefined : fs.readFileSync(at, 'utf8');
}

export interface GuestProcess {
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the exit code (a signal reads as 128 + its number, as a shell reports it). */
  readonly exited: Promise<number>;
  kill(): void;
}

/**
 * Runs `command` (sh -c) as root inside the VM's root, in `cwd` there, with `files` written there
 * first: a mount namespace of its own holds the overlay, /proc and /dev, and goes when it ends.
 */
export function runInGuest(d: GuestRootDirs, cwd: string, files: Record<string, { content: Buffer; mode: number }>, command: string): GuestProcess {
  const hostCwd = path.join(d.upper, cwd);
  fs.mkdirSync(hostCwd, { recursive: true });
  for (const [name, f] of Object.entries(files)) {
    fs.writeFileSync(path.join(hostCwd, name), f.content, { mode: f.mode });
  }
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const setup = [
    `mount -t overlay overlay -o lowerdir=/,upperdir=${q(d.upper)},workdir=${q(d.work)} ${q(d.merged)}`,
    `mount -t proc proc ${q(d.merged + '/proc')}`,
    `mount --rbind /dev ${q(d.merged + '/dev')}`,
    `exec chroot ${q(d.merged)} /bin/sh -c ${q(`cd ${q(cwd)} && exec /bin/sh -c ${q(command)}`)}`,
  ].join(' && ');
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '/bin/sh', '-c', setup], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  const exited = new Promise<number>((resolve) => {
    child.on('error', (e) => {
      stderr += e.message;
      resolve(127);
    });
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? os.constants.signals[signal] : 9)));
  });
  return {
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    exited,
    kill: () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Already gone.
      }
    },
  };
}
