import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser } from 'playwright-core';
import { CodeServerHandle, ensureCodeServer, startCodeServer } from './codeServer';
import { keepFailureEvidence } from './e2eEvidence';
import { launchChromium, Workbench } from './workbench';

const repoRoot = path.resolve(__dirname, '..', '..', '..');

/**
 * One end-to-end file's world: a scratch folder, code-server with the packaged extension on a
 * workspace there, and Chromium driving it. Screenshots and, on failure, logs go to
 * .test-results/NAME.
 */
export class E2eSession {
  readonly scratch: string;
  readonly workspace: string;
  readonly results: string;
  private server: CodeServerHandle | undefined;
  private browser: Browser | undefined;
  private workbench: Workbench | undefined;

  /** Synchronous, so a test file can put paths under `scratch` into its settings before starting. */
  constructor(name: string) {
    this.scratch = fs.mkdtempSync(path.join(os.tmpdir(), `doa-${name}-`));
    this.workspace = path.join(this.scratch, 'workspace');
    this.results = path.join(repoRoot, '.test-results', name);
    fs.rmSync(this.results, { recursive: true, force: true });
    fs.mkdirSync(this.results, { recursive: true });
    fs.mkdirSync(this.workspace);
  }

  /** Writes `files` (relative path → text) into the workspace, then opens it in code-server. */
  async start(opts: { files?: Record<string, string>; settings?: Record<string, unknown>; env?: NodeJS.ProcessEnv }): Promise<void> {
    for (const [file, text] of Object.entries(opts.files ?? {})) {
      fs.mkdirSync(path.dirname(path.join(this.workspace, file)), { recursive: true });
      fs.writeFileSync(path.join(this.workspace, file), text);
    }
    this.server = await startCodeServer({
      install: ensureCodeServer(),
      dir: path.join(this.scratch, 'code-server'),
      workspace: this.workspace,
      vsixPaths: [path.join(repoRoot, 'docker-on-azure.vsix')],
      settings: opts.settings,
      env: opts.env,
    });
    this.browser = await launchChromium();
    this.workbench = await Workbench.open(this.browser, this.server.url, this.results);
  }

  get wb(): Workbench {
    if (!this.workbench) {
      throw new Error('the e2e session has not started');
    }
    return this.workbench;
  }

  /** One user-visible step; a failure keeps a screenshot and the extension's logs. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return keepFailureEvidence(
      name,
      fn,
      () => this.workbench,
      () => this.server,
      this.results,
    );
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await this.server?.stop();
    fs.rmSync(this.scratch, { recursive: true, force: true });
  }
}
