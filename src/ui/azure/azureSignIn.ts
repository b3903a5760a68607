import * as vscode from 'vscode';
import type { AzureAccount } from '../../core/azure/azureAccount';
import { AzureSignInError } from '../../core/azure/azureErrors';
import { resolveCloud } from '../../core/azure/cloud';
import { IdentityAccount } from '../../core/azure/identityAccount';
import type { IdentityMode } from '../../core/azure/identityCredentials';
import { customCloudSettings, signInMethod } from '../settings';
import { azureAuthVendor } from './lazyAzureAuth';
import type { VSCodeAccount } from './azureAuthVendor';

export type SignInMode = 'vscode' | IdentityMode;

const CONTEXT_KEY = 'dockerOnAzure.azure.signedIn';

/**
 * Who is signed in to Azure, by the method the user chose: VS Code's Microsoft account (default),
 * or non-interactively through @azure/identity (service principal from the environment, Azure CLI)
 * with an optional custom Resource Manager endpoint and authority.
 */
export class AzureSignIn implements vscode.Disposable {
  private vscodeAccount: VSCodeAccount | undefined;
  private identity: { account: IdentityAccount; key: string } | undefined;
  /** Identity sign-in is implicit; signing out hides it until the user signs in again. */
  private identitySignedOut = false;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly log: vscode.LogOutputChannel) {}

  get mode(): SignInMode {
    return signInMethod();
  }

  private vscodeSide(): VSCodeAccount {
    if (!this.vscodeAccount) {
      this.vscodeAccount = azureAuthVendor().createVSCodeAccount(this.log);
      this.vscodeAccount.onDidChange(() => this.fire());
    }
    return this.vscodeAccount;
  }

  /** The account to list subscriptions with; throws AzureSignInError when signed out. */
  account(): AzureAccount {
    if (this.mode === 'vscode') {
      return this.vscodeSide();
    }
    if (this.identitySignedOut) {
      throw new AzureSignInError('You signed out of Azure.');
    }
    const cloud = resolveCloud(customCloudSettings());
    const key = JSON.stringify([this.mode, cloud]);
    if (this.identity?.key !== key) {
      this.identity = { account: new IdentityAccount(this.mode as IdentityMode, cloud, process.env), key };
    }
    return this.identity.account;
  }

  /** Also keeps the context key the views' welcome content depends on in step. */
  async isSignedIn(): Promise<boolean> {
    const signedIn = this.mode === 'vscode' ? await this.vscodeSide().isSignedIn() : !this.identitySignedOut;
    if (signedIn !== this.lastKnown) {
      this.lastKnown = signedIn;
      await vscode.commands.executeCommand('setContext', CONTEXT_KEY, signedIn);
    }
    return signedIn;
  }
  private lastKnown: boolean | undefined;

  async signIn(): Promise<void> {
    if (this.mode === 'vscode') {
      await this.vscodeSide().signIn();
    } else {
      this.identitySignedOut = false;
      this.identity = undefined;
    }
    this.fire();
  }

  async signOut(): Promise<void> {
    if (this.mode === 'vscode') {
      await this.vscodeSide().signOut();
    } else {
      this.identitySignedOut = true;
    }
    this.fire();
  }

  /** Settings changed: the next call builds a new account. */
  reset(): void {
    this.identity = undefined;
    this.fire();
  }

  private fire(): void {
    void this.isSignedIn().catch(() => false);
    this.changed.fire();
  }

  dispose(): void {
    this.vscodeAccount?.dispose();
    this.changed.dispose();
  }
}
