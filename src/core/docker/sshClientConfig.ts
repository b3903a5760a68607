import * as fs from 'fs/promises';
import * as path from 'path';
import SSHConfig from 'ssh-config';

/**
 * What the OpenSSH client needs to reach a host the way the extension does. The Docker CLI and
 * terminals run the system `ssh`, which knows only ~/.ssh/config, its default keys and the default
 * known_hosts files, not the extension's settings.
 */
export interface SshClientNeeds {
  host: string;
  identityFile?: string;
  knownHostsFile: string;
}

/** What OpenSSH reads when ~/.ssh/config says nothing (ssh(1), ssh_config(5)). */
const DEFAULT_IDENTITIES = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'];
const DEFAULT_KNOWN_HOSTS = ['known_hosts', 'known_hosts2'];

function expandHome(file: string, homeDir: string): string {
  return path.resolve(file.replace(/^~(?=\/|$)/, homeDir));
}

function values(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : v.split(/\s+/).filter(Boolean);
}

/**
 * The directives a Host entry must add for `ssh <host>` to use this key and known_hosts file, or
 * undefined when the config (or OpenSSH's defaults) already does.
 */
export function missingSshDirectives(configText: string, needs: SshClientNeeds, homeDir: string): Record<string, string> | undefined {
  // Match exec would run commands from the file while merely reading it.
  const computed = SSHConfig.parse(configText).compute(needs.host, { ignoreCase: true, matchExec: false });
  const sshDir = path.join(homeDir, '.ssh');
  const missing: Record<string, string> = {};
  if (needs.identityFile) {
    const key = path.resolve(needs.identityFile);
    const configured = values(computed.identityfile).map((f) => expandHome(f, homeDir));
    const byDefault = !configured.length && DEFAULT_IDENTITIES.some((n) => path.join(sshDir, n) === key);
    if (!byDefault && !configured.includes(key)) {
      missing.IdentityFile = key;
    }
  }
  const knownHosts = path.resolve(needs.knownHostsFile);
  const configured = values(computed.userknownhostsfile).map((f) => expandHome(f, homeDir));
  const files = configured.length ? configured : DEFAULT_KNOWN_HOSTS.map((n) => path.join(sshDir, n));
  if (!files.includes(knownHosts)) {
    missing.UserKnownHostsFile = knownHosts;
  }
  return Object.keys(missing).length ? missing : undefined;
}

/**
 * Adds a `Host` entry for this exact host at the end of the config, as VS Code's Remote - SSH adds
 * hosts, and leaves every other line as it was. Creates ~/.ssh (0700) and the file (0600) if needed.
 * Returns the file, and what ssh would still not use: an earlier entry that sets the same
 * directive for every host wins by OpenSSH's first-match rule.
 */
export async function addSshHostEntry(
  homeDir: string,
  needs: SshClientNeeds,
  directives: Record<string, string>,
  comment: string,
): Promise<{ file: string; stillMissing?: Record<string, string> }> {
  const file = path.join(homeDir, '.ssh', 'config');
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
  }
  const entry = SSHConfig.parse(`# ${comment}\n`);
  entry.append({ Host: needs.host, ...directives });
  const before = text.trim() ? `${text.trimEnd()}\n\n` : '';
  const updated = `${before}${entry.toString().trimEnd()}\n`;
  await fs.writeFile(file, updated, { mode: 0o600 });
  return { file, stillMissing: missingSshDirectives(updated, needs, homeDir) };
}
