/**
 * An HTTP proxy in front of a real engine's unix socket, the way a remote daemon is reached over
 * plain TCP. It passes every request through unchanged and records what arrived (method, path,
 * headers), so a test can see what the product sent the engine. Hijacked connections (attach,
 * exec) are not passed on: tests that go through it do not need them.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface EngineProxy {
  /** The TCP port it listens on, on 127.0.0.1. */
  readonly port: number;
  /** Every request that arrived, in order. */
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

export async function startEngineProxy(engineSocket: string): Promise<EngineProxy> {
  const requests: SeenRequest[] = [];
  const upstreamAgent = new http.Agent({ keepAlive: true });

  const pass = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const upstream = http.request(
      { socketPath: engineSocket, agent: upstreamAgent, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    // The client gave up (or its connection was torn down): the engine hears of it as the CLI's would.
    res.on('close', () => upstream.destroy());
    req.pipe(upstream);
  };

  const server = http.createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    pass(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });

  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        upstreamAgent.destroy();
      }),
  };
}

/** The request's path without the API version prefix and query, e.g. `/containers/json`. */
export function endpoint(request: SeenRequest): string {
  return request.url.replace(/\?.*$/, '').replace(/^\/v\d+(\.\d+)?(?=\/)/, '');
}
