import type Dockerode from 'dockerode';
import type { Readable } from 'stream';

/** A log that is being followed; `stop` ends the request, and with it `output`. */
export interface FollowedLog {
  output: Readable;
  stop(): void;
}

/**
 * Non-TTY logs (a container's, a service's) multiplex stdout and stderr into frames; this is the
 * plain text of both, in the order the daemon sent them.
 */
export async function demultiplexed(docker: Dockerode, raw: Readable): Promise<Readable> {
  const { PassThrough } = await import('stream');
  const output = new PassThrough();
  docker.modem.demuxStream(raw, output, output);
  raw.on('end', () => output.end());
  raw.on('close', () => output.end());
  raw.on('error', (err) => output.destroy(err));
  return output;
}
