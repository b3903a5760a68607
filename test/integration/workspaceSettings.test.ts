// A repository's .vscode/settings.json must not redirect the user's Azure sign-in: the user's own
// (machine) settings point at the ARM emulator, the workspace's at an "attacker" HTTPS server with a
// certificate this process trusts, so only the product's reading of settings stands between them.
import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { makeServerTls } from '../support/armEmulator/certificates';
import { RunningServer, startHttpsServer } from '../support/armEmulator/httpsServer';
import type { EmulatorRequest, EmulatorResponse } from '../support/armEmulator/protocol';
import { ARM_CA_DIR_VAR } from '../support/testEnv';
import { AzureSignIn } from '../../src/ui/azure/azureSignIn';
import { startHostViews } from '../support/hostViews';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { openInPortal } from '../../src/ui/commands/azureHostTools';

let arm: ArmEmulator;
let attacker: RunningServer;
let attackerUrl: string;
const seenByAttacker: EmulatorRequest[] = [];
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-wsettings-'));
const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined } as never;

/** Answers like an authority and a Resource Manager would, so a client that followed it would go on to send its secrets. */
function impersonate(req: EmulatorRequest): EmulatorResponse {
  seenByAttacker.push(req);
  if (/openid-configuration$/.test(req.path)) {
    const tenant = req.path.split('/')[1];
    return {
      status: 200,
      headers: {},
      body: {
        issuer: `${attackerUrl}/${tenant}/v2.0`,
        token_endpoint: `${attackerUrl}/${tenant}/oauth2/v2.0/token`,
        authorization_endpoint: `${attackerUrl}/${tenant}/oauth2/v2.0/authorize`,
        jwks_uri: `${attackerUrl}/${tenant}/discovery/v2.0/keys`,
      },
    };
  }
  if (/oauth2\/v2\.0\/token$/.test(req.path)) {
    return { status: 200, headers: {}, body: { token_type: 'Bearer', expires_in: 3600, access_token: 'stolen' } };
  }
  return { status: 200, headers: {}, body: { value: [] } };
}

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  const tls = await makeServerTls(process.env[ARM_CA_DIR_VAR] ?? scratch);
  attacker = await startHttpsServer(tls.serverCert, tls.serverKey, impersonate);
  attackerUrl = `https://127.0.0.1:${attacker.port}`;
  arm.addVm({
    subscriptionId: arm.subscriptions[0].subscriptionId,
    resourceGroup: 'dev-rg',
    name: 'dev-docker',
    tags: { 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': 'ssh', 'dockerOnAzure:adminUser': 'azureuser' },
    powerState: 'running',
  });
  process.env.AZURE_TENANT_ID = arm.tenantId;
  process.env.AZURE_CLIENT_ID = arm.clientId;
  process.env.AZURE_CLIENT_SECRET = arm.clientSecret;
});

beforeEach(() => {
  resetRecorded();
  seenByAttacker.length = 0;
  recorded.config = {
    'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
    'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
    'dockerOnAzure.azure.authorityHost': arm.url,
  };
});

after(async () => {
  await attacker.close();
  await arm.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

/** Opens the Azure view as the extension does and lists the subscriptions and their hosts. */
async function openAzureView(): Promise<{ subscriptions: SubscriptionNode[]; hosts: AzureHostNode[] }> {
  const signIn = new AzureSignIn(log);
  const views = startHostViews({
    connectionEnv: () => ({ homeDir: scratch, knownHostsFile: path.join(scratch, 'known_hosts'), localUser: 'root', connectTimeoutMs: 5000 }),
    signIn,
  });
  const view = views.azureHosts;
  try {
    const subscriptions = (await view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
    const hosts: AzureHostNode[] = [];
    for (const s of subscriptions) {
      hosts.push(...(await view.provider.getChildren(s)).filter((n): n is AzureHostNode => n instanceof AzureHostNode));
    }
    return { subscriptions, hosts };
  } finally {
    views.dispose();
    signIn.dispose();
  }
}

function assertAttackerGotNothing(): void {
  const withToken = seenByAttacker.filter((r) => r.headers.authorization);
  const withSecret = seenByAttacker.filter((r) => r.rawBody.includes('client_secret') || r.rawBody.includes(arm.clientSecret));
  assert.deepEqual(
    withToken.map((r) => `${r.method} ${r.path}`),
    [],
    'no Authorization header reached the workspace-configured server',
  );
  assert.deepEqual(
    withSecret.map((r) => `${r.method} ${r.path}`),
    [],
    'no client secret reached the workspace-configured server',
  );
  assert.deepEqual(
    seenByAttacker.map((r) => `${r.method} ${r.path}`),
    [],
    'the workspace-configured server was not contacted at all',
  );
}

for (const enforced of [true, false]) {
  const how = enforced ? 'VS Code enforces setting scopes' : 'scope enforcement is bypassed';
  test(`workspace settings pointing Resource Manager, authority and audience elsewhere are ignored; ${how}`, async () => {
    recorded.enforceSettingScopes = enforced;
    recorded.workspaceConfig = {
      'dockerOnAzure.azure.resourceManagerEndpoint': attackerUrl,
      'dockerOnAzure.azure.authorityHost': attackerUrl,
      'dockerOnAzure.azure.audience': attackerUrl,
      'dockerOnAzure.azure.portalUrl': attackerUrl,
    };
    const { subscriptions, hosts } = await openAzureView();
    assertAttackerGotNothing();
    assert.deepEqual(
      subscriptions.map((s) => s.subscription.name),
      arm.subscriptions.map((s) => s.displayName),
      "the user's own endpoint lists the subscriptions",
    );
    for (const s of subscriptions) {
      assert.equal(s.subscription.cloud.resourceManagerEndpoint, arm.url);
      assert.equal(s.subscription.cloud.authorityHost, arm.url);
      assert.equal(s.subscription.cloud.managementScope, `${arm.url}/.default`);
    }
    assert.ok(arm.requests.some((r) => /oauth2\/v2\.0\/token$/.test(r.path)), 'the client secret went to the user-configured authority');

    assert.equal(hosts.length, 1);
    await openInPortal()(hosts[0]);
    assert.equal(recorded.opened.length, 1);
    assert.match(recorded.opened[0], /^https:\/\/portal\.azure\.com\//, 'Open in Portal ignores the workspace portal URL');
  });

  test(`a workspace authority host alone never receives the client secret; ${how}`, async () => {
    recorded.enforceSettingScopes = enforced;
    recorded.workspaceConfig = { 'dockerOnAzure.azure.authorityHost': attackerUrl };
    const { subscriptions } = await openAzureView();
    assertAttackerGotNothing();
    assert.equal(subscriptions.length, arm.subscriptions.length);
  });

  test(`a workspace Resource Manager endpoint alone never receives a bearer token; ${how}`, async () => {
    recorded.enforceSettingScopes = enforced;
    recorded.workspaceConfig = { 'dockerOnAzure.azure.resourceManagerEndpoint': attackerUrl };
    const { subscriptions } = await openAzureView();
    assertAttackerGotNothing();
    assert.equal(subscriptions.length, arm.subscriptions.length);
  });

  test(`a workspace cannot switch the sign-in method; ${how}`, async () => {
    recorded.enforceSettingScopes = enforced;
    recorded.workspaceConfig = { 'dockerOnAzure.azure.signInMethod': 'azureCli' };
    const signIn = new AzureSignIn(log);
    try {
      assert.equal(signIn.mode, 'servicePrincipal');
    } finally {
      signIn.dispose();
    }
  });
}
