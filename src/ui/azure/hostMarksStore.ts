import type * as vscode from 'vscode';
import type { HostMark } from '../../core/azure/azureHostSpec';

const KEY = 'dockerOnAzure.azureHostMarks';
const SSH_KEYS = 'dockerOnAzure.azureHostSshKeys';

/**
 * Existing VMs the user marked as Docker hosts, with how to reach their daemon. Kept on this
 * machine (paths to the user's own keys and certificates only), keyed by the VM's ARM id.
 */
export class HostMarksStore {
  constructor(private readonly memento: vscode.Memento) {}

  get(vmId: string): HostMark | undefined {
    return this.memento.get<Record<string, HostMark>>(KEY, {})[vmId.toLowerCase()];
  }

  /**
   * The private key a VM provisioned with a TLS daemon takes for SSH (its mark, if any, names the
   * key of an SSH host): a path to the user's own file, for Open SSH Terminal.
   */
  sshKey(vmId: string): string | undefined {
    return this.memento.get<Record<string, string>>(SSH_KEYS, {})[vmId.toLowerCase()];
  }

  async setSshKey(vmId: string, identityFile: string | undefined): Promise<void> {
    const all = { ...this.memento.get<Record<string, string>>(SSH_KEYS, {}) };
    if (identityFile) {
      all[vmId.toLowerCase()] = identityFile;
    } else {
      delete all[vmId.toLowerCase()];
    }
    await this.memento.update(SSH_KEYS, all);
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
