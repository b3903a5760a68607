import * as fsp from 'fs/promises';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import type { Duplex } from 'stream';

export interface DaemonForwarder {
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  readonly dockerHost: string;
  /** Why the last connection to the host failed: a tool only sees the socket close. */
  lastDialError(): Error | undefined;
  close(): Promise<void>;
}

/**
 * A private local socket whose every connection is a new stream to the host's daemon. Docker tools
 * (Compose) pointed at it reach an SSH or mutual-TLS host through the extension's own connection:
 * no keys or certificates written to disk, no second host-key policy, and the tool needs no
 * support for the host's transport. The socket lives in a fresh 0700 folder that `close` removes.
 */
export async function startDaemonForwarder(dial: () => Promise<Duplex>): Promise<DaemonForwarder> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'doa-fwd-'));
  const socketPath = path.join(dir, 'docker.sock');
  const open = new Set<Duplex>();
  let dialError: Error | undefined;
  const server = net.createServer((local) => {
    open.add(local);
    local.once('close', () => open.delete(local));
    local.pause();
    dial().then(
      (remote) => {
        open.add(remote);
        remote.once('close', () => open.delete(remote));
        // Either side ending or failing ends the other, as a direct socket would.
        const end = () => {
          local.destroy();
          remote.destroy();
        };
        local.once('error', end).once('close', end);
        remote.once('error', end).once('close', end);
        local.pipe(remote);
        remote.pipe(local);
        local.resume();
      },
      (err: Error) => {
        dialError = err;
        local.destroy();
      },
    );
  });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => resolve());
    });
  } catch (err) {
    await fsp.rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dockerHost: `unix://${socketPath}`,
    lastDialError: () => dialError,
    close: async () => {
      for (const stream of open) {
        stream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}
