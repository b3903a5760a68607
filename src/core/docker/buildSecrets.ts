import * as path from 'path';

export interface SecretMount {
  id: string;
  /** `required=true`: BuildKit fails the step when no value is given. */
  required: boolean;
}

/**
 * The build secrets a Dockerfile's `RUN --mount=type=secret,…` steps read, by id, in order of first
 * use. Docker's rules: the id defaults to the base name of `target` (or `dst`, `destination`), and
 * a mount without either reads the secret with its own id at /run/secrets/<id>.
 */
export function secretMounts(dockerfile: string): SecretMount[] {
  const found = new Map<string, SecretMount>();
  const joined = dockerfile.replace(/\\\r?\n/g, ' ');
  for (const line of joined.split(/\r?\n/)) {
    const run = /^\s*RUN\s+(.*)$/i.exec(line);
    // Only RUN's own flags, which come before its command: `RUN echo --mount=…` mounts nothing.
    const flags = run ? (/^(?:--[a-z-]+(?:=(?:"[^"]*"|\S+))?\s+)*/i.exec(run[1] + ' ')?.[0] ?? '') : '';
    for (const m of flags.matchAll(/--mount=(?:"([^"]*)"|(\S+))/g)) {
      const options = new Map<string, string>();
      for (const part of (m[1] ?? m[2]).split(',')) {
        const eq = part.indexOf('=');
        options.set((eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase(), eq < 0 ? 'true' : part.slice(eq + 1).trim());
      }
      if (options.get('type') !== 'secret') {
        continue;
      }
      const target = options.get('target') ?? options.get('dst') ?? options.get('destination');
      const id = options.get('id') ?? (target ? path.posix.basename(target) : undefined);
      if (!id) {
        continue;
      }
      const required = options.get('required') === 'true';
      found.set(id, { id, required: required || (found.get(id)?.required ?? false) });
    }
  }
  return [...found.values()];
}
