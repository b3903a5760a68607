/**
 * An HTTP proxy in front of a real engine's unix socket, the way a remote daemon is reached: on
 * plain TCP (the default), on TCP with mutual TLS, or on a unix socket of its own (for an sshd
 * whose sessions reach the engine through it). It passes every request through
 * unchanged and records what arrived (method, path, headers), so a test can see what the product
 * sent the engine; a test may also make chosen requests fail, stall, or wait until released.
 * Hijacked connections (attach, exec) are not passed on: tests that go through it do not need them.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export type RequestMatch = (request: SeenRequest) => boolean;

export type EngineProxyListen =
  | { socketPath: string }
  | { tcp: true }
  /** Mutual TLS: the server's certificate and key, and the CA client certificates must be signed by. */
  | { tls: { ca: string; cert: string; key: string } };

export interface EngineProxy {
  /** The TCP port on 127.0.0.1 (for `tcp` and `tls`). */
  readonly port: number;
  /** Every request that arrived, in order. */
  readonly requests: SeenRequest[];
  /** Until `stop()`, matching requests get `status` with the engine's JSON error shape, or no answer at all. */
  fail(match: RequestMatch, how: { status: number } | 'stall'): { stop(): void };
  /** The next matching request waits, not yet passed on, until `release()`; `arrived` resolves when it came. */
  hold(match: RequestMatch): { arrived: Promise<void>; release(): void };
  close(): Promise<void>;
}

interface Rule {
  match: RequestMatch;
  act: (req: http.IncomingMessage, res: http.ServerResponse, pass: () => void) => void;
  once: boolean;
}

export async function startEngineProxy(engineSocket: string, listen: EngineProxyListen = { tcp: true }): Promise<EngineProxy> {
  const requests: SeenRequest[] = [];
  const rules: Rule[] = [];
  const upstreamAgent = new http.Agent({ keepAlive: true });

  const pass = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (req.destroyed) {
      return;
    }
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

  const handler = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    requests.push(seen);
    const index = rules.findIndex((r) => r.match(seen));
    if (index < 0) {
      pass(req, res);
      return;
    }
    const rule = rules[index];
    if (rule.once) {
      rules.splice(index, 1);
    }
    rule.act(req, res, () => pass(req, res));
  };

  const server =
    'tls' in listen
      ? https.createServer(
          {
            ca: fs.readFileSync(listen.tls.ca),
            cert: fs.readFileSync(listen.tls.cert),
            key: fs.readFileSync(listen.tls.key),
            requestCert: true,
            rejectUnauthorized: true,
          },
          handler,
        )
      : http.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if ('socketPath' in listen) {
      fs.rmSync(listen.socketPath, { force: true });
      server.listen(listen.socketPath, resolve);
    } else {
      server.listen(0, '127.0.0.1', resolve);
    }
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? (address as AddressInfo).port : 0;

  return {
    port,
    requests,
    fail(match, how) {
      const rule: Rule = {
        match,
        once: false,
        act: (_req, res) => {
          if (how !== 'stall') {
            res.writeHead(how.status, { 'Content-Type': 'application/json' });
            res.end(JSON.stringify({ message: `the test proxy answered ${how.status}` }));
          }
        },
      };
      rules.push(rule);
      return {
        stop: () => {
          const at = rules.indexOf(rule);
          if (at >= 0) {
            rules.splice(at, 1);
          }
        },
      };
    },
    hold(match) {
      let arrive!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      let release!: () => void;
      const released = new Promise<void>((resolve) => (release = resolve));
      rules.push({
        match,
        once: true,
        act: (_req, _res, passOn) => {
          arrive();
          void released.then(passOn);
        },
      });
      return { arrived, release };
    },
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
