import { MARKERS } from '../../core/azure/dockerInstall/installScript';
import { UNINSTALL_MARKERS } from '../../core/azure/dockerInstall/uninstallScript';
import type { ScriptEvent } from '../../core/azure/dockerInstall/customScriptRun';

/** The scripts' marker lines in words; their other lines as they came, stderr flagged. */
const MARKER_WORDS: [string, string][] = [
  [MARKERS.os, 'found '],
  [MARKERS.changed, 'changed: '],
  [MARKERS.hostKey, 'SSH host key: '],
  [MARKERS.refused, 'refused: '],
  [UNINSTALL_MARKERS.kept, 'kept: '],
  [UNINSTALL_MARKERS.unrecorded, 'no record, found: '],
];

/** One line of the Install output for what a VM script reported. */
export function scriptLogLine(e: ScriptEvent): string {
  if (e.kind === 'step') {
    return e.text;
  }
  const marker = MARKER_WORDS.find(([m]) => e.line.startsWith(m));
  const line = marker ? marker[1] + e.line.slice(marker[0].length) : e.line;
  return `  ${e.stream === 'stderr' ? '! ' : ''}${line}`;
}

/** A script run's events: every one to the output channel, its steps to the progress notification too. */
export function scriptEventSink(log: { appendLine(line: string): void }, progress: { report(value: { message?: string }): void }) {
  return (e: ScriptEvent): void => {
    log.appendLine(scriptLogLine(e));
    if (e.kind === 'step') {
      progress.report({ message: e.text });
    }
  };
}
