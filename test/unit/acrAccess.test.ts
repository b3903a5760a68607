import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { AccessToken, TokenCredential } from '@azure/core-auth';
import { acrPushAuth, findContainerRegistries, type FoundRegistry } from '../../src/core/azure/acrAccess';
import type { AzureSubscriptionRef } from '../../src/core/azure/azureAccount';
import { resolveCloud } from '../../src/core/azure/cloud';
import { azureVendor } from '../../src/core/azure/lazyAzure';
import { exchangeAcrToken } from '../../src/core/docker/acrTokenExchange';
import { ACR_TOKEN_USERNAME } from '../../src/core/docker/registryAuth';
import { makeServerTls } from '../support/armEmulator/certificates';
import { startHttpsServer, type RunningServer } from '../support/armEmulator/httpsServer';
import type { EmulatorRequest, EmulatorResponse } from '../support/armEmulator/protocol';
import { trustEmulatorCa } from '../support/armEmulator/trustCa';

const AAD_TOKEN = 'aad-token-of-the-signed-in-user';
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-acr-'));
let server: RunningServer;
let loginServer: string;
/** What the fake registry's token service and ARM saw. */
const seen: EmulatorRequest[] = [];
/** The test's knobs on the fake: the realm the /v2/ challenge names. */
let realm: (port: number) => string = (port) => `https://127.0.0.1:${port}/oauth2/token`;

function json(status: number, body: unknown): EmulatorResponse {
  return { status, headers: {}, body };
}

const registryArm = (name: string, rg: string, admin: boolean) => ({
  id: `/subscriptions/sub-1/resourceGroups/${rg}/providers/Microsoft.ContainerRegistry/registries/${name}`,
  name,
  type: 'Microsoft.ContainerRegistry/registries',
  properties: { loginServer: name === 'local' ? loginServer : `${name}.azurecr.io`, adminUserEnabled: admin },
});

/** One HTTPS server plays the registry's /v2/ and token service, and Resource Manager. */
function handle(req: EmulatorRequest): EmulatorResponse {
  seen.push(req);
  if (req.path === '/v2/') {
    return { status: 401, headers: { 'WWW-Authenticate': `Bearer realm="${realm(server.port)}",service="${loginServer}"` }, body: { errors: [] } };
  }
  if (req.path === '/oauth2/exchange' && req.method === 'POST') {
    const form = new URLSearchParams(req.rawBody);
    return form.get('access_token') === AAD_TOKEN && form.get('grant_type') === 'access_token'
      ? json(200, { refresh_token: `acr-refresh-for-${form.get('service')}` })
      : json(401, { errors: [{ code: 'UNAUTHORIZED', message: 'the access token is not valid' }] });
  }
  if (req.headers.authorization !== `Bearer ${AAD_TOKEN}`) {
    return json(401, { error: { code: 'InvalidAuthenticationToken', message: 'no token' } });
  }
  if (req.path === '/subscriptions/sub-1/providers/Microsoft.ContainerRegistry/registries') {
    return req.query.page === '2'
      ? json(200, { value: [registryArm('local', 'rg-b', true)] })
      : json(200, {
          value: [registryArm('zeta', 'rg-a', false)],
          nextLink: `https://127.0.0.1:${server.port}${req.path}?api-version=${req.query['api-version']}&page=2`,
        });
  }
  if (req.path === '/subscriptions/sub-2/providers/Microsoft.ContainerRegistry/registries') {
    return json(403, { error: { code: 'AuthorizationFailed', message: 'no read on sub-2' } });
  }
  if (req.path.endsWith('/registries/local/listCredentials') && req.method === 'POST') {
    return json(200, { username: 'local', passwords: [{ name: 'password', value: 'admin-secret' }] });
  }
  return json(404, { error: { code: 'NotFound', message: req.path } });
}

function subscription(id: string, token = AAD_TOKEN): AzureSubscriptionRef {
  const credential: TokenCredential = { getToken: async (): Promise<AccessToken> => ({ token, expiresOnTimestamp: Date.now() + 3_600_000 }) };
  return {
    subscriptionId: id,
    name: `Subscription ${id}`,
    tenantId: 'tenant-1',
    credential,
    cloud: resolveCloud({ resourceManagerEndpoint: `https://127.0.0.1:${server.port}` }),
  };
}

const armClient = (sub: AzureSubscriptionRef) => azureVendor().createArmClients(sub.credential, sub.subscriptionId, sub.cloud).resources;

before(async () => {
  const tls = await makeServerTls(dir);
  trustEmulatorCa(tls.caCert);
  server = await startHttpsServer(tls.serverCert, tls.serverKey, handle);
  loginServer = `127.0.0.1:${server.port}`;
});

after(async () => {
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('the Azure token is exchanged at the token service the /v2/ challenge names, for that service, with the tenant', async () => {
  seen.length = 0;
  assert.equal(await exchangeAcrToken(loginServer, AAD_TOKEN, { tenantId: 'tenant-1' }), `acr-refresh-for-${loginServer}`);
  const exchange = seen.find((r) => r.path === '/oauth2/exchange')!;
  assert.deepEqual(Object.fromEntries(new URLSearchParams(exchange.rawBody)), {
    grant_type: 'access_token',
    service: loginServer,
    access_token: AAD_TOKEN,
    tenant: 'tenant-1',
  });
});

test('an Azure token is never sent to a token service over plain HTTP', async () => {
  seen.length = 0;
  realm = (port) => `http://127.0.0.1:${port}/oauth2/token`;
  try {
    await assert.rejects(exchangeAcrToken(loginServer, AAD_TOKEN), /is not HTTPS, and an Azure token is never sent over plain HTTP/);
    assert.deepEqual(
      seen.map((r) => r.path),
      ['/v2/'],
    );
  } finally {
    realm = (port) => `https://127.0.0.1:${port}/oauth2/token`;
  }
});

test('registries are listed from every page of every subscription; a subscription that refuses is reported', async () => {
  const { found, failures } = await findContainerRegistries([subscription('sub-1'), subscription('sub-2')], armClient);
  assert.deepEqual(
    found.map((f) => [f.registry.name, f.registry.loginServer, f.registry.resourceGroup, f.registry.adminUserEnabled, f.subscription.subscriptionId]),
    [
      ['local', loginServer, 'rg-b', true, 'sub-1'],
      ['zeta', 'zeta.azurecr.io', 'rg-a', false, 'sub-1'],
    ],
  );
  assert.equal(failures.length, 1);
  assert.match(failures[0], /^Subscription sub-2: You are not allowed to list the container registries: no read on sub-2/);
});

async function local(sub: AzureSubscriptionRef): Promise<FoundRegistry> {
  const { found } = await findContainerRegistries([subscription('sub-1')], armClient);
  return { ...found.find((f) => f.registry.name === 'local')!, subscription: sub };
}

test('push credentials come from the token exchange: the ACR token user and the refresh token', async () => {
  const sub = subscription('sub-1');
  const result = await acrPushAuth(await local(sub), armClient(sub));
  assert.deepEqual(result, { auth: { username: ACR_TOKEN_USERNAME, password: `acr-refresh-for-${loginServer}`, serveraddress: loginServer } });
});

test('when the exchange is refused, the admin credentials are used and the caller is told why', async () => {
  const sub = subscription('sub-1', 'a-token-the-registry-refuses');
  const found = await local(subscription('sub-1'));
  const result = await acrPushAuth({ ...found, subscription: sub }, armClient(subscription('sub-1')));
  assert.deepEqual(result.auth, { username: 'local', password: 'admin-secret', serveraddress: loginServer });
  assert.match(result.fellBackToAdmin ?? '', /did not exchange the Azure sign-in for a registry token: HTTP 401: the access token is not valid/);
});

test('when the exchange is refused and the admin user is disabled, the error says there is no other way in', async () => {
  const sub = subscription('sub-1', 'a-token-the-registry-refuses');
  const found = await local(subscription('sub-1'));
  await assert.rejects(
    acrPushAuth({ ...found, registry: { ...found.registry, adminUserEnabled: false }, subscription: sub }, armClient(sub)),
    /HTTP 401: the access token is not valid\. The registry's admin user is disabled/,
  );
});
