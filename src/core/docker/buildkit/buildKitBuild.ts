import * as crypto from 'crypto';
import * as path from 'path';
import type Dockerode from 'dockerode';
import type { Duplex } from 'stream';
import { buildQuery, type BuildFlags } from '../buildFlags';
import { followEngineStream, type EngineStreamMessage } from '../engineStream';
import { BuildProgress } from './buildProgress';
import { openBuildSession, type SessionOptions } from './buildSession';
import { decodeStatusResponse } from './sessionMessages';

/** What the BuildKit builder needs of a host connection. */
export interface BuildTarget {
  docker: Dockerode;
  dial(): Promise<Duplex>;
}

export interface BuildKitOptions extends BuildFlags {
  contextDir: string;
  dockerfile: string;
  tag: string;
  signal?: AbortSignal;
  apiVersion: string;
  /** Stable per host and context folder, so the daemon diffs against the last build's files. */
  sharedKey: string;
  secret?: SessionOptions['secret'];
  credentials?: SessionOptions['credentials'];
  onStep?: (name: string) => void;
}

export interface BuildKitResult {
  imageId?: string;
  /** Context entries listed, and files and bytes the daemon asked for. */
  sent: { entries: number; files: number; bytes: number };
  summary: string;
  /** The daemon answered before running anything, and not with BuildKit: it lacks it. */
  refused?: string;
  failure?: { message: string; step?: string; tail: string[] };
}

interface BuildMessage extends EngineStreamMessage {
  id?: string;
  aux?: string | { ID?: string };
  stream?: string;
}

function abortError(): Error {
  const err = new Error('The build was cancelled.');
  err.name = 'AbortError';
  return err;
}

/**
 * Builds through BuildKit on the host (`POST /build?version=2`), the context served from this
 * machine through a session: the Dockerfile may live anywhere, `RUN --mount` works, and a rebuild
 * transfers only the files that changed since the last build with the same shared key.
 */
export async function buildWithBuildKit(target: BuildTarget, opts: BuildKitOptions, onLine: (line: string) => void): Promise<BuildKitResult> {
  if (opts.signal?.aborted) {
    throw abortError();
  }
  const contextDir = path.resolve(opts.contextDir);
  const dockerfile = path.resolve(opts.dockerfile);
  const session = await openBuildSession({
    dial: () => target.dial(),
    apiVersion: opts.apiVersion,
    name: path.basename(contextDir),
    sharedKey: opts.sharedKey,
    folders: {
      // The context's owner is reset to root, as the Docker CLI does, so the cache does not depend on who built.
      context: { path: contextDir, resetOwner: true },
      dockerfile: { path: path.dirname(dockerfile), resetOwner: false },
    },
    secret: opts.secret,
    credentials: opts.credentials,
  });
  const buildId = crypto.randomBytes(16).toString('hex');
  const progress = new BuildProgress(onLine, opts.onStep);
  let traces = 0;
  let imageId: string | undefined;
  const onAbort = () => {
    // Stops the build on the host even when the daemon has not noticed the dropped request yet.
    target.docker.modem.dial(
      { path: `/build/cancel?id=${encodeURIComponent(buildId)}`, method: 'POST', options: { _body: {} }, statusCodes: { 200: true } },
      () => undefined,
    );
  };
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      target.docker.modem.dial(
        {
          path: '/build?',
          method: 'POST',
          options: {
            _query: {
              version: '2',
              session: session.id,
              remote: 'client-session',
              dockerfile: path.basename(dockerfile),
              buildid: buildId,
              t: opts.tag,
              ...buildQuery(opts),
            },
            _body: {},
          },
          isStream: true,
          abortSignal: opts.signal,
          statusCodes: { 200: true, 400: 'bad parameter', 500: 'server error' },
        },
        (err, s) => (err ? reject(err) : resolve(s as NodeJS.ReadableStream)),
      ),
    );
    const failure = await followEngineStream<BuildMessage>(target.docker, stream, (msg) => {
      if (msg.id === 'moby.buildkit.trace' && typeof msg.aux === 'string') {
        traces++;
        progress.handle(decodeStatusResponse(Buffer.from(msg.aux, 'base64')));
      } else if (msg.id === 'moby.image.id' && typeof msg.aux === 'object') {
        imageId = msg.aux.ID;
      } else if (msg.stream) {
        onLine(msg.stream.replace(/\n$/, ''));
      }
    });
    if (opts.signal?.aborted) {
      throw abortError();
    }
    const sent = session.sent();
    if (failure) {
      if (traces === 0) {
        return { sent, summary: '', refused: failure };
      }
      const failed = progress.failure();
      return { sent, summary: progress.summary(), failure: { message: failure, step: failed?.step, tail: failed?.tail ?? [] } };
    }
    return { imageId, sent, summary: progress.summary() };
  } catch (err) {
    throw opts.signal?.aborted ? abortError() : err;
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    session.close();
  }
}
