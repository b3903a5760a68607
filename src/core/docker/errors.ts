/** A failure that already reads well to a user; the tree and commands show `message` as it is. */
export class DockerHostError extends Error {
  /**
   * The connection layer lives in a separately loaded bundle with its own copy of this class, so
   * `instanceof` cannot tell its errors apart; this mark can.
   */
  readonly isDockerHostError = true;

  constructor(
    message: string,
    readonly code: string,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'DockerHostError';
  }
}

export function isDockerHostError(err: unknown): err is DockerHostError {
  return (err as DockerHostError | undefined)?.isDockerHostError === true;
}

export function isUnknownHostKeyError(err: unknown): err is UnknownHostKeyError {
  return isDockerHostError(err) && err.code === 'UNKNOWN_HOST_KEY';
}

/** A host key that is not known yet, or not the one known: no retry changes either. */
export function isHostKeyRefusal(err: unknown): err is DockerHostError {
  return isUnknownHostKeyError(err) || (isDockerHostError(err) && err.code === 'HOST_KEY_MISMATCH');
}

/** A host as ssh names it in messages: the port only when it is not 22. */
export function sshHostName(host: string, port: number): string {
  return port === 22 ? host : `${host}:${port}`;
}

/** The SSH server offered a key that is not in known_hosts: the user may choose to trust it. */
export class UnknownHostKeyError extends DockerHostError {
  constructor(
    readonly host: string,
    readonly port: number,
    readonly keyType: string,
    readonly fingerprint: string,
    readonly knownHostsLine: string,
    readonly knownHostsFile: string,
  ) {
    super(
      `The SSH host key of ${sshHostName(host, port)} is not known yet (${keyType} ${fingerprint}). ` +
        'Check the fingerprint, then choose "Trust Host Key".',
      'UNKNOWN_HOST_KEY',
    );
  }
}

/**
 * The one text for an error shown to the user: the Engine API's own sentence for a failed call (its
 * JSON `message`), else the error's message.
 */
export function errorText(err: unknown): string {
  const e = err as { json?: { message?: string } | null; message?: string } | undefined;
  return e?.json?.message ?? e?.message ?? String(err);
}

/** The user cancelled the operation: it stopped as asked, which is nothing to report. */
export class OperationCancelled extends Error {
  readonly isCancellation = true;

  constructor(cause?: unknown) {
    super('Cancelled.', { cause });
    this.name = 'OperationCancelled';
  }
}

/** An operation ended because it was cancelled (here or by an AbortSignal anywhere below). */
export function isCancellation(err: unknown): boolean {
  const e = err as { isCancellation?: boolean; name?: string; code?: string } | undefined;
  return e?.isCancellation === true || e?.name === 'AbortError' || e?.code === 'ABORT_ERR' || (isDockerHostError(err) && err.code === 'CANCELLED');
}

/** How the extension reaches a daemon, so advice names only what can be wrong on that path. */
export type Transport = 'socket' | 'tcp' | 'tls' | 'ssh';

const CLOSED_HINT: Record<Transport, string> = {
  socket: 'The Docker daemon may have stopped or restarted.',
  tcp: 'The Docker daemon may have stopped or restarted.',
  tls: 'The Docker daemon may have stopped, or it refused the client certificate.',
  ssh: 'The Docker daemon or the SSH server may have stopped.',
};

interface ErrorLike {
  code?: string;
  errno?: string | number;
  level?: string;
  statusCode?: number;
  message?: string;
  json?: { message?: string } | null;
  reason?: string;
}

/**
 * Turns what Node, ssh2, TLS and the Docker API throw into one sentence that says what went wrong
 * and what to try, naming the host. Unknown shapes keep their own message rather than a guess.
 * With the transport known, the advice fits it: certificates only for TLS, SSH only for SSH.
 */
export function describeDockerError(err: unknown, where: string, transport?: Transport): DockerHostError {
  if (isDockerHostError(err)) {
    return err;
  }
  const e = (err ?? {}) as ErrorLike;
  const code = typeof e.code === 'string' ? e.code : '';
  const raw = e.message ?? String(err);
  const apiMessage = e.json?.message ?? (typeof e.reason === 'string' ? e.reason : undefined);
  const make = (message: string, c = code || 'UNKNOWN') => new DockerHostError(message, c, raw);
  switch (code) {
    case 'ECONNREFUSED':
      return make(`Connection refused by ${where}. Is the Docker daemon running and listening there?`);
    case 'ENOENT':
      return make(`No Docker socket at ${where}. Is Docker running on this machine?`);
    case 'EACCES':
    case 'EPERM':
      return make(`Permission denied opening ${where}. Add your user to the "docker" group, then sign in again.`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return make(`Cannot resolve the host name of ${where}. Check the address and your network.`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ESOCKETTIMEDOUT':
      return make(`${where} did not answer in time. Check that the host is up and that a firewall lets you in.`);
    case 'ECONNRESET':
    case 'EPIPE':
      return make(`The connection to ${where} was closed unexpectedly. ${CLOSED_HINT[transport ?? 'socket']}`);
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_SIGNATURE_FAILURE':
      return make(`The TLS certificate of ${where} is not signed by the CA you gave. Check the CA certificate for this host.`);
    case 'CERT_HAS_EXPIRED':
      return make(`The TLS certificate of ${where} has expired.`);
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return make(`The TLS certificate of ${where} is not issued for this address. Connect by a name or IP listed in the certificate.`);
    case 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA':
    case 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE':
    case 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN':
    case 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED':
      return make(`${where} refused the client certificate. Check that it is signed by the daemon's CA.`);
  }
  if (/^ERR_SSL_|^ERR_TLS_/.test(code)) {
    return make(`TLS handshake with ${where} failed: ${raw}`);
  }
  if (e.level === 'client-authentication') {
    return make(`SSH sign-in to ${where} was refused: no key was accepted. Load your key into ssh-agent or set the host's key file.`, 'SSH_AUTH');
  }
  if (e.level === 'client-timeout') {
    return make(`${where} did not complete the SSH handshake in time. Check that the host is up and that port is open.`, 'ETIMEDOUT');
  }
  if (e.level === 'protocol' || e.level === 'handshake') {
    return make(`SSH connection to ${where} failed: ${raw}`, 'SSH_PROTOCOL');
  }
  if (typeof e.statusCode === 'number') {
    return make(`${where} answered ${e.statusCode}: ${apiMessage ?? raw}`, `HTTP_${e.statusCode}`);
  }
  return make(`${where}: ${raw}`);
}
