/** The socket side: an HTTPS server on 127.0.0.1 that hands each request to the core. */
import * as fs from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { EmulatorRequest, EmulatorResponse } from './protocol';

export interface RunningServer {
  port: number;
  close(): Promise<void>;
}

export function startHttpsServer(certFile: string, keyFile: string, handle: (req: EmulatorRequest) => EmulatorResponse): Promise<RunningServer> {
  const sockets = new Set<Socket>();
  const server = https.createServer({ cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      // Joined, not resolved: a path that starts with "//" (the SDK's *ById calls put "/" before an id that
      // has one) is a path to ARM, not a host, and ARM serves it as the single-slash one.
      const url = new URL(`https://127.0.0.1${req.url ?? '/'}`);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) {
          headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
        }
      }
      const out = handle({
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        rawQuery: url.search.slice(1),
        headers,
        rawBody: Buffer.concat(chunks).toString('utf8'),
      });
      const payload = out.body === undefined || req.method === 'HEAD' ? '' : JSON.stringify(out.body);
      res.writeHead(out.status, {
        'Cache-Control': 'no-cache',
        ...(out.body === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
        'Content-Length': Buffer.byteLength(payload),
        ...out.headers,
      });
      res.end(payload);
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        // Clients keep connections alive (the Azure SDK does); close them so the port is free at once.
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const s of sockets) {
              s.destroy();
            }
          }),
      });
    });
  });
}
