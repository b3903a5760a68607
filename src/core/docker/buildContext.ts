import * as fsCb from 'fs';
import * as fs from 'fs/promises';
import * as path from 'path';
import { pipeline, type Readable } from 'stream';
import { promisify } from 'util';
import type { Headers } from 'tar-stream';

export interface BuildContext {
  /** Paths relative to the context root, forward slashes: exactly what the tar holds. */
  entries: string[];
  /** The Dockerfile's path relative to the context, as the build API's `dockerfile` parameter. */
  dockerfile: string;
  tar(): Readable;
}

/** `.dockerignore` read the way the Docker CLI reads it: comments and blank lines dropped, paths cleaned. */
export function parseDockerignore(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negated = l.startsWith('!');
      const body = path.posix.normalize((negated ? l.slice(1) : l).trim()).replace(/^\/+/, '');
      return negated ? `!${body}` : body;
    });
}

/**
 * What `docker build` would send for this context: every file and directory not excluded by
 * `.dockerignore` (Docker's own rules, through @balena/dockerignore, a port of Docker's matcher),
 * plus the Dockerfile and `.dockerignore` themselves, which the builder always needs. Symbolic
 * links are sent as links, never followed, so nothing outside the context leaves the machine.
 */
export async function prepareBuildContext(contextDir: string, dockerfilePath: string): Promise<BuildContext> {
  const root = path.resolve(contextDir);
  const dockerfile = path.relative(root, path.resolve(dockerfilePath)).split(path.sep).join('/');
  if (dockerfile.startsWith('../') || path.isAbsolute(dockerfile)) {
    throw new Error(`The Dockerfile ${dockerfilePath} is outside the build context ${root}.`);
  }
  const { default: dockerignore } = await import('@balena/dockerignore');
  let patterns: string[] = [];
  try {
    patterns = parseDockerignore(await fs.readFile(path.join(root, '.dockerignore'), 'utf8'));
  } catch {
    // No .dockerignore: everything is sent.
  }
  const ignore = dockerignore({ ignorecase: false }).add(patterns);
  // A negation may re-include something below an excluded folder, so such folders are still walked.
  const hasNegations = patterns.some((p) => p.startsWith('!'));
  const entries: string[] = [];
  const walk = async (relDir: string) => {
    const dirents = await fs.readdir(path.join(root, relDir), { withFileTypes: true });
    for (const d of dirents.sort((a, b) => a.name.localeCompare(b.name))) {
      const rel = relDir ? `${relDir}/${d.name}` : d.name;
      const excluded = ignore.ignores(rel);
      if (d.isDirectory()) {
        if (!excluded) {
          entries.push(rel);
        }
        if (!excluded || hasNegations) {
          await walk(rel);
        }
      } else if (!excluded) {
        entries.push(rel);
      }
    }
  };
  await walk('');
  for (const always of [dockerfile, '.dockerignore']) {
    if (!entries.includes(always)) {
      try {
        await fs.lstat(path.join(root, always));
        entries.push(always);
      } catch {
        // Only present files are added back.
      }
    }
  }
  return { entries, dockerfile, tar: () => packEntries(root, withParents(entries)) };
}

/**
 * '.', the entries, and the folders above each entry (a re-included file's folders may be excluded
 * themselves), every folder before what it holds.
 */
function withParents(entries: string[]): string[] {
  const names = ['.'];
  const seen = new Set<string>();
  for (const entry of entries) {
    const parts = entry.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const name = parts.slice(0, i).join('/');
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }
  return names;
}

/**
 * Files are read this many entries ahead of the one being packed. One at a time, every file costs
 * several round trips through Node's thread pool while the upload waits: a context of many small
 * files packed several times slower than the daemon could take it.
 */
const READ_AHEAD = 32;
/** Larger files are streamed when their turn comes instead of read ahead whole, which bounds the memory held. */
const READ_WHOLE_LIMIT = 512 * 1024;

// The callback API through promisify: fs/promises' FileHandle and readFile cost several times the
// CPU per small file, which the daemon, unpacking on the same machine, then lacks.
const lstat = promisify(fsCb.lstat);
const readlink = promisify(fsCb.readlink);
const open = promisify(fsCb.open);
const read = promisify(fsCb.read);
const close = promisify(fsCb.close);

/** The file's first `size` bytes, the length its header announces (fewer if it shrank meanwhile). */
async function readWhole(abs: string, size: number): Promise<Buffer> {
  const fd = await open(abs, 'r');
  try {
    const buffer = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await read(fd, buffer, got, size - got, got);
      if (bytesRead === 0) {
        break;
      }
      got += bytesRead;
    }
    return buffer.subarray(0, got);
  } finally {
    await close(fd);
  }
}

interface Loaded {
  header: Headers;
  body?: Buffer;
  streamFrom?: string;
}

/** The tar of `names` (relative to root), each header with lstat's mode less the umask, owner and mtime. */
function packEntries(root: string, names: string[]): Readable {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const tar = require('tar-stream') as typeof import('tar-stream');
  const pack = tar.pack();
  const umask = process.umask();
  const load = async (name: string): Promise<Loaded | undefined> => {
    const abs = path.join(root, name);
    const stat = await lstat(abs);
    const header: Headers = { name, mode: stat.mode & ~umask, mtime: stat.mtime, size: 0, uid: stat.uid, gid: stat.gid };
    if (stat.isDirectory()) {
      return { header: { ...header, type: 'directory' } };
    }
    if (stat.isSymbolicLink()) {
      return { header: { ...header, type: 'symlink', linkname: (await readlink(abs)).split(path.sep).join('/') } };
    }
    if (stat.isSocket()) {
      return undefined;
    }
    if (!stat.isFile()) {
      throw new Error(`unsupported type for ${name}`);
    }
    if (stat.size <= READ_WHOLE_LIMIT) {
      return { header: { ...header, type: 'file' }, body: await readWhole(abs, stat.size) };
    }
    return { header: { ...header, type: 'file', size: stat.size }, streamFrom: abs };
  };
  // A destroyed pack (the upload aborted) never calls an entry back.
  let stopped = false;
  const closed = new Promise<void>((resolve) => pack.once('close', resolve)).then(() => {
    stopped = true;
  });
  const put = ({ header, body, streamFrom }: Loaded) =>
    Promise.race([
      closed,
      new Promise<void>((resolve, reject) => {
        const done = (err?: Error | null) => (err ? reject(err) : resolve());
        if (streamFrom) {
          pipeline(fsCb.createReadStream(streamFrom, { start: 0, end: (header.size ?? 0) - 1 }), pack.entry(header, done), () => undefined);
        } else {
          pack.entry(header, body, done);
        }
      }),
    ]);
  const drive = async () => {
    const loading: (Promise<Loaded | undefined> | undefined)[] = [];
    const start = (i: number) => {
      if (i < names.length) {
        loading[i] = load(names[i]);
        // Rejections are handled when the entry's turn comes; until then they must not count as unhandled.
        loading[i]?.catch(() => undefined);
      }
    };
    for (let i = 0; i < READ_AHEAD; i++) {
      start(i);
    }
    for (let i = 0; i < names.length && !stopped; i++) {
      start(i + READ_AHEAD);
      const entry = await loading[i];
      loading[i] = undefined;
      if (entry) {
        await put(entry);
      }
    }
    pack.finalize();
  };
  drive().catch((err: Error) => pack.destroy(err));
  return pack as unknown as Readable;
}
