import type { Transport } from './errors';
import type { RegistryAuth } from './registryAuth';

/** What a push needs from the user and their memory of earlier answers before credentials go unencrypted. */
export interface CleartextConsent {
  /** Engine addresses (host:port) the user already chose to send registry credentials to over plain HTTP. */
  allowed(): readonly string[];
  /** True when the user chose to send them anyway. */
  ask(engine: string, registry: string): Promise<boolean>;
  remember(engine: string): Promise<void>;
}

/**
 * Whether a push may hand its registry credentials to the engine. They travel in the request's
 * X-Registry-Auth header, which a unix socket, SSH or TLS protects, but which anyone on the path
 * reads when the engine is a plain-HTTP tcp:// listener; for those the user decides, once per
 * engine address, because the exposure belongs to the network path, not to the registry.
 */
export async function mayHandOverCredentials(
  engine: { transport: Transport; where: string },
  push: { registry: string; auth?: RegistryAuth },
  consent: CleartextConsent,
): Promise<boolean> {
  if (!push.auth || engine.transport !== 'tcp' || consent.allowed().includes(engine.where)) {
    return true;
  }
  if (!(await consent.ask(engine.where, push.registry))) {
    return false;
  }
  await consent.remember(engine.where);
  return true;
}
