/**
 * What cloud-init does with a VM's customData, as far as an emulated Docker host needs it: decode
 * the cloud-config and write its `write_files` below a folder instead of `/`. Then what the VM's
 * Docker would make of those files: whether they describe a daemon listening on TCP with mutual TLS,
 * and whether that daemon would start at all under Ubuntu's docker.service.
 */
import * as fsp from 'node:fs/promises';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';

export interface WriteFile {
  /** Absolute path on the VM, normalized. */
  path: string;
  content: Buffer;
  /** cloud-init's default is 0644. */
  mode: number;
  append: boolean;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The cloud-config document of this customData, or undefined when it is none; throws as cloud-init would refuse. */
function parseCloudConfig(customData: string | undefined): Record<string, unknown> | undefined {
  if (!customData) {
    return undefined;
  }
  let raw = Buffer.from(customData, 'base64');
  // cloud-init takes gzip-compressed user data as well.
  if (raw[0] === 0x1f && raw[1] === 0x8b) {
    raw = gunzipSync(raw);
  }
  const text = raw.toString('utf8');
  if (!/^#cloud-config[ \t]*\r?\n/.test(text)) {
    return undefined;
  }
  let doc: unknown;
  try {
    // cloud-init reads YAML 1.1 (PyYAML): unquoted `permissions: 0644` is octal there.
    doc = parse(text, { version: '1.1' });
  } catch (e) {
    throw new Error(`cloud-init cannot parse the cloud-config: ${(e as Error).message}`);
  }
  if (!isRecord(doc)) {
    throw new Error('cloud-init cannot use the cloud-config: it is not a mapping');
  }
  return doc;
}

/**
 * The files cloud-init would write for this customData (base64, as in osProfile.customData), or
 * undefined when it is not a cloud-config (a shell script, MIME multipart, nothing). Throws for a
 * cloud-config cloud-init would reject.
 */
export function cloudConfigFiles(customData: string | undefined): WriteFile[] | undefined {
  const doc = parseCloudConfig(customData);
  if (!doc) {
    return undefined;
  }
  const entries = doc.write_files ?? [];
  if (!Array.isArray(entries)) {
    throw new Error('cloud-config write_files is not a list');
  }
  return entries.map((e, i) => writeFileOf(e, i));
}

function writeFileOf(e: unknown, i: number): WriteFile {
  if (!isRecord(e) || typeof e.path !== 'string' || !e.path.startsWith('/')) {
    throw new Error(`cloud-config write_files[${i}] has no absolute path`);
  }
  // `!!binary` content (what plain `gz` comes as) parses to bytes, everything else to text.
  const raw =
    e.content instanceof Uint8Array
      ? Buffer.from(e.content)
      : Buffer.from(e.content === undefined || e.content === null ? '' : String(e.content), 'utf8');
  const encoding = String(e.encoding ?? 'text/plain').toLowerCase();
  let bytes: Buffer;
  if (['b64', 'base64'].includes(encoding)) {
    bytes = Buffer.from(raw.toString('utf8'), 'base64');
  } else if (['gz', 'gzip'].includes(encoding)) {
    bytes = gunzipSync(raw);
  } else if (/^(gz|gzip)\+(b64|base64)$/.test(encoding)) {
    bytes = gunzipSync(Buffer.from(raw.toString('utf8'), 'base64'));
  } else if (encoding === 'text/plain') {
    bytes = raw;
  } else {
    throw new Error(`cloud-config write_files[${i}] (${e.path}): unknown encoding '${encoding}'`);
  }
  // cloud-init: an integer is the mode itself, a string is octal.
  const perms = e.permissions;
  const mode = perms === undefined ? 0o644 : typeof perms === 'number' ? perms : parseInt(String(perms), 8);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw new Error(`cloud-config write_files[${i}] (${e.path}): bad permissions '${String(perms)}'`);
  }
  return { path: path.posix.normalize(e.path), content: bytes, mode, append: e.append === true };
}

/** Where a VM path lands below `root` (`..` cannot climb out: the path is normalized from `/`). */
export function underRoot(root: string, vmPath: string): string {
  return path.join(root, path.posix.normalize(`/${vmPath}`));
}

/** Writes the files below `root` as cloud-init writes them below `/`, in order. `owner` is ignored: everything here belongs to root. */
export async function writeFilesUnder(root: string, files: WriteFile[]): Promise<void> {
  for (const f of files) {
    const target = underRoot(root, f.path);
    await fsp.mkdir(path.dirname(target), { recursive: true });
    await (f.append ? fsp.appendFile(target, f.content) : fsp.writeFile(target, f.content));
    await fsp.chmod(target, f.mode);
  }
}

/** A Docker daemon the files set up to listen on TCP with mutual TLS. */
export interface DockerTlsDaemon {
  /** /etc/docker/daemon.json as written. */
  daemonJson: Record<string, unknown>;
  /** The TCP ports of its `hosts` (2376 when an entry names none, as dockerd does with TLS). */
  ports: number[];
  /** VM paths of tlscacert, tlscert, tlskey. */
  tlsFiles: { tlscacert: string; tlscert: string; tlskey: string };
}

const DAEMON_JSON = '/etc/docker/daemon.json';
const DROP_IN_DIR = '/etc/systemd/system/docker.service.d/';
// ExecStart of Ubuntu's (and Debian's) docker.io docker.service.
const PACKAGED_EXEC_START = '/usr/bin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock';

/**
 * The TLS daemon these files configure, or undefined when they configure none (no daemon.json, no
 * TCP host, or no `tlsverify`: SSH mode). Throws when the VM's dockerd would not start with them,
 * with the reason the VM would log.
 */
export function dockerTlsDaemon(files: WriteFile[]): DockerTlsDaemon | undefined {
  const written = new Map(files.map((f) => [f.path, f]));
  const file = written.get(DAEMON_JSON);
  if (!file) {
    return undefined;
  }
  let daemonJson: unknown;
  try {
    daemonJson = JSON.parse(file.content.toString('utf8'));
  } catch (e) {
    throw new Error(`unable to configure the Docker daemon with file ${DAEMON_JSON}: ${(e as Error).message}`);
  }
  if (!isRecord(daemonJson)) {
    throw new Error(`unable to configure the Docker daemon with file ${DAEMON_JSON}: not a JSON object`);
  }
  const hosts = Array.isArray(daemonJson.hosts) ? daemonJson.hosts.map(String) : [];
  const tcp = hosts.map((h) => /^tcp:\/\/[^/]*?(?::(\d+))?\/?$/.exec(h)).filter((m): m is RegExpExecArray => m !== null);
  if (tcp.length === 0 || daemonJson.tlsverify !== true) {
    return undefined;
  }
  const tlsFiles = { tlscacert: '', tlscert: '', tlskey: '' };
  for (const k of ['tlscacert', 'tlscert', 'tlskey'] as const) {
    const p = daemonJson[k];
    if (typeof p !== 'string' || !written.has(path.posix.normalize(p))) {
      throw new Error(`${DAEMON_JSON} sets ${k} to ${JSON.stringify(p)}, which write_files does not write: dockerd would not start`);
    }
    tlsFiles[k] = path.posix.normalize(p);
  }
  checkExecStart(files, hosts);
  return { daemonJson, ports: [...new Set(tcp.map((m) => Number(m[1] ?? 2376)))], tlsFiles };
}

/**
 * The trap of Ubuntu's docker.service: it starts `dockerd -H fd://`, and dockerd refuses `hosts`
 * both as a flag and in daemon.json. Only a drop-in that clears ExecStart and starts dockerd without
 * -H makes such a daemon.json work. Drop-ins apply in file-name order; an empty `ExecStart=` resets.
 */
function checkExecStart(files: WriteFile[], hosts: string[]): void {
  const dropIns = files.filter((f) => f.path.startsWith(DROP_IN_DIR) && f.path.endsWith('.conf')).sort((a, b) => (a.path < b.path ? -1 : 1));
  let execStart = [PACKAGED_EXEC_START];
  for (const f of dropIns) {
    for (const line of f.content.toString('utf8').split(/\r?\n/)) {
      const m = /^\s*ExecStart\s*=\s*(.*?)\s*$/.exec(line);
      if (m) {
        execStart = m[1] === '' ? [] : [...execStart, m[1]];
      }
    }
  }
  if (execStart.length !== 1) {
    throw new Error(
      'docker.service: Service has more than one ExecStart= setting, which is only allowed for Type=oneshot services. Refusing. ' +
        `(clear it with an empty ExecStart= in ${DROP_IN_DIR}*.conf first)`,
    );
  }
  const flagHosts = execStart[0].split(/\s+/).flatMap((arg, i, all) => {
    if (arg === '-H' || arg === '--host') {
      return [all[i + 1] ?? ''];
    }
    const m = /^(?:-H|--host=)(.+)$/.exec(arg);
    return m ? [m[1]] : [];
  });
  if (flagHosts.length > 0) {
    throw new Error(
      `unable to configure the Docker daemon with file ${DAEMON_JSON}: the following directives are specified both as a flag and in the configuration file: ` +
        `hosts: (from flag: [${flagHosts.join(' ')}], from file: [${hosts.join(' ')}])`,
    );
  }
}

/** What cloud-init's ssh modules and runcmd make of an SSH-mode Docker host's cloud-config. */
export interface SshGuestConfig {
  /** `ssh_keys.ed25519_*`: the host key sshd is given; absent, cloud-init generates one. */
  hostKey?: { privateKey: string; publicKey: string };
  /** Users `runcmd` adds to the docker group (`usermod -aG docker USER`). */
  dockerUsers: string[];
}

/**
 * The SSH side of a VM whose cloud-config installs Docker (`packages: [docker.io]`) without a TCP
 * daemon: the host key and who may use Docker's socket. Undefined for any other cloud-config.
 */
export function sshGuestConfig(customData: string | undefined): SshGuestConfig | undefined {
  const doc = parseCloudConfig(customData);
  if (!doc || !Array.isArray(doc.packages) || !doc.packages.includes('docker.io')) {
    return undefined;
  }
  const keys = isRecord(doc.ssh_keys) ? doc.ssh_keys : {};
  const hostKey =
    typeof keys.ed25519_private === 'string' && typeof keys.ed25519_public === 'string'
      ? { privateKey: keys.ed25519_private, publicKey: keys.ed25519_public }
      : undefined;
  const runcmd = Array.isArray(doc.runcmd) ? doc.runcmd : [];
  const dockerUsers = runcmd
    .map((c) => (Array.isArray(c) ? c.map(String) : String(c).split(/\s+/)))
    .filter((c) => c[0] === 'usermod' && c[1] === '-aG' && c[2] === 'docker' && c[3])
    .map((c) => c[3]);
  return { hostKey, dockerUsers };
}
