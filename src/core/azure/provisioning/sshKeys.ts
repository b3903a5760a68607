/**
 * The SSH key a provisioned host is reached with: either a new ed25519 pair made here and kept in
 * ~/.ssh next to the user's other keys (so plain `ssh` and `docker -H ssh://` use it too), or a
 * key the user already has, of which only the public half ever leaves the machine.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { provisionedKeyFileName } from './naming';
import { utils } from 'ssh2';

export interface SshKeyPair {
  /** OpenSSH format, "-----BEGIN OPENSSH PRIVATE KEY-----", unencrypted, ending in a newline. */
  privateKey: string;
  /** One authorized_keys line: "ssh-ed25519 AAAA... comment". */
  publicKey: string;
}

export interface WrittenKeyPair {
  privateKeyPath: string;
  publicKeyPath: string;
}

// ssh refuses a private key that others can read; group/other readable .pub is what ssh-keygen writes.
const DIR_MODE = 0o700;
const PRIVATE_MODE = 0o600;
const PUBLIC_MODE = 0o644;

// ssh's own default identities, offered first because they are what `ssh host` already tries.
const DEFAULT_KEY_NAMES = ['id_ed25519', 'id_ecdsa', 'id_ed25519_sk', 'id_ecdsa_sk', 'id_rsa', 'id_dsa'];

export function generateSshKeyPair(comment: string): SshKeyPair {
  // A line break would split the public key into two authorized_keys lines.
  if (/[\r\n\0]/.test(comment)) {
    throw new Error('An SSH key comment must be a single line.');
  }
  // ssh2 drops a leading zero byte of the public key (mscdex/ssh2#1513, open in 1.17.0), which
  // makes about one pair in 256 a 31-byte key that sshd rejects. Such a pair is drawn again; the
  // next one is independent, so this ends at once in practice.
  for (;;) {
    const pair = utils.generateKeyPairSync('ed25519', { comment });
    if (wellFormed(pair.private, pair.public)) {
      return { privateKey: withTrailingNewline(pair.private), publicKey: pair.public.trim() };
    }
  }
}

/** Both halves parse, the public key is ed25519's 32 bytes, and the private key holds the same one. */
function wellFormed(privateKey: string, publicKey: string): boolean {
  const pub = utils.parseKey(publicKey);
  const priv = utils.parseKey(privateKey);
  if (!pub || pub instanceof Error || !priv || priv instanceof Error) {
    return false;
  }
  const blob = pub.getPublicSSH();
  // uint32 length + "ssh-ed25519" (15 bytes), then the key's own length.
  return blob.length === 15 + 4 + 32 && blob.readUInt32BE(15) === 32 && priv.getPublicSSH().equals(blob);
}

/**
 * The file name for a new key pair of this host: provisionedKeyFileName's, or that with `_2`, … when
 * a host of that name had one before (a deleted host's key is the user's, never overwritten).
 */
export async function freeKeyFileName(sshDir: string, hostName: string): Promise<string> {
  for (let n = 1; ; n++) {
    const name = n === 1 ? provisionedKeyFileName(hostName) : `${provisionedKeyFileName(hostName)}_${n}`;
    const file = path.join(sshDir, name);
    if (!(await exists(file)) && !(await exists(`${file}.pub`))) {
      return name;
    }
  }
}

export async function writeSshKeyPair(sshDir: string, fileName: string, pair: SshKeyPair): Promise<WrittenKeyPair> {
  checkKeyFileName(fileName);
  const privateKeyPath = path.join(sshDir, fileName);
  const publicKeyPath = `${privateKeyPath}.pub`;
  // Checked together first, so an existing .pub does not leave a new private key behind.
  await refuseExisting(privateKeyPath);
  await refuseExisting(publicKeyPath);
  await fs.mkdir(sshDir, { recursive: true, mode: DIR_MODE });
  await writeNewFile(privateKeyPath, withTrailingNewline(pair.privateKey), PRIVATE_MODE);
  try {
    await writeNewFile(publicKeyPath, withTrailingNewline(pair.publicKey), PUBLIC_MODE);
  } catch (err) {
    // A private key without its .pub would not be listed as an existing key, and would block the name.
    await fs.rm(privateKeyPath, { force: true });
    throw err;
  }
  return { privateKeyPath, publicKeyPath };
}

/**
 * Takes back a pair writeSshKeyPair wrote, once what it was made for is gone. A file that no longer
 * holds what was written there is someone else's now and stays.
 */
export async function removeSshKeyPair(written: WrittenKeyPair, pair: SshKeyPair): Promise<void> {
  const wrote: [string, string][] = [
    [written.privateKeyPath, withTrailingNewline(pair.privateKey)],
    [written.publicKeyPath, withTrailingNewline(pair.publicKey)],
  ];
  for (const [file, content] of wrote) {
    if ((await fs.readFile(file, 'utf8').catch(() => undefined)) === content) {
      await fs.rm(file, { force: true });
    }
  }
}

export async function readPublicKey(privateOrPublicKeyPath: string): Promise<string> {
  const isPub = privateOrPublicKeyPath.endsWith('.pub');
  const publicKeyPath = isPub ? privateOrPublicKeyPath : `${privateOrPublicKeyPath}.pub`;
  const line = parsePublicKeyLine(await readPublicKeyFile(publicKeyPath, isPub), publicKeyPath);
  if (!isPub) {
    await requireSameKey(privateOrPublicKeyPath, line, publicKeyPath);
  }
  return line;
}

export async function listExistingKeys(sshDir: string): Promise<string[]> {
  const entries = await readDirIfPresent(sshDir);
  const names = new Set(entries);
  const candidates = entries.filter((name) => !name.endsWith('.pub') && names.has(`${name}.pub`));
  const keys: string[] = [];
  for (const name of candidates) {
    if (await looksLikePrivateKey(path.join(sshDir, name))) {
      keys.push(name);
    }
  }
  return keys.sort(byDefaultsFirst).map((name) => path.join(sshDir, name));
}

function checkKeyFileName(fileName: string): void {
  if (!fileName || fileName === '.' || fileName === '..' || /[/\\\0]/.test(fileName)) {
    throw new Error(`"${fileName}" is not a file name: give a plain name such as id_ed25519_myhost.`);
  }
  if (fileName.endsWith('.pub')) {
    throw new Error(`"${fileName}" is the public key's name: give the private key's name, without .pub.`);
  }
}

async function refuseExisting(file: string): Promise<void> {
  if (await exists(file)) {
    throw new Error(`${file} already exists; choose another key name, or use that key instead of a new one.`);
  }
}

async function writeNewFile(file: string, content: string, mode: number): Promise<void> {
  // 'wx' fails if the file appeared since the check: never clobber a key someone else just wrote.
  const handle = await fs.open(file, 'wx', mode);
  try {
    await handle.writeFile(content);
    // The mode given to open is cut by the umask; the key's mode must not depend on it.
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

async function readPublicKeyFile(publicKeyPath: string, givenDirectly: boolean): Promise<string> {
  try {
    return await fs.readFile(publicKeyPath, 'utf8');
  } catch (err) {
    if (errorCode(err) !== 'ENOENT') {
      throw err;
    }
    const hint = givenDirectly ? '' : ` Recreate it with: ssh-keygen -y -f ${publicKeyPath.slice(0, -4)} > ${publicKeyPath}`;
    throw new Error(`No SSH public key at ${publicKeyPath}.${hint}`);
  }
}

function parsePublicKeyLine(text: string, publicKeyPath: string): string {
  const line = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0 && !l.startsWith('#'));
  const parsed = line ? utils.parseKey(line) : undefined;
  if (!line || !parsed || parsed instanceof Error || parsed.isPrivateKey()) {
    throw new Error(`${publicKeyPath} is not an SSH public key (expected a line like "ssh-ed25519 AAAA... comment").`);
  }
  return line;
}

// A stale .pub from an older key would put the wrong key on the VM and lock the user out.
// Encrypted private keys cannot be checked here and are trusted as they are; so is a missing one,
// since agents such as 1Password's keep only the .pub on disk.
async function requireSameKey(privateKeyPath: string, publicLine: string, publicKeyPath: string): Promise<void> {
  const privateText = await fs.readFile(privateKeyPath).catch(() => undefined);
  if (!privateText) {
    return;
  }
  const privateKey = utils.parseKey(privateText);
  const publicKey = utils.parseKey(publicLine);
  if (privateKey instanceof Error || publicKey instanceof Error || !privateKey.isPrivateKey()) {
    return;
  }
  if (!privateKey.getPublicSSH().equals(publicKey.getPublicSSH())) {
    throw new Error(`${publicKeyPath} does not match the private key ${privateKeyPath}.`);
  }
}

async function readDirIfPresent(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') {
      return [];
    }
    throw err;
  }
}

// Some tools keep other pairs in ~/.ssh (e.g. "foo" and "foo.pub" notes); only PEM-style, OpenSSH
// and PuTTY private keys count.
async function looksLikePrivateKey(file: string): Promise<boolean> {
  try {
    const stat = await fs.stat(file);
    if (!stat.isFile()) {
      return false;
    }
    const head = await readHead(file, 100);
    return /^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(head) || head.startsWith('PuTTY-User-Key-File-');
  } catch {
    return false;
  }
}

async function readHead(file: string, bytes: number): Promise<string> {
  const handle = await fs.open(file, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    const { bytesRead } = await handle.read(buf, 0, bytes, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}

function byDefaultsFirst(a: string, b: string): number {
  const rank = (name: string) => {
    const i = DEFAULT_KEY_NAMES.indexOf(name);
    return i === -1 ? DEFAULT_KEY_NAMES.length : i;
  };
  return rank(a) - rank(b) || a.localeCompare(b);
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      return false;
    }
    throw err;
  }
}

function withTrailingNewline(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
