export type ParsedHostAddress =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'npipe'; pipePath: string }
  | { kind: 'ssh'; user?: string; host: string; port: number }
  | { kind: 'tcp'; host: string; port: number };

export class HostAddressError extends Error {
  constructor(
    readonly address: string,
    reason: string,
  ) {
    super(`"${address}" is not a Docker host address: ${reason}`);
    this.name = 'HostAddressError';
  }
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const SSH_USER = /^[a-z_][a-z0-9_.-]*\$?$/i;

/**
 * Parses the address forms the Docker CLI accepts for `-H`/`DOCKER_HOST`, so that a string a user
 * copies from their shell works here too. Every rejection names what is wrong.
 */
export function parseHostAddress(input: string): ParsedHostAddress {
  const address = input.trim();
  if (!address) {
    throw new HostAddressError(input, 'it is empty. Use unix:///path, ssh://user@host or tcp://host:port.');
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(address)?.[1]?.toLowerCase();
  if (!scheme) {
    throw new HostAddressError(address, 'it has no scheme. Start it with unix://, ssh:// or tcp://.');
  }
  const rest = address.slice(scheme.length + 3);
  switch (scheme) {
    case 'unix':
      if (!rest.startsWith('/')) {
        throw new HostAddressError(address, 'a unix socket path must be absolute (unix:///var/run/docker.sock).');
      }
      return { kind: 'unix', socketPath: rest };
    case 'npipe':
      return { kind: 'npipe', pipePath: rest || '//./pipe/docker_engine' };
    case 'ssh':
      return parseSsh(address, rest);
    case 'tcp':
    case 'http':
    case 'https':
      return parseTcp(address, rest);
    default:
      throw new HostAddressError(address, `the scheme "${scheme}://" is not supported. Use unix://, ssh:// or tcp://.`);
  }
}

function parseSsh(address: string, rest: string): ParsedHostAddress {
  const at = rest.lastIndexOf('@');
  let user: string | undefined;
  let hostPort = rest;
  if (at >= 0) {
    user = decodeURIComponent(rest.slice(0, at));
    hostPort = rest.slice(at + 1);
    if (!user) {
      throw new HostAddressError(address, 'the user name before "@" is empty.');
    }
    if (!SSH_USER.test(user)) {
      throw new HostAddressError(address, `"${user}" is not a valid user name.`);
    }
  }
  if (/[/?#]/.test(hostPort.replace(/\/$/, ''))) {
    throw new HostAddressError(address, 'an ssh address cannot have a path; use ssh://user@host[:port].');
  }
  const { host, port } = splitHostPort(address, hostPort.replace(/\/$/, ''), 22);
  return { kind: 'ssh', user, host, port };
}

function parseTcp(address: string, rest: string): ParsedHostAddress {
  const trimmed = rest.replace(/\/$/, '');
  if (/[/?#@]/.test(trimmed)) {
    throw new HostAddressError(address, 'a tcp address is just host:port (no user, path or query).');
  }
  const { host, port } = splitHostPort(address, trimmed, undefined);
  return { kind: 'tcp', host, port };
}

function splitHostPort(address: string, hostPort: string, defaultPort: number | undefined): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) {
      throw new HostAddressError(address, 'an IPv6 address is missing its closing "]".');
    }
    host = hostPort.slice(1, close);
    const after = hostPort.slice(close + 1);
    if (after && !after.startsWith(':')) {
      throw new HostAddressError(address, `unexpected "${after}" after the IPv6 address.`);
    }
    portText = after ? after.slice(1) : undefined;
    if (!host.includes(':')) {
      throw new HostAddressError(address, `"${host}" is not an IPv6 address.`);
    }
  } else {
    const parts = hostPort.split(':');
    if (parts.length > 2) {
      throw new HostAddressError(address, 'put an IPv6 address in brackets, e.g. tcp://[::1]:2376.');
    }
    host = parts[0];
    portText = parts[1];
    if (!host) {
      throw new HostAddressError(address, 'the host name is empty.');
    }
    if (!IPV4.test(host) && (/^[\d.]+$/.test(host) || !HOSTNAME.test(host))) {
      throw new HostAddressError(address, `"${host}" is not a valid host name or IP address.`);
    }
  }
  if (portText === undefined) {
    if (defaultPort === undefined) {
      throw new HostAddressError(address, 'add the port: tcp://host:2376 (TLS) or tcp://host:2375.');
    }
    return { host, port: defaultPort };
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new HostAddressError(address, `"${portText}" is not a port number (1-65535).`);
  }
  return { host, port: Number(portText) };
}

/** The address written back the way users type it, for labels and the CLI. */
export function formatHostAddress(parsed: ParsedHostAddress): string {
  switch (parsed.kind) {
    case 'unix':
      return `unix://${parsed.socketPath}`;
    case 'npipe':
      return `npipe://${parsed.pipePath}`;
    case 'ssh': {
      const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
      return `ssh://${parsed.user ? parsed.user + '@' : ''}${host}${parsed.port === 22 ? '' : ':' + parsed.port}`;
    }
    case 'tcp': {
      const host = parsed.host.includes(':') ? `[${parsed.host}]` : parsed.host;
      return `tcp://${host}:${parsed.port}`;
    }
  }
}
