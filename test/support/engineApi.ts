/** Minimal Engine API client over a unix socket, for starting and stopping test daemons. */
import * as http from 'node:http';

/** Sends one request to the Engine API over a unix socket. */
export function engineRequest(socketPath: string, method: string, urlPath: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath, method, path: urlPath, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function ping(socketPath: string): Promise<boolean> {
  try {
    const r = await engineRequest(socketPath, 'GET', '/_ping', 2000);
    return r.status === 200;
  } catch {
    return false;
  }
}
