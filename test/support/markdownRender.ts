/** Renders tooltip Markdown as VS Code's hover does (it uses marked, GFM on) and says what came out. */
import assert from 'node:assert/strict';
import { marked } from 'marked';

export interface RenderedMarkdown {
  html: string;
  /** Every element name in the output, in order. */
  tags: string[];
  /** The text of each code span, as shown. */
  codes: string[];
  /** All visible text, markup removed. */
  text: string;
}

function unescapeHtml(html: string): string {
  return html.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'" })[e]!);
}

export function renderMarkdown(markdown: string): RenderedMarkdown {
  const html = marked.parse(markdown, { async: false });
  return {
    html,
    tags: [...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1].toLowerCase()),
    codes: [...html.matchAll(/<code>([\s\S]*?)<\/code>/g)].map((m) => unescapeHtml(m[1])),
    text: unescapeHtml(html.replace(/<[^>]*>/g, '')),
  };
}

/** A daemon's string as a tooltip must show it: verbatim, on one line. */
export function shownAs(text: string): string {
  return text.replace(/\r\n?|\n/g, ' ');
}

/**
 * The tooltip renders to paragraphs, bold, line breaks and code only (no link, image, HTML of the
 * daemon's making), its code spans are exactly `codes`, and each of `texts` shows as plain text.
 */
export function assertInertTooltip(markdown: string, codes: string[], texts: string[] = []): void {
  const rendered = renderMarkdown(markdown);
  const foreign = rendered.tags.filter((t) => !['p', 'strong', 'br', 'code'].includes(t));
  assert.deepEqual(foreign, [], `only text markup in ${rendered.html}`);
  assert.deepEqual(rendered.codes, codes.map(shownAs), `code spans in ${rendered.html}`);
  for (const text of texts) {
    assert.ok(rendered.text.includes(shownAs(text)), `${JSON.stringify(shownAs(text))} shows as text in ${rendered.html}`);
  }
}
