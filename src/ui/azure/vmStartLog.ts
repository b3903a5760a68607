import type * as vscode from 'vscode';

const KEY = 'dockerOnAzure.vmStartTimes';
const KEPT = 5;

/**
 * How long each VM took from start request to running, as seen by Start Host VM: the only VM
 * start-up figure the comparison page can show that was measured, not looked up.
 */
export class VmStartLog {
  constructor(private readonly memento: vscode.Memento) {}

  /** Most recent first. */
  get(vmId: string): number[] {
    return this.memento.get<Record<string, number[]>>(KEY, {})[vmId.toLowerCase()] ?? [];
  }

  async record(vmId: string, ms: number): Promise<void> {
    const all = { ...this.memento.get<Record<string, number[]>>(KEY, {}) };
    all[vmId.toLowerCase()] = [Math.round(ms), ...this.get(vmId)].slice(0, KEPT);
    await this.memento.update(KEY, all);
  }
}
