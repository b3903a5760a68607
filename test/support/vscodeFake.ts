/**
 * A working stand-in for the parts of the `vscode` API the extension uses, so the real tree
 * providers and command handlers can run in plain Node against real Docker engines. It records
 * what the extension asked of VS Code (registered commands, messages, terminals) for assertions;
 * answers to prompts are scripted by the test. The real VS Code is exercised by the e2e suite.
 */

import * as fs from 'fs';
import * as path from 'path';

type Listener<T> = (e: T) => unknown;

export class EventEmitter<T> {
  private readonly listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(data: T): void {
    for (const l of [...this.listeners]) {
      l(data);
    }
  }
  /** Fires, then waits for what the listeners return: VS Code ignores it, a scripted user waits for the checks it starts. */
  async fireAndWait(data: T): Promise<void> {
    await Promise.all([...this.listeners].map((l) => l(data)));
  }
  dispose(): void {
    this.listeners.clear();
  }
}

export class Disposable {
  constructor(private readonly fn: () => void) {}
  static from(...items: { dispose(): unknown }[]): Disposable {
    return new Disposable(() => items.forEach((i) => i.dispose()));
  }
  dispose(): void {
    this.fn();
  }
}

export enum TreeItemCollapsibleState {
  None = 0,
  Collapsed = 1,
  Expanded = 2,
}

export class TreeItem {
  id?: string;
  description?: string | boolean;
  tooltip?: unknown;
  iconPath?: unknown;
  contextValue?: string;
  command?: { command: string; title: string; arguments?: unknown[] };
  constructor(
    public label: string,
    public collapsibleState: TreeItemCollapsibleState = TreeItemCollapsibleState.None,
  ) {}
}

export class ThemeIcon {
  constructor(
    readonly id: string,
    readonly color?: ThemeColor,
  ) {}
}

export class ThemeColor {
  constructor(readonly id: string) {}
}

export class MarkdownString {
  isTrusted?: boolean | { readonly enabledCommands: readonly string[] };
  supportHtml?: boolean;
  constructor(
    public value = '',
    public supportThemeIcons = false,
  ) {}
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly authority: string,
    readonly path: string,
    readonly query: string,
    readonly fragment = '',
  ) {}
  static from(c: { scheme: string; authority?: string; path?: string; query?: string; fragment?: string }): Uri {
    return new Uri(c.scheme, c.authority ?? '', c.path ?? '', c.query ?? '', c.fragment ?? '');
  }
  static file(p: string): Uri {
    return new Uri('file', '', p, '');
  }
  static parse(s: string): Uri {
    const u = new URL(s);
    return new Uri(u.protocol.replace(/:$/, ''), u.host, u.pathname, u.search.replace(/^\?/, ''), decodeURIComponent(u.hash.replace(/^#/, '')));
  }
  get fsPath(): string {
    return this.path;
  }
  with(change: { path?: string }): Uri {
    return new Uri(this.scheme, this.authority, change.path ?? this.path, this.query, this.fragment);
  }
  toString(): string {
    const authority = this.authority || this.scheme === 'file' ? `//${this.authority}` : '';
    return `${this.scheme}:${authority}${this.path}${this.query ? '?' + this.query : ''}${this.fragment ? '#' + this.fragment : ''}`;
  }
}

export enum QuickPickItemKind {
  Separator = -1,
  Default = 0,
}

export enum ProgressLocation {
  SourceControl = 1,
  Window = 10,
  Notification = 15,
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
}

export class FakeTreeView<T> {
  visible = false;
  private readonly visibility = new EventEmitter<{ visible: boolean }>();
  readonly onDidChangeVisibility = this.visibility.event;
  constructor(
    readonly viewId: string,
    readonly options: { treeDataProvider: unknown },
  ) {}
  setVisible(visible: boolean): void {
    this.visible = visible;
    this.visibility.fire({ visible });
  }
  reveal(_: T): Promise<void> {
    return Promise.resolve();
  }
  dispose(): void {
    this.visibility.dispose();
  }
}

export interface ContentProvider {
  provideTextDocumentContent(uri: Uri): Promise<string> | string;
}

export interface Recorded {
  commands: Map<string, (...args: unknown[]) => unknown>;
  treeViews: Map<string, FakeTreeView<unknown>>;
  treeProviders: Map<string, unknown>;
  webviewSerializers: Map<string, unknown>;
  messages: { level: 'info' | 'warning' | 'error'; text: string }[];
  terminals: { name: string; pty?: unknown }[];
  /** What each output channel shows now, by channel name (clear empties it). */
  outputs: Map<string, string>;
  /** Every message reported to a progress notification, in order. */
  progress: string[];
  /** Text document content providers by URI scheme, as VS Code would ask them for a document. */
  contentProviders: Map<string, ContentProvider>;
  /** Presses Cancel on the latest progress notification. */
  cancelProgress: () => void;
  clipboard: string;
  opened: string[];
  /**
   * Answers for the next prompts, in order; `undefined` means the user pressed Escape. A
   * createQuickPick/createInputBox prompt also takes `QuickInputButtons.Back`.
   */
  answers: unknown[];
  /** Values typed into a createInputBox that its validation refused (the prompt then ends as by Escape). */
  refusedInputs: { value: string; message: string }[];
  /** What scripted answers to createQuickPick/createInputBox threw (the prompt then ends as by Escape). */
  answerErrors: unknown[];
  /** The next progress notification is cancelled right after its task starts. */
  cancelNextProgress: boolean;
  /** User (global) settings by full key. */
  config: Record<string, unknown>;
  /** The open workspace's `.vscode/settings.json`, by full key. */
  workspaceConfig: Record<string, unknown>;
  /**
   * Whether workspace values obey each setting's `scope` from package.json (and the untrusted-workspace
   * restrictions) as VS Code does. Off, every workspace value reaches the extension, as if that
   * enforcement were bypassed, to show the extension's own defence.
   */
  enforceSettingScopes: boolean;
}

export const recorded: Recorded = {
  commands: new Map(),
  treeViews: new Map(),
  treeProviders: new Map(),
  webviewSerializers: new Map(),
  contentProviders: new Map(),
  messages: [],
  terminals: [],
  outputs: new Map(),
  progress: [],
  cancelProgress: () => undefined,
  clipboard: '',
  opened: [],
  answers: [],
  refusedInputs: [],
  answerErrors: [],
  cancelNextProgress: false,
  config: {},
  workspaceConfig: {},
  enforceSettingScopes: true,
};

/** An answer may be a function of what was offered (the quick pick's items, the input box's options). */
const nextAnswer = async (offered?: unknown) => {
  const answer = recorded.answers.shift();
  return typeof answer === 'function' ? answer(await offered) : answer;
};

function logChannel(name: string) {
  const noop = () => undefined;
  const append = (text: string) => recorded.outputs.set(name, (recorded.outputs.get(name) ?? '') + text);
  return {
    info: noop,
    warn: noop,
    error: noop,
    debug: noop,
    trace: noop,
    appendLine: (text: string) => append(`${text}\n`),
    append,
    show: noop,
    clear: () => recorded.outputs.set(name, ''),
    dispose: noop,
  };
}

export const QuickInputButtons = { Back: { iconPath: new ThemeIcon('arrow-left'), tooltip: 'Back' } };

/** The parts of a quick input both kinds share: its events, and the prompt ending by Escape. */
class FakeQuickInput {
  title?: string;
  step?: number;
  totalSteps?: number;
  ignoreFocusOut = false;
  busy = false;
  buttons: unknown[] = [];
  protected readonly accepted = new EventEmitter<void>();
  protected readonly hidden = new EventEmitter<void>();
  protected readonly button = new EventEmitter<unknown>();
  readonly onDidAccept = this.accepted.event;
  readonly onDidHide = this.hidden.event;
  readonly onDidTriggerButton = this.button.event;
  hide(): void {
    this.hidden.fire();
  }
  dispose(): void {
    this.accepted.dispose();
    this.hidden.dispose();
    this.button.dispose();
  }
  /**
   * Escape and Back are answered alike by both kinds; anything else is theirs to take. An answer
   * that throws (a failed assertion in it) is kept in recorded.answerErrors and ends the prompt.
   */
  protected answerWith(offered: unknown, take: (answer: unknown) => Promise<void>): void {
    nextAnswer(offered)
      .then((answer) => {
        if (answer === undefined) {
          this.hidden.fire();
        } else if (answer === QuickInputButtons.Back) {
          this.button.fire(answer);
        } else {
          return take(answer);
        }
      })
      .catch((err: unknown) => {
        recorded.answerErrors.push(err);
        this.hidden.fire();
      });
  }
}

/** window.createQuickPick: shown, it takes the next answer (an item, or a function of the items). */
class FakeQuickPick<T> extends FakeQuickInput {
  placeholder?: string;
  items: T[] = [];
  activeItems: T[] = [];
  selectedItems: T[] = [];
  show(): void {
    this.answerWith(this.items, async (item) => {
      this.selectedItems = [item as T];
      await this.accepted.fireAndWait();
    });
  }
}

/**
 * window.createInputBox: shown, it takes the next answer (a string, or a function of the box that
 * may first `type` other values and read what the extension says of them). Enter waits for the
 * extension's checks of the value, as a user waits for the busy box.
 */
export class FakeInputBox extends FakeQuickInput {
  value = '';
  prompt?: string;
  validationMessage?: string;
  private readonly changed = new EventEmitter<string>();
  readonly onDidChangeValue = this.changed.event;
  /** Replaces the value as typing does, and waits for the extension's check of it. */
  async type(value: string): Promise<void> {
    this.value = value;
    await this.changed.fireAndWait(value);
  }
  show(): void {
    this.answerWith(this, async (typed) => {
      await this.type(String(typed));
      await this.accepted.fireAndWait();
      // A value VS Code would keep the box open on: the script is wrong, so end rather than hang.
      if (this.validationMessage) {
        recorded.refusedInputs.push({ value: this.value, message: this.validationMessage });
        this.hidden.fire();
      }
    });
  }
}

export const window = {
  createOutputChannel: (name: string) => logChannel(name),
  createTreeView: <T>(viewId: string, options: { treeDataProvider: unknown }) => {
    const view = new FakeTreeView<T>(viewId, options);
    recorded.treeViews.set(viewId, view as FakeTreeView<unknown>);
    return view;
  },
  registerTreeDataProvider: (viewId: string, provider: unknown) => {
    recorded.treeProviders.set(viewId, provider);
    return new Disposable(() => recorded.treeProviders.delete(viewId));
  },
  registerWebviewPanelSerializer: (viewType: string, serializer: unknown) => {
    recorded.webviewSerializers.set(viewType, serializer);
    return new Disposable(() => recorded.webviewSerializers.delete(viewType));
  },
  showInformationMessage: (text: string) => {
    recorded.messages.push({ level: 'info', text });
    return nextAnswer();
  },
  showWarningMessage: (text: string) => {
    recorded.messages.push({ level: 'warning', text });
    return nextAnswer();
  },
  showErrorMessage: (text: string) => {
    recorded.messages.push({ level: 'error', text });
    return nextAnswer();
  },
  showQuickPick: (items: unknown) => nextAnswer(items),
  createQuickPick: <T>() => new FakeQuickPick<T>(),
  createInputBox: () => new FakeInputBox(),
  showInputBox: (options: unknown) => nextAnswer(options),
  showOpenDialog: () => nextAnswer(),
  showSaveDialog: () => nextAnswer(),
  setStatusBarMessage: () => new Disposable(() => undefined),
  withProgress: async <R>(
    _opts: unknown,
    task: (progress: { report(value: { message?: string }): void }, token: CancellationTokenSource['token']) => Promise<R>,
  ) => {
    const cancellation = new CancellationTokenSource();
    recorded.cancelProgress = () => cancellation.cancel();
    if (recorded.cancelNextProgress) {
      recorded.cancelNextProgress = false;
      // Cancel pressed as soon as the notification shows, once the task listens for it.
      setImmediate(() => cancellation.cancel());
    }
    return task({ report: (value) => value.message !== undefined && recorded.progress.push(value.message) }, cancellation.token);
  },
  createTerminal: (opts: { name: string; pty?: unknown }) => {
    recorded.terminals.push(opts);
    return { name: opts.name, show: () => undefined, dispose: () => undefined };
  },
  showTextDocument: () => Promise.resolve(undefined),
};

/** VS Code's Microsoft sign-in with no account signed in, as on a machine where nobody signed in to Azure. */
export const authentication = {
  getAccounts: () => Promise.resolve([]),
  getSession: () => Promise.resolve(undefined),
  onDidChangeSessions: () => new Disposable(() => undefined),
};

export const commands = {
  registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
    if (recorded.commands.has(id)) {
      throw new Error(`command '${id}' already exists`);
    }
    recorded.commands.set(id, handler);
    return new Disposable(() => recorded.commands.delete(id));
  },
  executeCommand: (id: string, ...args: unknown[]) => Promise.resolve(recorded.commands.get(id)?.(...args)),
};

/** Fired by `update`, as VS Code fires it for any change of a setting the extension reads. */
const configurationChanges = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();

export const workspace = {
  isTrusted: true,
  fs: {
    readFile: async (uri: Uri) => (await import('fs')).promises.readFile(uri.fsPath),
    writeFile: async (uri: Uri, content: Uint8Array) => (await import('fs')).promises.writeFile(uri.fsPath, content),
    // Rejects for a missing file, as VS Code's FileSystemError.FileNotFound does.
    stat: async (uri: Uri) => (await import('fs')).promises.stat(uri.fsPath),
  },
  findFiles: () => Promise.resolve([]),
  asRelativePath: (uri: Uri) => uri.fsPath,
  getConfiguration: (section: string) => configuration(section),
  onDidChangeConfiguration: (listener: (e: { affectsConfiguration(section: string): boolean }) => void) => configurationChanges.event(listener),
  registerTextDocumentContentProvider: (scheme: string, provider: ContentProvider) => {
    recorded.contentProviders.set(scheme, provider);
    return new Disposable(() => recorded.contentProviders.delete(scheme));
  },
  openTextDocument: (uri: Uri) => {
    recorded.opened.push(uri.toString());
    return Promise.resolve({ uri });
  },
};

export enum ConfigurationTarget {
  Global = 1,
  Workspace = 2,
  WorkspaceFolder = 3,
}

interface DeclaredSetting {
  default?: unknown;
  scope?: string;
}

let declaredSettings: Record<string, DeclaredSetting> | undefined;
let restrictedSettings: Set<string> | undefined;

/** The settings the extension declares, read from its package.json as VS Code does. */
function declared(key: string): DeclaredSetting | undefined {
  if (!declaredSettings) {
    const manifest = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', '..', '..', 'package.json'), 'utf8'));
    declaredSettings = manifest.contributes?.configuration?.properties ?? {};
    restrictedSettings = new Set(manifest.capabilities?.untrustedWorkspaces?.restrictedConfigurations ?? []);
  }
  return declaredSettings![key];
}

/** A workspace value VS Code would apply: not for machine/application settings, nor restricted ones in an untrusted workspace. */
function workspaceValueOf(key: string): unknown {
  const scope = declared(key)?.scope ?? 'window';
  if (recorded.enforceSettingScopes && (scope === 'machine' || scope === 'application' || (!workspace.isTrusted && restrictedSettings!.has(key)))) {
    return undefined;
  }
  return recorded.workspaceConfig[key];
}

function configuration(section: string) {
  const full = (key: string) => (section ? `${section}.${key}` : key);
  const inspect = <T>(key: string) => ({
    key: full(key),
    defaultValue: declared(full(key))?.default as T | undefined,
    globalValue: recorded.config[full(key)] as T | undefined,
    workspaceValue: workspaceValueOf(full(key)) as T | undefined,
  });
  return {
    inspect,
    get: <T>(key: string, fallback?: T): T => {
      const seen = inspect<T>(key);
      return (seen.workspaceValue ?? seen.globalValue ?? seen.defaultValue ?? fallback) as T;
    },
    has: (key: string) =>
      inspect(key).workspaceValue !== undefined || inspect(key).globalValue !== undefined || inspect(key).defaultValue !== undefined,
    update: (key: string, value: unknown, target: ConfigurationTarget | boolean = ConfigurationTarget.Workspace) => {
      const store = target === ConfigurationTarget.Global || target === true ? recorded.config : recorded.workspaceConfig;
      if (value === undefined) {
        delete store[full(key)];
      } else {
        store[full(key)] = value;
      }
      const changed = full(key);
      configurationChanges.fire({ affectsConfiguration: (s: string) => changed === s || changed.startsWith(`${s}.`) });
      return Promise.resolve();
    },
  };
}

export const languages = { setTextDocumentLanguage: (doc: unknown) => Promise.resolve(doc) };

export const env = {
  clipboard: {
    writeText: (text: string) => {
      recorded.clipboard = text;
      return Promise.resolve();
    },
  },
  openExternal: (uri: Uri) => {
    recorded.opened.push(uri.toString());
    return Promise.resolve(true);
  },
};

/** A memento backed by a Map, as VS Code's globalState. */
export function memento(): { get<T>(key: string, fallback?: T): T; update(key: string, value: unknown): Promise<void>; keys(): string[] } {
  const data = new Map<string, unknown>();
  return {
    get: <T>(key: string, fallback?: T) => (data.has(key) ? (data.get(key) as T) : (fallback as T)),
    update: (key, value) => {
      data.set(key, value);
      return Promise.resolve();
    },
    keys: () => [...data.keys()],
  };
}

/** SecretStorage backed by a Map. */
export function secretStorage(): {
  get(key: string): Promise<string | undefined>;
  store(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
  keys(): Promise<string[]>;
} {
  const data = new Map<string, string>();
  return {
    keys: () => Promise.resolve([...data.keys()]),
    get: (key) => Promise.resolve(data.get(key)),
    store: (key, value) => {
      data.set(key, value);
      return Promise.resolve();
    },
    delete: (key) => {
      data.delete(key);
      return Promise.resolve();
    },
  };
}

export function resetRecorded(): void {
  recorded.messages.length = 0;
  recorded.terminals.length = 0;
  recorded.progress.length = 0;
  recorded.answers.length = 0;
  recorded.refusedInputs.length = 0;
  recorded.answerErrors.length = 0;
  recorded.cancelNextProgress = false;
  recorded.opened.length = 0;
  recorded.clipboard = '';
  recorded.config = {};
  recorded.workspaceConfig = {};
  recorded.enforceSettingScopes = true;
}
