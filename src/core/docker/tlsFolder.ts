import * as fs from 'fs/promises';
import * as path from 'path';
import type { TlsFiles } from './hostSpec';

/** The Docker CLI's certificate folder layout (DOCKER_CERT_PATH): ca.pem, cert.pem, key.pem. */
export async function tlsFilesInFolder(folder: string): Promise<{ ok: true; files: TlsFiles } | { ok: false; message: string }> {
  const files = { ca: path.join(folder, 'ca.pem'), cert: path.join(folder, 'cert.pem'), key: path.join(folder, 'key.pem') };
  const missing: string[] = [];
  for (const file of Object.values(files)) {
    try {
      await fs.access(file);
    } catch {
      missing.push(path.basename(file));
    }
  }
  return missing.length ? { ok: false, message: `${folder} is missing ${missing.join(', ')}.` } : { ok: true, files };
}
