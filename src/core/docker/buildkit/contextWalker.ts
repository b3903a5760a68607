import * as fs from 'fs/promises';
import * as path from 'path';
import type { FileStat } from './sessionMessages';
import { cleanPath, couldMatchBelow, onlyPrefixes, PatternMatcher, type MatchInfo } from './contextPatterns';

export interface WalkOptions {
  /** Entries to keep (the daemon's include-patterns and followpaths); none means all. */
  includes: readonly string[];
  /** Entries to leave out (the .dockerignore the daemon parsed). */
  excludes: readonly string[];
  /** The build context's owner is always root, so rebuilds on another machine hit the same cache. */
  resetOwner: boolean;
}

export interface WalkEntry {
  stat: FileStat;
  abs: string;
}

// Go's os.FileMode bits, which fsutil sends instead of st_mode.
const MODE_DIR = 0x80000000;
const MODE_SYMLINK = 0x08000000;
const MODE_NAMED_PIPE = 0x02000000;
const MODE_DEVICE = 0x04000000;
const MODE_CHAR_DEVICE = 0x00200000;
const MODE_SETUID = 0x00800000;
const MODE_SETGID = 0x00400000;
const MODE_STICKY = 0x00100000;
const MODE_TYPE = MODE_DIR | MODE_SYMLINK | MODE_NAMED_PIPE | 0x01000000 | MODE_DEVICE | MODE_CHAR_DEVICE | 0x00080000;

function goFileMode(st: import('fs').BigIntStats): number {
  const mode = Number(st.mode);
  let m = mode & 0o777;
  if (st.isDirectory()) {
    m |= MODE_DIR;
  } else if (st.isSymbolicLink()) {
    m |= MODE_SYMLINK;
  } else if (st.isFIFO()) {
    m |= MODE_NAMED_PIPE;
  } else if (st.isBlockDevice()) {
    m |= MODE_DEVICE;
  } else if (st.isCharacterDevice()) {
    m |= MODE_DEVICE | MODE_CHAR_DEVICE;
  }
  if (mode & 0o4000) {
    m |= MODE_SETUID;
  }
  if (mode & 0o2000) {
    m |= MODE_SETGID;
  }
  if (mode & 0o1000) {
    m |= MODE_STICKY;
  }
  return m >>> 0;
}

/** Only regular files have content the receiver can ask for. */
export function isRegularFile(stat: FileStat): boolean {
  return (stat.mode & MODE_TYPE) >>> 0 === 0;
}

/** Go compares strings by bytes; the daemon's validator refuses any other order ("changes out of order"). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

/**
 * fsutil's followpaths: a path through a symbolic link inside the root also needs the link's
 * target, or the daemon receives a dangling link (a Dockerfile that is a link, for one).
 */
async function followLinks(root: string, paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  const follow = async (rel: string, depth: number): Promise<void> => {
    if (out.has(rel) || depth > 16) {
      return;
    }
    out.add(rel);
    try {
      const target = await fs.readlink(path.join(root, rel));
      const resolved = path.posix.isAbsolute(target) ? target : path.posix.join(path.posix.dirname(rel), target);
      const inside = cleanPath(resolved);
      if (!inside.startsWith('../') && inside !== '..' && !path.posix.isAbsolute(inside)) {
        await follow(inside, depth + 1);
      }
    } catch {
      // Not a link (or gone): the path itself is all.
    }
  };
  for (const p of paths) {
    await follow(cleanPath(p), 0);
  }
  return [...out];
}

interface Folder {
  entry: WalkEntry;
  sent: boolean;
}

/**
 * What fsutil's sender sends for `root`: depth first, each folder's names in byte order, a folder
 * before what it holds, and a folder that is itself filtered out sent only when something inside
 * it is kept (so the receiver always has every parent). Symbolic links are sent as links and
 * never followed, so nothing outside the folder leaves the machine.
 */
export async function walkContext(root: string, opts: WalkOptions & { followPaths?: readonly string[] }): Promise<WalkEntry[]> {
  const includes = [...opts.includes, ...(opts.followPaths?.length ? await followLinks(root, opts.followPaths) : [])];
  const include = includes.length ? new PatternMatcher(includes) : undefined;
  const exclude = opts.excludes.length ? new PatternMatcher(opts.excludes) : undefined;
  const pruneIncludes = include ? onlyPrefixes(include.patterns, false) : false;
  const pruneExcludes = exclude ? onlyPrefixes(exclude.patterns, true) : false;
  const out: WalkEntry[] = [];
  const keep = (folders: Folder[], entry: WalkEntry) => {
    for (const f of folders) {
      if (!f.sent) {
        f.sent = true;
        out.push(f.entry);
      }
    }
    out.push(entry);
  };
  const visit = async (rel: string, folders: Folder[], includeInfo: MatchInfo | undefined, excludeInfo: MatchInfo | undefined) => {
    const names = (await fs.readdir(path.join(root, rel))).sort(byteOrder);
    // One folder's stats at once: one after another, the walk waits on the thread pool per file.
    const stats = await Promise.all(
      names.map((name) =>
        fs.lstat(path.join(root, rel, name), { bigint: true }).catch((err: NodeJS.ErrnoException) => {
          if (err.code === 'ENOENT') {
            return undefined;
          }
          throw err;
        }),
      ),
    );
    for (const [i, name] of names.entries()) {
      const p = rel ? `${rel}/${name}` : name;
      const abs = path.join(root, p);
      const st = stats[i];
      if (!st) {
        continue;
      }
      // fsutil leaves sockets out: they cannot be recreated in an image.
      if (st.isSocket()) {
        continue;
      }
      const isDir = st.isDirectory();
      let skip = false;
      let childInclude: MatchInfo | undefined;
      let childExclude: MatchInfo | undefined;
      if (include) {
        const r = include.matches(p, includeInfo);
        childInclude = r.info;
        if (!r.matched) {
          if (isDir && pruneIncludes && !couldMatchBelow(include.patterns, p, false)) {
            continue;
          }
          skip = true;
        }
      }
      if (exclude) {
        const r = exclude.matches(p, excludeInfo);
        childExclude = r.info;
        if (r.matched) {
          if (isDir && pruneExcludes && !(exclude.hasExclusions && couldMatchBelow(exclude.patterns, p, true))) {
            continue;
          }
          skip = true;
        }
      }
      const entry: WalkEntry = {
        abs,
        stat: {
          path: p,
          mode: goFileMode(st),
          uid: opts.resetOwner ? 0 : Number(st.uid),
          gid: opts.resetOwner ? 0 : Number(st.gid),
          size: isDir ? 0n : st.size,
          modTime: st.mtimeNs,
          linkname: st.isSymbolicLink() ? await fs.readlink(abs) : '',
        },
      };
      if (!skip) {
        keep(folders, entry);
      }
      if (isDir) {
        await visit(p, [...folders, { entry, sent: !skip }], childInclude, childExclude);
      }
    }
  };
  await visit('', [], undefined, undefined);
  return out;
}
