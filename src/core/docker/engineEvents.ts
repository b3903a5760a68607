import type Dockerode from 'dockerode';

export interface EngineEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
  time?: number;
}

export interface EventSubscription {
  close(): void;
}

/**
 * Object types whose changes alter what the tree shows. A swarm manager reports its services and
 * nodes; a task shows as a container event on the node that runs it.
 */
const WATCHED_TYPES = ['container', 'image', 'service', 'node'];

/**
 * Follows the daemon's `/events` stream. `onEnd` runs once, when the stream ends or fails for any
 * reason other than `close()` — a daemon restart, a dropped SSH connection — so the caller can
 * refresh and reconnect.
 */
export async function subscribeToEvents(
  docker: Dockerode,
  onEvent: (event: EngineEvent) => void,
  onEnd: (err?: Error) => void,
): Promise<EventSubscription> {
  const controller = new AbortController();
  const stream = (await docker.getEvents({
    filters: { type: WATCHED_TYPES },
    abortSignal: controller.signal,
  } as Dockerode.GetEventsOptions)) as NodeJS.ReadableStream & { destroy?: () => void };
  let closed = false;
  let ended = false;
  let buffered = '';
  const finish = (err?: Error) => {
    if (!ended && !closed) {
      ended = true;
      onEnd(err);
    }
  };
  stream.on('data', (chunk: Buffer | string) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!line) {
        continue;
      }
      try {
        onEvent(JSON.parse(line) as EngineEvent);
      } catch {
        // A line we cannot read still tells us something changed.
        onEvent({});
      }
    }
  });
  stream.on('end', () => finish());
  stream.on('close', () => finish());
  stream.on('error', (err: Error) => finish(err));
  return {
    close: () => {
      closed = true;
      controller.abort();
      stream.destroy?.();
    },
  };
}
