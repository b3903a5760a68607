import type { ConnectionEnvironment } from './connectionEnvironment';
import { describeDockerError, DockerHostError, isHostKeyRefusal } from './errors';
import type { DockerHostSpec } from './hostSpec';
import { vendor } from './lazyVendor';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  signal?: AbortSignal;
  onAttempt?: (attempt: number, lastError: string) => void;
}

/**
 * Pings a new host's daemon until it answers. A fresh VM needs minutes of cloud-init before Docker
 * listens, so refusals are expected for a while; past the deadline the last reason is reported
 * with where to look.
 */
export async function waitForDaemon(spec: DockerHostSpec, env: ConnectionEnvironment, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last = 'no answer yet';
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) {
      throw new DockerHostError('Stopped waiting for Docker on the new host.', 'CANCELLED');
    }
    const conn = vendor().openConnection(spec, env);
    try {
      await conn.docker.ping();
      return;
    } catch (err) {
      // Only the user can vouch for a new host's SSH key, or for a changed one (a reused public IP
      // whose old key is still known): waiting longer would change neither.
      if (isHostKeyRefusal(err)) {
        throw err;
      }
      last = describeDockerError(err, conn.where, conn.transport).message;
      opts.onAttempt?.(attempt, last);
    } finally {
      conn.dispose();
    }
    if (Date.now() + opts.intervalMs > deadline) {
      throw new DockerHostError(
        `Docker on ${spec.name} did not answer within ${Math.round(opts.timeoutMs / 60000)} min (${last}). cloud-init may still be installing it, or may have failed: ` +
          `check with ssh and "cloud-init status --long", or the VM's boot diagnostics.`,
        'DAEMON_NOT_READY',
      );
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
