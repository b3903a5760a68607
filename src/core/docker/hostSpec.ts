/** Where a host came from decides which view shows it and whether the user may remove it. */
export type HostSource = 'local' | 'context' | 'added' | 'azure';

/** Paths to PEM files the user owns (a context's `tls/` folder, or files picked when adding a host). */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface DockerHostSpec {
  /** Stable across restarts and refreshes: tree node ids and remembered state hang off it. */
  id: string;
  name: string;
  source: HostSource;
  /** `unix:///…`, `npipe://…`, `ssh://user@host[:port]` or `tcp://host:port`. */
  address: string;
  tls?: TlsFiles;
  /** PEM contents instead of files: client material the extension keeps in VS Code's SecretStorage. */
  tlsPem?: { ca: string; cert: string; key: string };
  /** Docker contexts can ask to skip server verification; the client certificate is still sent. */
  skipTlsVerify?: boolean;
  /** SSH private key file; when absent, ssh-agent and the user's default keys are tried. */
  identityFile?: string;
  description?: string;
  /** An Azure VM that Create Swarm on Azure made: that swarm's name. */
  swarmOnAzure?: string;
}

export function hasTlsMaterial(spec: Pick<DockerHostSpec, 'tls' | 'tlsPem'>): boolean {
  return !!spec.tlsPem || (!!spec.tls && !!(spec.tls.ca || spec.tls.cert || spec.tls.key));
}
