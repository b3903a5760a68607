import type { ConnectionEnvironment } from '../docker/connectionEnvironment';
import { DockerHostSession } from '../docker/hostSession';
import type { DockerHostSpec, HostSource } from '../docker/hostSpec';
import { RefreshOptions, RefreshScheduler } from '../docker/refreshScheduler';

/** Fills the catalog with one source's hosts (through {@link HostCatalog.update}); may throw. */
export type HostSourceLoader = () => Promise<void>;

const SOURCE_ORDER: HostSource[] = ['local', 'context', 'added', 'azure'];

type ChangeListener = (hostId: string | undefined) => void;

interface Disposable {
  dispose(): void;
}

/**
 * Every Docker host the extension knows, whatever its source: the local engine, CLI contexts,
 * added addresses and Azure VMs. It owns each host's session and the one refresh scheduler, so a
 * host that leaves its source is disconnected and no longer followed. Views render it and
 * commands take their targets from it; `refresh(hostId)` is the one way to re-read a host.
 */
export class HostCatalog implements Disposable {
  /** Sessions by group (a source, or one Azure subscription), then by host id; insertion order is list order. */
  private readonly groups = new Map<string, Map<string, DockerHostSession>>();
  private readonly loaders: HostSourceLoader[] = [];
  private readonly listeners = new Set<ChangeListener>();
  private readonly visibleViews = new Set<string>();
  private readonly scheduler: RefreshScheduler;
  private disposed = false;

  constructor(
    private readonly connectionEnv: () => ConnectionEnvironment,
    refreshOptions: RefreshOptions,
  ) {
    this.scheduler = new RefreshScheduler(
      {
        refresh: (hostId) => {
          this.get(hostId)?.invalidate();
          this.fire(hostId);
        },
        subscribe: async (hostId, onChange, onEnd) => {
          const session = this.get(hostId);
          if (!session) {
            throw new Error(`Host ${hostId} is gone.`);
          }
          return session.watchEvents(onChange, onEnd);
        },
      },
      refreshOptions,
    );
  }

  /**
   * Replaces one group's hosts. A host whose spec is unchanged keeps its session (and its open
   * connection); one that changed or left is disposed and no longer followed.
   */
  update(group: string, specs: readonly DockerHostSpec[]): DockerHostSession[] {
    if (this.disposed) {
      return [];
    }
    const previous = this.groups.get(group) ?? new Map<string, DockerHostSession>();
    const next = new Map<string, DockerHostSession>();
    for (const spec of specs) {
      const existing = previous.get(spec.id);
      next.set(spec.id, existing && sameSpec(existing.spec, spec) ? existing : new DockerHostSession(spec, this.connectionEnv()));
    }
    for (const [id, session] of previous) {
      if (next.get(id) !== session) {
        session.dispose();
        if (!next.has(id)) {
          this.scheduler.unwatch(id);
        }
      }
    }
    if (next.size) {
      this.groups.set(group, next);
    } else {
      this.groups.delete(group);
    }
    return [...next.values()];
  }

  /** Forgets every group whose name passes `test` (for example all Azure subscriptions at sign-out). */
  removeGroups(test: (group: string) => boolean): void {
    for (const group of [...this.groups.keys()]) {
      if (test(group)) {
        this.update(group, []);
      }
    }
  }

  /** The hosts listed so far: the local engine, contexts, added hosts, then Azure VMs. No side effects. */
  list(): DockerHostSession[] {
    const all = [...this.groups.values()].flatMap((g) => [...g.values()]);
    return all.sort((a, b) => SOURCE_ORDER.indexOf(a.spec.source) - SOURCE_ORDER.indexOf(b.spec.source));
  }

  /** The hosts whose event feed is open now. */
  followedHosts(): string[] {
    return this.scheduler.subscribedHosts();
  }

  get(hostId: string): DockerHostSession | undefined {
    for (const group of this.groups.values()) {
      const session = group.get(hostId);
      if (session) {
        return session;
      }
    }
    return undefined;
  }

  /** A source that can list its hosts on demand, for picks made before its view was opened. */
  addSource(loader: HostSourceLoader): void {
    this.loaders.push(loader);
  }

  /** Asks every source for its hosts now, then lists them; a source that fails keeps what it had. */
  async loadAll(): Promise<DockerHostSession[]> {
    await Promise.all(this.loaders.map((load) => load().catch(() => undefined)));
    return this.list();
  }

  /** Re-reads one host now, wherever it is shown. */
  refresh(hostId: string): void {
    this.scheduler.refreshNow(hostId);
  }

  /** The next read of every host goes to the host; listeners re-render everything. */
  invalidateAll(): void {
    for (const session of this.list()) {
      session.invalidate();
    }
    this.fire(undefined);
  }

  /**
   * Settings that shape connections changed (known_hosts, timeouts): every host reconnects with
   * them, keeping its place in the catalog and its watch.
   */
  reconnectAll(): void {
    for (const sessions of this.groups.values()) {
      for (const [id, session] of sessions) {
        this.renew(sessions, id, session);
      }
    }
    this.scheduler.setVisible(false);
    this.scheduler.setVisible(this.visibleViews.size > 0);
    this.fire(undefined);
  }

  /**
   * One host starts over on a new connection, keeping its place and its watch. After its
   * known_hosts entry changed, a handshake begun with the old entries must not answer for it.
   */
  reconnect(hostId: string): void {
    for (const sessions of this.groups.values()) {
      const session = sessions.get(hostId);
      if (session) {
        this.renew(sessions, hostId, session);
        this.scheduler.unwatch(hostId);
        this.scheduler.watch(hostId);
        // Rows hold their session, so the views build them again rather than re-read the old one.
        this.fire(undefined);
        return;
      }
    }
  }

  /** Same spec, same place in its group, a new connection; the old one's in-flight work fails as disposed. */
  private renew(sessions: Map<string, DockerHostSession>, id: string, old: DockerHostSession): void {
    old.dispose();
    sessions.set(id, new DockerHostSession(old.spec, this.connectionEnv()));
  }

  /** Follow a host whose rows are on screen. */
  watch(hostId: string): void {
    this.scheduler.watch(hostId);
  }

  /** Hosts are followed while any view that shows them is visible. */
  setVisible(viewId: string, visible: boolean): void {
    if (visible) {
      this.visibleViews.add(viewId);
    } else {
      this.visibleViews.delete(viewId);
    }
    this.scheduler.setVisible(this.visibleViews.size > 0);
  }

  /** Called with a host id when that host should be re-rendered, or undefined for all of them. */
  onDidChange(listener: ChangeListener): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  private fire(hostId: string | undefined): void {
    for (const listener of [...this.listeners]) {
      listener(hostId);
    }
  }

  dispose(): void {
    this.disposed = true;
    this.scheduler.dispose();
    for (const session of this.list()) {
      session.dispose();
    }
    this.groups.clear();
    this.listeners.clear();
  }
}

function sameSpec(a: DockerHostSpec, b: DockerHostSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
