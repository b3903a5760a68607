import type { ContainerInfo, ImageInfo } from 'dockerode';
import { DockerHostSpec } from './hostSpec';
import type { DockerConnection } from './connection';
import type { ConnectionEnvironment } from './connectionEnvironment';
import { vendor } from './lazyVendor';
import { describeDockerError, DockerHostError, type Transport } from './errors';
import { EngineEvent, EventSubscription, subscribeToEvents } from './engineEvents';

export interface HostSnapshot {
  containers: ContainerInfo[];
  images: ImageInfo[];
  loadedAt: number;
}

export type HostState = { kind: 'idle' } | { kind: 'loaded'; snapshot: HostSnapshot } | { kind: 'failed'; error: DockerHostError };

/** An HTTP error status came from the engine itself, so the connection to it works. */
function engineAnswered(err: unknown): boolean {
  return typeof (err as { statusCode?: unknown } | undefined)?.statusCode === 'number';
}

/**
 * One host's connection and latest listing. Loads are shared while in flight, so several tree
 * nodes asking at once cost one round of API calls.
 */
export class DockerHostSession {
  private connection: DockerConnection | undefined;
  private inFlight: Promise<HostSnapshot> | undefined;
  private _state: HostState = { kind: 'idle' };
  private stale = false;
  private disposed = false;

  /** How long a listing may take, connecting included: the user's connect timeout, whatever the transport. */
  private readonly requestTimeoutMs: number;

  constructor(
    readonly spec: DockerHostSpec,
    private readonly env: ConnectionEnvironment,
    requestTimeoutMs?: number,
  ) {
    this.requestTimeoutMs = requestTimeoutMs ?? env.connectTimeoutMs;
  }

  get state(): HostState {
    return this._state;
  }

  /** The open client, created on first use. Throws DockerHostError for bad addresses or cert files. */
  connect(): DockerConnection {
    if (this.disposed) {
      // The catalog replaced or dropped this session; a connection opened now would outlive it.
      throw new DockerHostError(`The connection to ${this.spec.name} was closed. Refresh the view to reconnect.`, 'DISPOSED');
    }
    if (!this.connection) {
      try {
        this.connection = vendor().openConnection(this.spec, this.env);
      } catch (err) {
        throw describeDockerError(err, this.spec.name);
      }
    }
    return this.connection;
  }

  /** Lists containers and images afresh (or joins a listing already under way). */
  load(): Promise<HostSnapshot> {
    this.stale = false;
    if (!this.inFlight) {
      this.inFlight = this.fetch().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** The last good listing if there is one and no refresh was asked for since. */
  current(): Promise<HostSnapshot> {
    if (this.inFlight) {
      return this.inFlight;
    }
    return this._state.kind === 'loaded' && !this.stale ? Promise.resolve(this._state.snapshot) : this.load();
  }

  /** The next `current()` re-reads the host. */
  invalidate(): void {
    this.stale = true;
  }

  private async fetch(): Promise<HostSnapshot> {
    let where = this.spec.name;
    let transport: Transport | undefined;
    try {
      const conn = this.connect();
      where = conn.where;
      transport = conn.transport;
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), this.requestTimeoutMs);
      try {
        const [containers, images] = await Promise.all([
          conn.docker.listContainers({ all: true, abortSignal: controller.signal } as object),
          conn.docker.listImages({ abortSignal: controller.signal } as object),
        ]);
        const snapshot = { containers, images, loadedAt: Date.now() };
        this._state = { kind: 'loaded', snapshot };
        return snapshot;
      } catch (err) {
        if (controller.signal.aborted) {
          throw new DockerHostError(
            `${where} did not answer within ${Math.round(this.requestTimeoutMs / 1000)} s. Check that the host is up and reachable.`,
            'ETIMEDOUT',
          );
        }
        throw err;
      } finally {
        clearTimeout(timer);
      }
    } catch (err) {
      const error = describeDockerError(err, where, transport);
      this._state = { kind: 'failed', error };
      if (!engineAnswered(err)) {
        this.retireConnection();
      }
      throw error;
    }
  }

  watchEvents(onEvent: (e: EngineEvent) => void, onEnd: (err?: Error) => void): Promise<EventSubscription> {
    return subscribeToEvents(this.connect().docker, onEvent, onEnd);
  }

  /**
   * The next listing reconnects (re-reading keys and certificates), in case this connection is what
   * broke. Builds, pushes, copies, terminals and the Compose forwarder may still be working on it,
   * so it is not torn down: it closes once they are done.
   */
  private retireConnection(): void {
    this.connection?.retire();
    this.connection = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.connection?.dispose();
    this.connection = undefined;
  }
}
