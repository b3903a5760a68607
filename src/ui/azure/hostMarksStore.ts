import type * as vscode from 'vscode';
import type { HostMark } from '../../core/azure/azureHostSpec';

const KEY = 'dockerOnAzure.azureHostMarks';

/**
 * Existing VMs the user marked as Docker hosts, with how to reach their daemon. Kept on this
 * machine (paths to the user's own keys and certificates only), keyed by the VM's ARM id.
 */
export class HostMarksStore {
  constructor(private readonly memento: vscode.Memento) {}

  get(vmId: string): HostMark | undefined {
    return this.memento.get<Record<string, HostMark>>(KEY, {})[vmId.toLowerCase()];
  }

  async set(vmId: string, mark: HostMark | undefined): Promise<void> {
    const all = { ...this.memento.get<Record<string, HostMark>>(KEY, {}) };
    if (mark) {
      all[vmId.toLowerCase()] = mark;
    } else {
      delete all[vmId.toLowerCase()];
    }
    await this.memento.update(KEY, all);
  }
}
