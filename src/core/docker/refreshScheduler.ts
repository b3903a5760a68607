export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface RefreshTarget {
  /** Re-read one host and re-render its nodes. */
  refresh(hostId: string): void;
  /** Open the host's change feed; `onEnd` when it stops by itself. Rejects if the host is unreachable. */
  subscribe(hostId: string, onChange: () => void, onEnd: () => void): Promise<{ close(): void }>;
}

export interface RefreshOptions {
  debounceMs: number;
  /** A burst of events never holds a refresh back longer than this. */
  maxDelayMs: number;
  pollMs: number;
  reconnectMinMs: number;
  reconnectMaxMs: number;
}

export const DEFAULT_REFRESH_OPTIONS: RefreshOptions = {
  debounceMs: 400,
  maxDelayMs: 2_000,
  pollMs: 60_000,
  reconnectMinMs: 2_000,
  reconnectMaxMs: 30_000,
};

interface HostWatch {
  subscription?: { close(): void };
  connecting: boolean;
  debounce?: unknown;
  firstPendingAt?: number;
  reconnect?: unknown;
  backoffMs: number;
  /** The feed broke since the last refresh: the next successful reconnect must refresh. */
  stale: boolean;
}

/**
 * The one place that decides when hosts are re-read. While a view is visible, each watched host's
 * event feed triggers a debounced refresh of just that host, a slow poll covers anything the feed
 * missed, and a broken feed is retried with backoff. While hidden, nothing runs at all.
 */
export class RefreshScheduler {
  private readonly hosts = new Map<string, HostWatch>();
  private visible = false;
  private pollTimer: unknown;
  private disposed = false;

  constructor(
    private readonly target: RefreshTarget,
    private readonly options: RefreshOptions = DEFAULT_REFRESH_OPTIONS,
    private readonly clock: Clock = systemClock,
  ) {}

  get isVisible(): boolean {
    return this.visible;
  }

  /** Hosts currently holding an open event feed, for tests and diagnostics. */
  subscribedHosts(): string[] {
    return [...this.hosts].filter(([, w]) => w.subscription).map(([id]) => id);
  }

  setVisible(visible: boolean): void {
    if (this.disposed || visible === this.visible) {
      return;
    }
    this.visible = visible;
    if (visible) {
      for (const id of this.hosts.keys()) {
        this.target.refresh(id);
        this.ensureSubscribed(id);
      }
      this.schedulePoll();
    } else {
      for (const watch of this.hosts.values()) {
        this.stopWatch(watch);
      }
      this.clock.clearTimeout(this.pollTimer);
      this.pollTimer = undefined;
    }
  }

  /** Start following a host whose nodes are on screen. */
  watch(hostId: string): void {
    if (this.disposed) {
      return;
    }
    if (!this.hosts.has(hostId)) {
      this.hosts.set(hostId, { connecting: false, backoffMs: 0, stale: false });
    }
    if (this.visible) {
      this.ensureSubscribed(hostId);
    }
  }

  unwatch(hostId: string): void {
    const watch = this.hosts.get(hostId);
    if (watch) {
      this.stopWatch(watch);
      this.hosts.delete(hostId);
    }
  }

  /** Something changed on the host: refresh soon, once for a burst. */
  changed(hostId: string): void {
    const watch = this.hosts.get(hostId);
    if (!watch || !this.visible) {
      return;
    }
    const now = this.clock.now();
    watch.firstPendingAt ??= now;
    this.clock.clearTimeout(watch.debounce);
    const wait = Math.min(this.options.debounceMs, Math.max(0, watch.firstPendingAt + this.options.maxDelayMs - now));
    watch.debounce = this.clock.setTimeout(() => this.refreshNow(hostId), wait);
  }

  /** A refresh the user asked for, or one that cannot wait. */
  refreshNow(hostId: string): void {
    const watch = this.hosts.get(hostId);
    if (watch) {
      this.clock.clearTimeout(watch.debounce);
      watch.debounce = undefined;
      watch.firstPendingAt = undefined;
    }
    this.target.refresh(hostId);
  }

  /** `retrying`: a reconnect after a failure, whose own failure may carry a newer reason. */
  private ensureSubscribed(hostId: string, retrying = false): void {
    const watch = this.hosts.get(hostId);
    if (!watch || watch.subscription || watch.connecting || watch.reconnect !== undefined) {
      return;
    }
    watch.connecting = true;
    this.target
      .subscribe(
        hostId,
        () => this.changed(hostId),
        () => this.feedEnded(hostId, watch),
      )
      .then(
        (subscription) => {
          watch.connecting = false;
          if (!this.visible || this.hosts.get(hostId) !== watch) {
            subscription.close();
            return;
          }
          watch.subscription = subscription;
          watch.backoffMs = 0;
          if (watch.stale) {
            watch.stale = false;
            this.refreshNow(hostId);
          }
        },
        () => {
          watch.connecting = false;
          watch.stale = true;
          // The host's row shows the reason of the last listing; while the host stays away that
          // reason can change (a daemon that died mid-listing first resets, then refuses), so a
          // failed retry re-reads it. The first attempt follows a listing that already failed.
          if (retrying && this.visible && this.hosts.get(hostId) === watch) {
            this.target.refresh(hostId);
          }
          this.scheduleReconnect(hostId, watch);
        },
      );
  }

  private feedEnded(hostId: string, watch: HostWatch): void {
    watch.subscription = undefined;
    if (!this.visible || this.hosts.get(hostId) !== watch) {
      return;
    }
    watch.stale = true;
    // Show what is true now (often: the host went away), then try to follow it again.
    this.refreshNow(hostId);
    this.scheduleReconnect(hostId, watch);
  }

  private scheduleReconnect(hostId: string, watch: HostWatch): void {
    if (!this.visible || this.hosts.get(hostId) !== watch) {
      return;
    }
    watch.backoffMs = watch.backoffMs ? Math.min(watch.backoffMs * 2, this.options.reconnectMaxMs) : this.options.reconnectMinMs;
    watch.reconnect = this.clock.setTimeout(() => {
      watch.reconnect = undefined;
      this.ensureSubscribed(hostId, true);
    }, watch.backoffMs);
  }

  private schedulePoll(): void {
    this.pollTimer = this.clock.setTimeout(() => {
      for (const id of this.hosts.keys()) {
        this.target.refresh(id);
      }
      this.schedulePoll();
    }, this.options.pollMs);
  }

  private stopWatch(watch: HostWatch): void {
    watch.subscription?.close();
    watch.subscription = undefined;
    this.clock.clearTimeout(watch.debounce);
    this.clock.clearTimeout(watch.reconnect);
    watch.debounce = undefined;
    watch.reconnect = undefined;
    watch.firstPendingAt = undefined;
    watch.backoffMs = 0;
  }

  dispose(): void {
    this.setVisible(false);
    this.hosts.clear();
    this.disposed = true;
  }
}
