import * as fs from 'fs/promises';
import * as path from 'path';
import { contextDirName } from './dockerContexts';
import { hasTlsMaterial, type DockerHostSpec } from './hostSpec';

/** The Docker CLI's rule for context names. */
const CONTEXT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

export function validateContextName(name: string): string | undefined {
  return CONTEXT_NAME.test(name) ? undefined : 'Use letters, digits and _ . + - (starting with a letter or digit, at least two characters).';
}

/**
 * Writes a Docker CLI context for a host, in the CLI's own layout, so `docker --context NAME ps`
 * works from any terminal. TLS material goes into the context's tls folder as the CLI keeps it.
 * Refuses to overwrite an existing context.
 */
export async function exportDockerContext(configDir: string, name: string, spec: DockerHostSpec, description: string): Promise<string> {
  const problem = validateContextName(name);
  if (problem) {
    throw new Error(`"${name}" is not a valid context name. ${problem}`);
  }
  const dirName = contextDirName(name);
  const metaDir = path.join(configDir, 'contexts', 'meta', dirName);
  try {
    await fs.access(path.join(metaDir, 'meta.json'));
    throw new Error(`A Docker context named "${name}" already exists.`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw err;
    }
  }
  if (hasTlsMaterial(spec)) {
    const tlsDir = path.join(configDir, 'contexts', 'tls', dirName, 'docker');
    await fs.mkdir(tlsDir, { recursive: true, mode: 0o700 });
    for (const [field, file] of [
      ['ca', 'ca.pem'],
      ['cert', 'cert.pem'],
      ['key', 'key.pem'],
    ] as const) {
      const target = path.join(tlsDir, file);
      // A provisioned host's certificates exist only in SecretStorage; an added host's are files.
      const pem = spec.tlsPem?.[field];
      const source = spec.tls?.[field];
      if (pem) {
        await fs.writeFile(target, pem, { mode: 0o600 });
      } else if (source) {
        await fs.copyFile(source, target);
      } else {
        continue;
      }
      await fs.chmod(target, field === 'key' ? 0o600 : 0o644);
    }
  }
  await fs.mkdir(metaDir, { recursive: true, mode: 0o755 });
  const meta = {
    Name: name,
    Metadata: { Description: description },
    Endpoints: { docker: { Host: spec.address, SkipTLSVerify: !!spec.skipTlsVerify } },
  };
  await fs.writeFile(path.join(metaDir, 'meta.json'), JSON.stringify(meta));
  return metaDir;
}
