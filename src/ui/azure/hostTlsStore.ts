import type * as vscode from 'vscode';
import type { ClientTlsPem } from '../../core/azure/azureHostSpec';

interface StoredTls extends ClientTlsPem {
  /** Kept on this machine only, to issue new certificates for the host later; never sent anywhere. */
  caKey: string;
}

/** Client certificates of provisioned TLS hosts, in VS Code's SecretStorage (the OS keychain). */
export class HostTlsStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  private key(vmId: string): string {
    return `dockerOnAzure.tls.${vmId.toLowerCase()}`;
  }

  async get(vmId: string): Promise<ClientTlsPem | undefined> {
    const raw = await this.secrets.get(this.key(vmId));
    if (!raw) {
      return undefined;
    }
    const { ca, cert, key } = JSON.parse(raw) as StoredTls;
    return { ca, cert, key };
  }

  /** The CA that signed the host's certificates, to sign those of another host alike (a node of its swarm). */
  async issuer(vmId: string): Promise<{ certPem: string; keyPem: string } | undefined> {
    const raw = await this.secrets.get(this.key(vmId));
    if (!raw) {
      return undefined;
    }
    const { ca, caKey } = JSON.parse(raw) as StoredTls;
    return caKey ? { certPem: ca, keyPem: caKey } : undefined;
  }

  async set(vmId: string, value: StoredTls): Promise<void> {
    await this.secrets.store(this.key(vmId), JSON.stringify(value));
  }

  async delete(vmId: string): Promise<void> {
    await this.secrets.delete(this.key(vmId));
  }
}
