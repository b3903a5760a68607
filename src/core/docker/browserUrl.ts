import { parseHostAddress } from './hostAddress';
import type { PublishedPort } from './presentation';

export type BrowserUrl = { reachable: true; url: string } | { reachable: false; reason: string };

/**
 * Where a published port is reached from this machine: the local engine's ports are on localhost,
 * a remote host's ports on that host's address, unless Docker bound them to the host's loopback.
 */
export function browserUrlForPort(hostAddress: string, port: PublishedPort): BrowserUrl {
  const parsed = parseHostAddress(hostAddress);
  const local = parsed.kind === 'unix' || parsed.kind === 'npipe';
  const loopbackBound = port.hostIp === '127.0.0.1' || port.hostIp === '::1';
  if (!local && loopbackBound) {
    return {
      reachable: false,
      reason: `Port ${port.hostPort} is bound to the remote host's loopback (${port.hostIp}) and cannot be opened from here.`,
    };
  }
  let host: string;
  if (local) {
    host = port.hostIp === '0.0.0.0' ? 'localhost' : port.hostIp;
  } else {
    host = port.hostIp === '0.0.0.0' ? parsed.host : port.hostIp;
  }
  const formatted = host.includes(':') ? `[${host}]` : host;
  return { reachable: true, url: `http://${formatted}:${port.hostPort}` };
}
