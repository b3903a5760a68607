import * as vscode from 'vscode';
import type { CleartextConsent } from '../../core/docker/cleartextCredentials';

const ALLOWED_KEY = 'dockerOnAzure.push.cleartextEngines';
const SEND_ANYWAY = 'Send Anyway';

/**
 * The user's answer to "send registry credentials to this plain-HTTP engine?", asked in a modal and
 * kept per engine address in global state (the addresses are not secret; the credentials never go
 * there).
 */
export class CleartextConsentStore implements CleartextConsent {
  constructor(private readonly state: vscode.Memento) {}

  allowed(): readonly string[] {
    return this.state.get<string[]>(ALLOWED_KEY, []);
  }

  async ask(engine: string, what: string): Promise<boolean> {
    const choice = await vscode.window.showWarningMessage(
      `${engine} is reached over unencrypted HTTP, so ${what} would cross the network in the clear.`,
      {
        modal: true,
        detail:
          'Anyone on the network path can read it. Reach this host over SSH or TLS instead, or choose Send Anyway to allow it for this host from now on.',
      },
      SEND_ANYWAY,
    );
    return choice === SEND_ANYWAY;
  }

  async remember(engine: string): Promise<void> {
    await this.state.update(ALLOWED_KEY, [...this.allowed(), engine]);
  }
}
