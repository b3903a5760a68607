import * as vscode from 'vscode';
import { randomBytes } from 'crypto';
import type { CompareController, CompareEnvironment } from '../../core/compare/compareController';
import type { ScaleOutAction } from '../../core/compare/protocol';
import { compareVendor } from '../../core/compare/lazyCompare';

export const COMPARE_VIEW_TYPE = 'dockerOnAzure.compare';

const SCALE_OUT_COMMANDS: Record<ScaleOutAction, string> = {
  createSwarm: 'dockerOnAzure.swarm.create',
  showSwarms: 'dockerOnAzure.otherHosts.focus',
};

/** The one "Compare VMs and Containers" panel: revealed when it exists, restored after a reload. */
export class ComparePanel implements vscode.Disposable {
  private current: { panel: vscode.WebviewPanel; controller: CompareController } | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly fleet: Pick<CompareEnvironment, 'hosts' | 'swarms'>,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  private get assets(): vscode.Uri {
    return vscode.Uri.joinPath(this.extensionUri, 'media', 'compare');
  }

  /** Opens the panel on `hostKey`, or switches the open one to it. */
  async show(hostKey?: string): Promise<void> {
    if (this.current) {
      this.current.panel.reveal();
      await this.current.controller.show(hostKey);
      return;
    }
    const panel = vscode.window.createWebviewPanel(COMPARE_VIEW_TYPE, 'Compare VMs and Containers', vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: [this.assets],
    });
    this.attach(panel, hostKey);
  }

  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state: { hostKey?: unknown } | undefined) => {
        if (this.current) {
          panel.dispose();
          return;
        }
        this.attach(panel, typeof state?.hostKey === 'string' ? state.hostKey : undefined);
      },
    });
  }

  private attach(panel: vscode.WebviewPanel, hostKey: string | undefined): void {
    const { webview } = panel;
    const { CompareController, renderComparePage } = compareVendor();
    webview.options = { enableScripts: true, localResourceRoots: [this.assets] };
    const controller = new CompareController(
      {
        hosts: () => this.fleet.hosts(),
        swarms: () => this.fleet.swarms(),
        scaleOut: async (action) => {
          await vscode.commands.executeCommand(SCALE_OUT_COMMANDS[action]);
        },
        post: (message) => void webview.postMessage(message),
        copy: (markdown) => Promise.resolve(vscode.env.clipboard.writeText(markdown)),
      },
      hostKey,
    );
    webview.html = renderComparePage({
      cspSource: webview.cspSource,
      nonce: randomBytes(16).toString('hex'),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(this.assets, 'compare.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(this.assets, 'compare.css')).toString(),
    });
    const received = webview.onDidReceiveMessage((message) =>
      controller.receive(message).catch((err) => this.log.error('Compare VMs and Containers: a measurement failed', err)),
    );
    panel.onDidDispose(() => {
      received.dispose();
      if (this.current?.panel === panel) {
        this.current = undefined;
      }
    });
    this.current = { panel, controller };
  }

  dispose(): void {
    this.current?.panel.dispose();
  }
}
