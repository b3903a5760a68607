/**
 * The product's own Azure clients and certificate steps pointed at an ARM emulator, made as the
 * extension makes them for a custom cloud (a service principal, the emulator as endpoint and
 * authority), for tests that call the provisioning core directly.
 */
import type { ArmEmulator } from './armEmulator';
import { createArmClients, type ArmClients } from '../../src/core/azure/armClients';
import { resolveCloud } from '../../src/core/azure/cloud';
import { createIdentityCredential } from '../../src/core/azure/identityCredentials';
import type { DaemonTls } from '../../src/core/azure/provisioning/cloudInit';
import { createServerCertificate, type PemPair, type ServerNames } from '../../src/core/azure/provisioning/certificates';

export function productArmClients(arm: ArmEmulator, subscriptionId: string): ArmClients {
  const cloud = resolveCloud({ resourceManagerEndpoint: arm.url, authorityHost: arm.url });
  const credential = createIdentityCredential('servicePrincipal', cloud, {
    AZURE_TENANT_ID: arm.tenantId,
    AZURE_CLIENT_ID: arm.clientId,
    AZURE_CLIENT_SECRET: arm.clientSecret,
  });
  return createArmClients(credential, subscriptionId, cloud);
}

/** `makeServerTls` for provisioning: a server certificate from `ca` for the names asked. */
export function serverTlsFrom(ca: PemPair, seen?: (names: ServerNames) => void): (names: ServerNames) => Promise<DaemonTls> {
  return async (names) => {
    seen?.(names);
    const server = await createServerCertificate(ca, names);
    return { caPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem };
  };
}
