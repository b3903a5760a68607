/**
 * A stand-in daemon that answers just enough of the Engine API for `docker build` (legacy builder)
 * to upload its build context, and records the tar's entries: the Docker CLI's own idea of what a
 * context holds, to compare the product's packing against.
 */
import * as fs from 'fs';
import * as http from 'http';
import * as path from 'path';
import type { Readable } from 'stream';

interface TarExtract {
  on(event: 'entry', fn: (header: { name: string; type: string }, stream: Readable, next: () => void) => void): void;
  on(event: 'finish' | 'error', fn: (err?: Error) => void): void;
}

/** Names of the non-directory entries of a tar stream, sorted. */
export function listTar(tar: Readable): Promise<string[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const extract = (require('tar-stream') as { extract(): TarExtract & NodeJS.WritableStream }).extract();
  const names: string[] = [];
  return new Promise((resolve, reject) => {
    extract.on('entry', (header, stream, next) => {
      if (header.type !== 'directory') {
        names.push(header.name.replace(/^\.\//, '').replace(/\/$/, ''));
      }
      stream.on('end', next);
      stream.resume();
    });
    extract.on('finish', () => resolve(names.sort()));
    extract.on('error', (err) => reject(err));
    tar.pipe(extract);
  });
}

export async function captureCliBuildContext(dir: string): Promise<{ socketPath: string; contexts: Promise<string[]>[]; close(): Promise<void> }> {
  const socketPath = path.join(dir, 'capture.sock');
  fs.rmSync(socketPath, { force: true });
  const contexts: Promise<string[]>[] = [];
  const server = http.createServer((req, res) => {
    const headers = { 'Api-Version': '1.41', 'Docker-Experimental': 'false', Ostype: 'linux', 'Content-Type': 'text/plain' };
    if (/\/_ping$/.test(req.url ?? '')) {
      res.writeHead(200, headers);
      res.end(req.method === 'HEAD' ? undefined : 'OK');
      return;
    }
    if (req.method === 'POST' && /\/build(\?|$)/.test(req.url ?? '')) {
      const listed = listTar(req);
      contexts.push(listed);
      void listed.then(() => {
        res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ stream: 'Successfully built 0123456789ab\n' }) + '\n');
      });
      return;
    }
    res.writeHead(404, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ message: `not emulated: ${req.method} ${req.url}` }));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return { socketPath, contexts, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
