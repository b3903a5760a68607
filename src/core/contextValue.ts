/**
 * A tree row's context value: its kind and its flags as a set of words. package.json menus match
 * each word with `\bword\b`, never a position or the whole string, so a new flag cannot break a
 * menu. Empty flags are left out.
 */
export function contextValue(kind: string, ...flags: (string | false | undefined)[]): string {
  return [kind, ...flags].filter(Boolean).join(' ');
}
