import { COMPARISON_ROWS, TopicKey } from './comparisonFacts';
import type { Figure, Glance } from './protocol';

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
    `| Topic | Virtual machines | Containers |${live ? ` Measured on ${cell(hostLabel)} |` : ''}`,
    `|:--- | --- | --- |${live ? ' --- |' : ''}`,
    ...COMPARISON_ROWS.map(
      (r) => `| ${cell(r.topic)} | ${cell(r.vm)} | ${cell(r.container)} |${live ? ` ${cell(figureText(figures[r.key]))} |` : ''}`,
    ),
  ];
  if (live && glance?.state === 'value' && glance.containers.length) {
    const mark = (b: boolean) => (b ? 'yes' : '');
    lines.push(
      '',
      `Security glance for ${cell(hostLabel)}:`,
      '',
      '| Container | Root user | Privileged | Host network | Docker socket | Added capabilities |',
      '|:--- | --- | --- | --- | --- | --- |',
      ...glance.containers.map(
        (c) =>
          `| ${cell(c.name)} | ${mark(c.root)} | ${mark(c.privileged)} | ${mark(c.hostNetwork)} | ${mark(c.dockerSocket)} | ${cell(c.addedCapabilities.join(', '))} |`,
      ),
    );
  }
  return lines.join('\n') + '\n';
}
