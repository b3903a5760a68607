import { createHash, createHmac } from 'crypto';
import type { ServerHostKeyAlgorithm } from 'ssh2';

/**
 * OpenSSH's known_hosts format, enough to verify a host the way `ssh` would: plain and hashed
 * (`|1|salt|hash`) host patterns, `[host]:port` for non-standard ports, wildcards, negation and
 * the `@revoked` marker. ssh2 leaves host-key policy to its caller, and no maintained package does
 * this, so it lives here.
 */
export type HostKeyVerdict = 'trusted' | 'unknown' | 'mismatch' | 'revoked';

interface KnownHostEntry {
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  keyBase64: string;
}

export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) {
      continue;
    }
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields.shift() as KnownHostEntry['marker'];
    }
    if (fields.length < 3) {
      continue;
    }
    entries.push({ marker, patterns: fields[0], keyType: fields[1], keyBase64: fields[2] });
  }
  return entries;
}

/** The name ssh looks up: bare host on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(pattern: string): RegExp {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function matchesHashed(pattern: string, name: string): boolean {
  const [, magic, salt, hash] = pattern.split('|');
  if (magic !== '1' || !salt || !hash) {
    return false;
  }
  const digest = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
  return digest === hash;
}

function matchesPatterns(patterns: string, name: string): boolean {
  if (patterns.startsWith('|')) {
    return matchesHashed(patterns, name);
  }
  let matched = false;
  for (const pattern of patterns.split(',')) {
    if (pattern.startsWith('!')) {
      if (globToRegExp(pattern.slice(1)).test(name)) {
        return false;
      }
    } else if (globToRegExp(pattern).test(name)) {
      matched = true;
    }
  }
  return matched;
}

/** `key` is the SSH wire-format public key blob the server presented. */
export function checkHostKey(knownHostsText: string, host: string, port: number, key: Buffer): HostKeyVerdict {
  const name = knownHostsName(host, port);
  const keyBase64 = key.toString('base64');
  let known = false;
  let trusted = false;
  for (const entry of parseKnownHosts(knownHostsText)) {
    if (entry.marker === '@cert-authority' || !matchesPatterns(entry.patterns, name)) {
      continue;
    }
    if (entry.marker === '@revoked') {
      if (entry.keyBase64 === keyBase64) {
        return 'revoked';
      }
      continue;
    }
    if (entry.keyBase64 === keyBase64) {
      trusted = true;
    } else {
      known = true;
    }
  }
  if (trusted) {
    return 'trusted';
  }
  // Any other key of a known host is a changed key, whatever its type: an interceptor offering only
  // a type the file has no key for must not get the first-use prompt (libssh's KNOWN_HOSTS_OTHER).
  return known ? 'mismatch' : 'unknown';
}

/** The key types known_hosts holds for a host, in file order; revoked keys and CA lines do not count. */
export function knownHostKeyTypes(knownHostsText: string, host: string, port: number): string[] {
  const name = knownHostsName(host, port);
  const types = new Set<string>();
  for (const entry of parseKnownHosts(knownHostsText)) {
    if (!entry.marker && matchesPatterns(entry.patterns, name)) {
      types.add(entry.keyType);
    }
  }
  return [...types];
}

/** Key type -> the host key algorithms that present it, in ssh2's own order of preference. */
const HOST_KEY_ALGORITHMS: Record<string, ServerHostKeyAlgorithm[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

/**
 * The host key algorithms to ask for before the others, as OpenSSH does: a server with several
 * host keys then presents one the user already trusts. Since a key of an unknown type counts as a
 * changed key, without this a host known by its RSA key would be refused for offering ed25519.
 * Types ssh2 does not offer by default (DSA, security keys) are left out, not switched on.
 */
export function preferredHostKeyAlgorithms(knownTypes: string[]): ServerHostKeyAlgorithm[] {
  return Object.entries(HOST_KEY_ALGORITHMS)
    .filter(([type]) => knownTypes.includes(type))
    .flatMap(([, algorithms]) => algorithms);
}

/** The algorithm name is the first length-prefixed string of the key blob. */
export function sshKeyType(key: Buffer): string {
  if (key.length < 4) {
    return 'unknown';
  }
  const length = key.readUInt32BE(0);
  return key.subarray(4, 4 + length).toString('ascii');
}

/** The fingerprint `ssh` prints: `SHA256:` and unpadded base64. */
export function sshFingerprint(key: Buffer): string {
  return 'SHA256:' + createHash('sha256').update(key).digest('base64').replace(/=+$/, '');
}

export function knownHostsLine(host: string, port: number, key: Buffer): string {
  return `${knownHostsName(host, port)} ${sshKeyType(key)} ${key.toString('base64')}`;
}

/** The wire-format key blob of an authorized_keys / `.pub` line ("ssh-ed25519 AAAA… comment"). */
export function publicKeyBlob(publicKeyLine: string): Buffer {
  const [, base64] = publicKeyLine.trim().split(/\s+/);
  if (!base64) {
    throw new Error('Not an OpenSSH public key line.');
  }
  return Buffer.from(base64, 'base64');
}

/** Adds a line the way `ssh` does on "yes": creating `~/.ssh` (0700) and the file (0600) if needed. */
export async function appendKnownHost(file: string, line: string): Promise<void> {
  const fs = await import('fs/promises');
  const path = await import('path');
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let existing = '';
  try {
    existing = await fs.readFile(file, 'utf8');
  } catch {
    // A first entry creates the file.
  }
  const prefix = existing && !existing.endsWith('\n') ? '\n' : '';
  await fs.appendFile(file, `${prefix}${line}\n`, { mode: 0o600 });
}

/** A name in a line's host list, as `ssh-keygen -R` finds it: literally or hashed, never through a wildcard. */
function namesHost(patterns: string, name: string): boolean {
  return patterns.startsWith('|') ? matchesHashed(patterns, name) : patterns.split(',').some((p) => p.toLowerCase() === name.toLowerCase());
}

/**
 * Makes `key` the one known_hosts holds for these exact hosts (an address and its DNS name), as
 * `ssh-keygen -R` followed by an append would: for an address Azure handed out before (to this user
 * or another customer), the old key must stop being trusted. Other names on a shared line, wildcard
 * and `@revoked` lines stay; the file as it was is kept in `<file>.old`. Returns how many entries went.
 */
export async function replaceKnownHostKey(file: string, hosts: string[], port: number, key: Buffer): Promise<number> {
  const fs = await import('fs/promises');
  const names = hosts.map((h) => knownHostsName(h, port));
  const keyBase64 = key.toString('base64');
  let existing = '';
  try {
    existing = await fs.readFile(file, 'utf8');
  } catch {
    // A first entry creates the file.
  }
  let removed = 0;
  const present = new Set<string>();
  const kept: string[] = [];
  for (const line of existing.split('\n')) {
    const entry = parseKnownHosts(line)[0];
    const named = entry && !entry.marker ? names.filter((n) => namesHost(entry.patterns, n)) : [];
    if (!entry || !named.length) {
      kept.push(line);
    } else if (entry.keyBase64 === keyBase64) {
      named.forEach((n) => present.add(n));
      kept.push(line);
    } else if (entry.patterns.startsWith('|')) {
      removed++;
    } else {
      const all = entry.patterns.split(',');
      const others = all.filter((p) => !named.some((n) => p.toLowerCase() === n.toLowerCase()));
      removed += all.length - others.length;
      if (others.length) {
        kept.push(line.replace(/^\s*\S+/, others.join(',')));
      }
    }
  }
  if (removed) {
    await fs.writeFile(`${file}.old`, existing, { mode: 0o600 });
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.writeFile(tmp, kept.join('\n'), { mode: 0o600 });
    await fs.rename(tmp, file);
  }
  for (const host of hosts) {
    if (!present.has(knownHostsName(host, port))) {
      await appendKnownHost(file, knownHostsLine(host, port, key));
    }
  }
  return removed;
}
