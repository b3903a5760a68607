import * as fs from 'fs/promises';
import * as path from 'path';
import type { Readable } from 'stream';

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
  return {
    entries,
    dockerfile,
    tar: () => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const tarFs = require('tar-fs') as typeof import('tar-fs');
      const allowed = new Set(entries);
      // Folders above a re-included file must be walked for tar-fs to reach it.
      const parents = new Set(
        entries.flatMap((e) =>
          e
            .split('/')
            .slice(0, -1)
            .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
        ),
      );
      return tarFs.pack(root, {
        dereference: false,
        ignore: (name: string) => {
          const rel = path.relative(root, name).split(path.sep).join('/');
          return rel !== '' && !allowed.has(rel) && !parents.has(rel);
        },
      }) as unknown as Readable;
    },
  };
}
