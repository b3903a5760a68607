import { COMPARISON_ROWS, TopicKey } from './comparisonFacts';
import { markdownText } from '../markdown';
import type { Figure, Glance } from './protocol';

/** For the rows' own text; what the host reported goes through markdownText, so a paste cannot turn a name into a link. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

export function figureText(f: Figure | undefined): string {
  if (!f || f.state === 'measuring') {
    return 'measuring…';
  }
  return f.state === 'value' ? f.text : `not measured: ${f.reason}`;
}

/** The comparison with the chosen host's figures, ready to paste into an issue or a wiki. */
export function comparisonMarkdown(hostLabel: string | undefined, figures: Partial<Record<TopicKey, Figure>>, glance?: Glance): string {
  const live = hostLabel !== undefined;
  const lines = [
    `| Topic | Virtual machines | Containers |${live ? ` Measured on ${markdownText(hostLabel)} |` : ''}`,
    `|:--- | --- | --- |${live ? ' --- |' : ''}`,
    ...COMPARISON_ROWS.map(
      (r) => `| ${cell(r.topic)} | ${cell(r.vm)} | ${cell(r.container)} |${live ? ` ${markdownText(figureText(figures[r.key]))} |` : ''}`,
    ),
  ];
  if (live && glance?.state === 'value' && glance.containers.length) {
    const mark = (b: boolean) => (b ? 'yes' : '');
    lines.push(
      '',
      `Security glance for ${markdownText(hostLabel)}:`,
      '',
      '| Container | Root user | Privileged | Host network | Docker socket | Added capabilities |',
      '|:--- | --- | --- | --- | --- | --- |',
      ...glance.containers.map(
        (c) =>
          `| ${markdownText(c.name)} | ${mark(c.root)} | ${mark(c.privileged)} | ${mark(c.hostNetwork)} | ${mark(c.dockerSocket)} | ${markdownText(c.addedCapabilities.join(', '))} |`,
      ),
    );
  }
  return lines.join('\n') + '\n';
}
