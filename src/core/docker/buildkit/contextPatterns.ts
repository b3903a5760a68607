import * as path from 'path';

/**
 * Docker's path patterns (moby/patternmatcher, used by fsutil for .dockerignore and for the
 * include lists the daemon sends): `*` and `?` stay within one path segment, `**` crosses any
 * number, `!` re-includes, the last matching pattern wins, and a pattern matching a folder matches
 * everything below it.
 */

interface Pattern {
  exclusion: boolean;
  /** The cleaned pattern without its `!`. */
  text: string;
  regex: RegExp;
}

/** Go's filepath.Clean for slash paths. */
export function cleanPath(p: string): string {
  const normal = path.posix.normalize(p);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

const ESCAPED = new Set(['.', '+', '(', ')', '|', '{', '}', '$']);

function compile(text: string): RegExp {
  let re = '^';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '*') {
      if (text[i + 1] === '*') {
        i++;
        if (text[i + 1] === '/') {
          i++;
        }
        re += i + 1 >= text.length ? '.*' : '(.*/)?';
      } else {
        re += '[^/]*';
      }
    } else if (ch === '?') {
      re += '[^/]';
    } else if (ESCAPED.has(ch)) {
      re += `\\${ch}`;
    } else if (ch === '\\') {
      re += i + 1 < text.length ? `\\${text[++i]}` : '\\\\';
    } else {
      re += ch;
    }
  }
  return new RegExp(`${re}$`);
}

/** Per-pattern results for a folder, handed to its entries so each pattern is tried once per level. */
export type MatchInfo = boolean[];

export class PatternMatcher {
  readonly patterns: Pattern[];
  /** Whether any pattern starts with `!`. */
  readonly hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    this.patterns = patterns
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => {
        // Cleaned before the `!` is taken off, as patternmatcher does.
        const cleaned = cleanPath(p);
        const exclusion = cleaned.startsWith('!');
        const text = exclusion ? cleaned.slice(1) : cleaned;
        return { exclusion, text, regex: compile(text) };
      });
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  /** patternmatcher's MatchesUsingParentResults: `parent` is what the entry's folder got, if walked. */
  matches(file: string, parent: MatchInfo | undefined): { matched: boolean; info: MatchInfo } {
    let matched = false;
    const info: MatchInfo = this.patterns.map(() => false);
    this.patterns.forEach((pattern, i) => {
      let match = parent?.[i] ?? false;
      if (!match) {
        // An inclusion cannot change a match already made, nor an exclusion a non-match.
        if (pattern.exclusion !== matched) {
          return;
        }
        match = pattern.regex.test(file);
        if (!match && !parent) {
          const dirs = file.split('/').slice(0, -1);
          for (let j = 1; j <= dirs.length && !match; j++) {
            match = pattern.regex.test(dirs.slice(0, j).join('/'));
          }
        }
      }
      info[i] = match;
      if (match) {
        matched = !pattern.exclusion;
      }
    });
    return { matched, info };
  }
}

/** The pattern without a trailing `/**` or `/*`: the folder it is about. */
export function withoutTrailingGlob(text: string): string {
  return text.replace(/\/\*\*$/, '').replace(/\/\*$/, '');
}

/** Whether a pattern of the list could match something below folder `dir` (fsutil's walk pruning). */
export function couldMatchBelow(patterns: Pattern[], dir: string, exclusions: boolean): boolean {
  const dirSlash = `${dir}/`;
  return patterns.some((p) => p.exclusion === exclusions && `${withoutTrailingGlob(p.text)}/`.startsWith(dirSlash));
}

/** Whether every pattern of the kind is a plain path (after its trailing glob), so pruning by prefix is exact. */
export function onlyPrefixes(patterns: Pattern[], exclusions: boolean): boolean {
  return patterns.filter((p) => p.exclusion === exclusions).every((p) => !/[*?[\\]/.test(withoutTrailingGlob(p.text)));
}
