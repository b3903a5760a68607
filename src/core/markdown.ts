/**
 * Markdown built from strings that a daemon, a Docker context or Azure chose (names, images,
 * commands, labels, error texts). A hostile daemon is not bound by Docker's naming rules: a
 * backtick in an image name would close its code span and let `[Open](https://…)` or an image
 * that phones home render in the tooltip. Every such string goes through one of these two.
 */

/** CommonMark line endings; a blank line would end the paragraph and start fresh markup. */
function oneLine(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ');
}

/**
 * Text that renders as itself: every ASCII punctuation character backslash-escaped (CommonMark
 * allows it for all of them), so no emphasis, link, autolink (`https:`, `www.`, `@`), HTML or
 * entity can start.
 */
export function markdownText(text: string): string {
  return oneLine(text).replace(/[!-/:-@[-`{-~]/g, '\\$&');
}

/**
 * A code span showing `text` verbatim (nothing for empty text). Backslashes do not escape inside
 * code, so the fence is one backtick longer than any run inside it. Text that starts or ends with a
 * backtick or a space gets a space on each side, which CommonMark strips again (exactly one, and
 * never from text that is all spaces).
 */
export function markdownCode(text: string): string {
  const line = oneLine(text);
  if (!line) {
    return '';
  }
  const longestRun = Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  const pad = /^[` ]|[` ]$/.test(line) && !/^ +$/.test(line) ? ' ' : '';
  return `${fence}${pad}${line}${pad}${fence}`;
}
