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
