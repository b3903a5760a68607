import * as os from 'os';
import * as path from 'path';

export interface ConnectionEnvironment {
  homeDir: string;
  /** SSH_AUTH_SOCK, when an agent is running. */
  sshAuthSock?: string;
  knownHostsFile: string;
  localUser: string;
  connectTimeoutMs: number;
}

export function defaultConnectionEnvironment(): ConnectionEnvironment {
  const homeDir = os.homedir();
  return {
    homeDir,
    sshAuthSock: process.env.SSH_AUTH_SOCK || undefined,
    knownHostsFile: path.join(homeDir, '.ssh', 'known_hosts'),
    localUser: os.userInfo().username,
    connectTimeoutMs: 10_000,
  };
}
