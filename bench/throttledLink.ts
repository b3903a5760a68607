/**
 * A TCP front for a Docker daemon's socket that behaves like a link to an Azure VM: a bandwidth
 * cap per direction and a fixed one-way delay (half the round trip). Bytes queue behind one
 * another as on a real link, so a large upload takes size / bandwidth plus the delay, and every
 * request/response exchange pays the round trip. Counts the bytes in each direction.
 */
import * as net from 'net';

export interface LinkOptions {
  /** Where the daemon listens (its unix socket). */
  socketPath: string;
  /** Per direction, e.g. 50 for 50 Mbit/s. */
  mbitPerSecond: number;
  rttMs: number;
}

export interface ThrottledLink {
  port: number;
  /** Bytes from the client to the daemon, and back, since the last reset. */
  bytes(): { up: number; down: number };
  reset(): void;
  close(): Promise<void>;
}

/** Above this many bytes in flight on one direction, the sender is paused, as a TCP window would. */
const WINDOW = 1 << 20;

/**
 * One direction of the link: chunks leave in order, each when the link has carried the ones before
 * it and the delay has passed. One timer for the head of a FIFO, because timers of different
 * durations may fire out of order, and a link that reorders bytes is no TCP link.
 */
class Direction {
  private linkFreeAt = 0;
  private inFlight = 0;
  private readonly queue: { chunk?: Buffer; at: number; then?: () => void }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly from: net.Socket,
    private readonly to: net.Socket,
    private readonly bytesPerMs: number,
    private readonly delayMs: number,
    private readonly count: (n: number) => void,
  ) {
    from.on('data', (chunk: Buffer) => this.send(chunk));
    from.on('end', () => this.enqueue({ at: this.arrival(), then: () => to.end() }));
    // What was sent before the close still arrives, as on a real link.
    from.on('close', () => this.enqueue({ at: this.arrival(), then: () => to.destroy() }));
  }

  private arrival(): number {
    return Math.max(performance.now(), this.linkFreeAt) + this.delayMs;
  }

  private send(chunk: Buffer): void {
    this.count(chunk.length);
    this.linkFreeAt = Math.max(performance.now(), this.linkFreeAt) + chunk.length / this.bytesPerMs;
    this.inFlight += chunk.length;
    if (this.inFlight > WINDOW) {
      this.from.pause();
    }
    this.enqueue({ chunk, at: this.linkFreeAt + this.delayMs });
  }

  private enqueue(item: { chunk?: Buffer; at: number; then?: () => void }): void {
    this.queue.push(item);
    this.schedule();
  }

  private schedule(): void {
    if (this.timer || !this.queue.length) {
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.deliver();
    }, Math.max(0, this.queue[0].at - performance.now()));
  }

  private deliver(): void {
    const now = performance.now();
    while (this.queue.length && this.queue[0].at <= now) {
      const { chunk, then } = this.queue.shift()!;
      if (chunk) {
        this.inFlight -= chunk.length;
        if (!this.to.destroyed) {
          this.to.write(chunk);
        }
      }
      then?.();
    }
    if (this.inFlight <= WINDOW / 2 && this.from.isPaused()) {
      this.from.resume();
    }
    this.schedule();
  }
}

export async function startThrottledLink(opts: LinkOptions): Promise<ThrottledLink> {
  let up = 0;
  let down = 0;
  const sockets = new Set<net.Socket>();
  const bytesPerMs = (opts.mbitPerSecond * 1_000_000) / 8 / 1000;
  const delay = opts.rttMs / 2;
  const server = net.createServer((client) => {
    const daemon = net.connect(opts.socketPath);
    for (const s of [client, daemon]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        daemon.destroy();
      });
    }
    new Direction(client, daemon, bytesPerMs, delay, (n) => (up += n));
    new Direction(daemon, client, bytesPerMs, delay, (n) => (down += n));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    bytes: () => ({ up, down }),
    reset: () => {
      up = 0;
      down = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        sockets.forEach((s) => s.destroy());
        server.close(() => resolve());
      }),
  };
}
