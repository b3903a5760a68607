import { createHash } from 'crypto';
import * as fs from 'fs/promises';
import * as path from 'path';
import { DockerHostSpec, TlsFiles } from './hostSpec';

export interface ContextProblem {
  /** The folder or file that could not be used. */
  location: string;
  message: string;
}

export interface DockerContextsResult {
  hosts: DockerHostSpec[];
  problems: ContextProblem[];
  currentContext?: string;
}

interface ContextMeta {
  Name?: unknown;
  Metadata?: { Description?: unknown };
  Endpoints?: { docker?: { Host?: unknown; SkipTLSVerify?: unknown } };
}

/** `DOCKER_CONFIG` wins over `~/.docker`, as for the CLI. */
export function dockerConfigDir(env: NodeJS.ProcessEnv, homeDir: string): string {
  return env.DOCKER_CONFIG || path.join(homeDir, '.docker');
}

/** The CLI names a context's folders by the SHA-256 of the context name. */
export function contextDirName(name: string): string {
  return createHash('sha256').update(name).digest('hex');
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}

async function readTlsFolder(configDir: string, dirName: string): Promise<TlsFiles | undefined> {
  const folder = path.join(configDir, 'contexts', 'tls', dirName, 'docker');
  const tls: TlsFiles = {};
  for (const [field, file] of [
    ['ca', 'ca.pem'],
    ['cert', 'cert.pem'],
    ['key', 'key.pem'],
  ] as const) {
    const full = path.join(folder, file);
    if (await exists(full)) {
      tls[field] = full;
    }
  }
  return Object.keys(tls).length ? tls : undefined;
}

/**
 * Reads the Docker CLI's contexts (`contexts/meta/<sha256>/meta.json` and `contexts/tls/<sha256>/docker/`)
 * so existing setups appear without any configuration. One broken context becomes a problem entry;
 * the others still load.
 */
export async function readDockerContexts(configDir: string): Promise<DockerContextsResult> {
  const result: DockerContextsResult = { hosts: [], problems: [] };
  try {
    const config = JSON.parse(await fs.readFile(path.join(configDir, 'config.json'), 'utf8')) as { currentContext?: unknown };
    if (typeof config.currentContext === 'string') {
      result.currentContext = config.currentContext;
    }
  } catch {
    // No config.json, or one the CLI itself would complain about: the current context is just unknown.
  }
  const metaRoot = path.join(configDir, 'contexts', 'meta');
  let dirs: string[];
  try {
    dirs = (await fs.readdir(metaRoot, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return result;
  }
  for (const dirName of dirs.sort()) {
    const metaFile = path.join(metaRoot, dirName, 'meta.json');
    let meta: ContextMeta;
    try {
      meta = JSON.parse(await fs.readFile(metaFile, 'utf8')) as ContextMeta;
    } catch (err) {
      const reason = err instanceof SyntaxError ? `broken JSON (${err.message})` : `unreadable (${(err as NodeJS.ErrnoException).code ?? err})`;
      result.problems.push({ location: metaFile, message: `Docker context in ${dirName.slice(0, 12)}… is ${reason}.` });
      continue;
    }
    const name = typeof meta.Name === 'string' ? meta.Name : undefined;
    const endpoint = meta.Endpoints?.docker;
    const host = typeof endpoint?.Host === 'string' ? endpoint.Host : undefined;
    if (!name || !host) {
      result.problems.push({
        location: metaFile,
        message: `Docker context ${name ? `"${name}"` : `in ${dirName.slice(0, 12)}…`} has no Docker endpoint host.`,
      });
      continue;
    }
    const description = typeof meta.Metadata?.Description === 'string' ? meta.Metadata.Description : undefined;
    result.hosts.push({
      id: `context:${name}`,
      name,
      source: 'context',
      address: host,
      tls: await readTlsFolder(configDir, dirName),
      skipTlsVerify: endpoint?.SkipTLSVerify === true,
      description: description || undefined,
    });
  }
  result.hosts.sort((a, b) => a.name.localeCompare(b.name));
  return result;
}
