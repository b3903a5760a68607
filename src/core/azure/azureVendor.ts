// The Azure SDKs, bundled apart from the extension (dist/azure.js) and loaded the first time the
// Azure view needs them, so activation and Docker-only use never pay for them.
export { createArmClients, createSubscriptionClient } from './armClients';
export { createIdentityCredential } from './identityCredentials';
export { executeProvisioning, ProvisionError } from './provisioning/executor';
export { executeSwarmNodeProvisioning, executeSwarmProvisioning } from './provisioning/swarmExecutor';
export { createCertificateAuthority, createClientCertificate, createDaemonTls } from './provisioning/certificates';
export { generateSshKeyPair, writeSshKeyPair, removeSshKeyPair, readPublicKey, listExistingKeys, freeKeyFileName } from './provisioning/sshKeys';
export { buildArmTemplate, buildDockerInstallTemplate } from './provisioning/armTemplate';
export { listContainerRegistries, listRegistryAdminCredentials } from './containerRegistries';
