import type { Transport } from './errors';
import type { RegistryAuth } from './registryAuth';

/** What a push needs from the user and their memory of earlier answers before credentials go unencrypted. */
export interface CleartextConsent {
  /** Engine addresses (host:port) the user already chose to send registry credentials to over plain HTTP. */
  allowed(): readonly string[];
  /** True when the user chose to send `what` ("the credentials for reg.example.com") anyway. */
  ask(engine: string, what: string): Promise<boolean>;
  remember(engine: string): Promise<void>;
}

/**
 * Whether a push may hand its registry credentials to the engine. They travel in the request's
 * X-Registry-Auth header, which a unix socket, SSH or TLS protects, but which anyone on the path
 * reads when the engine is a plain-HTTP tcp:// listener.
 */
export function mayHandOverCredentials(
  engine: { transport: Transport; where: string },
  push: { registry: string; auth?: RegistryAuth },
  consent: CleartextConsent,
): Promise<boolean> {
  return push.auth ? mayHandOverInClear(engine, `the credentials for ${push.registry}`, consent) : Promise.resolve(true);
}

/**
 * Whether a secret (registry credentials, a build secret) may go to the engine: a plain-HTTP
 * tcp:// listener shows it to anyone on the path, so the user decides, once per engine address,
 * because the exposure belongs to the network path, not to the secret.
 */
export async function mayHandOverInClear(engine: { transport: Transport; where: string }, what: string, consent: CleartextConsent): Promise<boolean> {
  if (engine.transport !== 'tcp' || consent.allowed().includes(engine.where)) {
    return true;
  }
  if (!(await consent.ask(engine.where, what))) {
    return false;
  }
  await consent.remember(engine.where);
  return true;
}
