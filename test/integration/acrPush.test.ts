/**
 * Push Image… to an Azure Container Registry, end to end on real parts: the product signed in with a
 * service principal to the ARM emulator finds the registries of the subscription there, exchanges its
 * Azure token at the registry's token service (the emulator's /oauth2/exchange), and a real dockerd
 * pushes to a real registry (distribution 2.8 over HTTPS with ACR-style token auth) that accepts only
 * JWTs the emulator's /oauth2/token signed. Another dockerd pulls the image back as `az acr login`
 * users do: `docker login` as the all-zero user with a refresh token.
 */
import { recorded, memento, resetRecorded, Uri } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Dockerode from 'dockerode';
import { buildClassic } from '../../src/core/docker/buildImage';
import { AzureSignIn } from '../../src/ui/azure/azureSignIn';
import { AddedHostsStore } from '../../src/ui/hosts/addedHostsStore';
import type { AzureHostsView } from '../../src/ui/tree/azureHostsView';
import { HostViews, startHostViews } from '../support/hostViews';
import { HostNode, ImageNode, ImagesGroupNode } from '../../src/ui/tree/hostNodes';
import type { OtherHostsView } from '../../src/ui/tree/otherHostsView';
import type { ConnectionEnvironment } from '../../src/core/docker/connectionEnvironment';
import { startArmEmulator, type ArmEmulator } from '../support/armEmulator';
import { makeServerTls } from '../support/armEmulator/certificates';
import { addLocalAddress, type LocalAddress } from '../support/localAddress';
import { run, toolEnv } from '../support/processes';
import { startDockerd, type DockerdHandle } from '../support/dockerd';
import { startRegistry, type RegistryHandle } from '../support/registry';
import { ARM_CA_DIR_VAR, loadTestEnvironment, uniqueName } from '../support/testEnv';

const testEnv = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-acr-push-'));
// The CLI's login state for the pull-back stays in this run's folder.
const cliConfig = path.join(scratch, 'docker-config');
const ZERO_USER = '00000000-0000-0000-0000-000000000000';
const ADMIN_PASSWORD = `admin-${randomBytes(8).toString('hex')}`;
const main = new Dockerode({ socketPath: testEnv.unixSocket });
const log = { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined, trace: () => undefined } as never;

let arm: ArmEmulator;
let subscriptionId: string;
let signIn: AzureSignIn;
let azureView: AzureHostsView;
let otherView: OtherHostsView;
let views: HostViews;
let image: string;
let imageId: string;
/** Signs in through Azure (admin user disabled). */
let apps: RegistryHandle;
/** Refuses Resource Manager tokens at its exchange (azureADAuthenticationAsArmPolicy disabled), admin user enabled. */
let adminOnly: RegistryHandle;
/** Refuses Resource Manager tokens, admin user disabled: no way in through Azure. */
let locked: RegistryHandle;
const tlsFiles: string[] = [];
let acrAddress: LocalAddress;
/**
 * An engine whose BuildKit trusts the registries' CA. dockerd reads /etc/docker/certs.d for
 * BuildKit only when it starts, so this engine starts after the registries.
 */
let acrBuilder: DockerdHandle;
const certsDirs: string[] = [];

type Item = { label: string; kind?: number };
const pick = (label: string) => (items: Item[]) => items.find((i) => i.label.includes(label));
const runCommand = (id: string, node: unknown) => recorded.commands.get(id)!(node);
const messages = (level: 'info' | 'warning' | 'error') => recorded.messages.filter((m) => m.level === level).map((m) => m.text);

function cli(args: string[], socket: string, input?: string): Promise<{ stdout: string }> {
  return run('docker', ['-H', `unix://${socket}`, ...args], {
    input,
    env: toolEnv({ DOCKER_CONFIG: cliConfig, DOCKER_CLI_HINTS: 'false' }),
    timeoutMs: 120_000,
  });
}

async function localImageNode(reference: string): Promise<ImageNode> {
  const host = (await otherView.provider.getChildren()).find((n): n is HostNode => n instanceof HostNode && n.session.spec.name === 'Local engine');
  assert.ok(host, 'the local engine is listed');
  host.session.invalidate();
  const group = (await otherView.provider.getChildren(host)).find((n) => n instanceof ImagesGroupNode)!;
  const node = (await otherView.provider.getChildren(group)).find((n): n is ImageNode => n instanceof ImageNode && n.row.reference === reference);
  assert.ok(node, `${reference} is listed`);
  return node;
}

/** A refresh token for the registry, fetched the way `az acr login` does: an Entra ID token exchanged at the registry. */
async function refreshTokenFor(registry: RegistryHandle): Promise<string> {
  const aad = await fetch(`${arm.url}/${arm.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: arm.clientId,
      client_secret: arm.clientSecret,
      scope: 'https://management.azure.com/.default',
    }),
  });
  const { access_token } = (await aad.json()) as { access_token: string };
  const exchange = await fetch(`${arm.url}/oauth2/exchange`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'access_token', service: registry.address, tenant: arm.tenantId, access_token }),
  });
  assert.equal(exchange.status, 200);
  return ((await exchange.json()) as { refresh_token: string }).refresh_token;
}

/** The repository's tags, read from the registry itself with an access token from its token service. */
async function tagsIn(registry: RegistryHandle, repository: string): Promise<string[]> {
  const token = await fetch(`${arm.url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      service: registry.address,
      scope: `repository:${repository}:pull`,
      refresh_token: await refreshTokenFor(registry),
    }),
  });
  const { access_token } = (await token.json()) as { access_token: string };
  const res = await fetch(`https://${registry.address}/v2/${repository}/tags/list`, { headers: { Authorization: `Bearer ${access_token}` } });
  return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []).sort() : [];
}

/** Like ACR, on an address dockerd does not take for loopback, so it verifies the certificate. */
async function startAcrRegistry(): Promise<RegistryHandle> {
  const tls = await makeServerTls(process.env[ARM_CA_DIR_VAR]!, [acrAddress.address]);
  tlsFiles.push(tls.serverCert, tls.serverKey);
  const registry = await startRegistry({
    host: acrAddress.address,
    tls: { cert: tls.serverCert, key: tls.serverKey, ca: tls.caCert },
    tokenAuth: arm.acrTokenAuth,
  });
  // Real ACR's certificate chains to a public root; the emulator's CA stands in for it here.
  const certsDir = path.join('/etc/docker/certs.d', registry.address);
  fs.mkdirSync(certsDir, { recursive: true });
  fs.copyFileSync(tls.caCert, path.join(certsDir, 'ca.crt'));
  certsDirs.push(certsDir);
  return registry;
}

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  subscriptionId = arm.subscriptions[0].subscriptionId;
  acrAddress = await addLocalAddress();
  [apps, adminOnly, locked] = await Promise.all([startAcrRegistry(), startAcrRegistry(), startAcrRegistry()]);
  const seed = (name: string, registry: RegistryHandle, adminUserEnabled: boolean, armTokensAccepted: boolean) =>
    arm.addContainerRegistry({
      subscriptionId,
      resourceGroup: 'registries-rg',
      name,
      loginServer: registry.address,
      adminUserEnabled,
      adminPassword: ADMIN_PASSWORD,
      armTokensAccepted,
    });
  seed('contosoapps', apps, false, true);
  acrBuilder = await startDockerd({ dir: fs.mkdtempSync('/tmp/doa-acrb-') });
  seed('contosoadmin', adminOnly, true, false);
  seed('contosolocked', locked, false, false);

  // An image of its own (a layer of random bytes), so the registry cannot already have its layers.
  const context = fs.mkdtempSync(path.join(scratch, 'ctx-'));
  fs.writeFileSync(path.join(context, 'blob'), randomBytes(256 * 1024));
  fs.writeFileSync(path.join(context, 'Dockerfile'), `FROM ${testEnv.baseImage}\nCOPY blob /blob\n`);
  image = `${uniqueName('local/acr')}:1`;
  await buildClassic(main, { contextDir: context, dockerfile: path.join(context, 'Dockerfile'), tag: image }, () => undefined);
  imageId = (await main.getImage(image).inspect()).Id;

  process.env.DOCKER_HOST = `unix://${testEnv.unixSocket}`;
  process.env.AZURE_TENANT_ID = arm.tenantId;
  process.env.AZURE_CLIENT_ID = arm.clientId;
  process.env.AZURE_CLIENT_SECRET = arm.clientSecret;
  recorded.config = {
    'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
    'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
    'dockerOnAzure.azure.authorityHost': arm.url,
  };
  const connEnv = (): ConnectionEnvironment => ({ homeDir: scratch, knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 5000 });
  const store = new AddedHostsStore(memento() as never);
  await store.add({ name: 'ACR builder', address: acrBuilder.host });
  signIn = new AzureSignIn(log);
  views = startHostViews({ connectionEnv: connEnv, added: store, hostList: { showLocalEngine: true, showContexts: false }, signIn, commands: true });
  otherView = views.otherHosts;
  azureView = views.azureHosts;
  // Expanding the Azure view signs in and makes the inventory the registry pick lists from.
  await azureView.provider.getChildren();
});

beforeEach(() => {
  const config = recorded.config;
  resetRecorded();
  recorded.config = config;
  arm.resetRequests();
});

after(async () => {
  views?.dispose();
  signIn?.dispose();
  await main
    .getImage(image)
    .remove({ force: true })
    .catch(() => undefined);
  await Promise.allSettled([apps?.stop(), adminOnly?.stop(), locked?.stop(), acrBuilder?.stop()]);
  if (acrBuilder) {
    fs.rmSync(acrBuilder.dir, { recursive: true, force: true });
  }
  for (const dir of certsDirs) {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  await acrAddress?.remove();
  await arm?.stop();
  for (const file of tlsFiles) {
    fs.rmSync(file, { force: true });
  }
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('Push Image… to an ACR of the subscription: no credentials asked, the Azure sign-in is exchanged, and the image arrives', async () => {
  let offered: Item[] = [];
  recorded.answers.push(
    (items: Item[]) => {
      offered = items;
      return pick(apps.address)(items);
    },
    'team/app:v1',
    undefined,
  );
  await runCommand('dockerOnAzure.image.push', await localImageNode(image));
  assert.deepEqual(messages('error'), []);
  assert.deepEqual(messages('warning'), [], 'no fallback to the admin user');
  assert.equal(recorded.answers.length, 0, 'only the registry and the repository were asked for');
  const acrRows = offered.filter((i) => i.label.startsWith('$(azure)')).map((i) => i.label);
  assert.deepEqual(
    acrRows,
    [apps.address, adminOnly.address, locked.address].sort().map((a) => `$(azure) ${a}`),
  );
  assert.match(messages('info').at(-1)!, new RegExp(`^Pushed ${apps.address}/team/app:v1 \\(sha256:`));

  const acrCalls = arm.requests.filter((r) => r.kind === 'acr').map((r) => `${r.method} ${r.path} ${r.status}`);
  assert.ok(acrCalls.includes('POST /oauth2/exchange 200'), 'the product exchanged its Azure token');
  // dockerd, given a user name and password, fetches the token with basic auth, the refresh token as the password.
  const realmCall = arm.requests.find((r) => r.path === '/oauth2/token');
  assert.deepEqual(realmCall && [realmCall.method, realmCall.status, realmCall.query.account, realmCall.query.service], [
    'GET',
    200,
    ZERO_USER,
    apps.address,
  ]);
  assert.match(realmCall!.query.scope, /^repository:team\/app:(push,pull|pull,push)$/);
  const exchange = arm.requests.find((r) => r.path === '/oauth2/exchange')!;
  assert.deepEqual(exchange.body, { grant_type: 'access_token', service: apps.address, tenant: arm.tenantId, access_token: '***' });
  assert.deepEqual(await tagsIn(apps, 'team/app'), ['v1']);

  // The other engine pulls it back as `az acr login` would have it: the all-zero user and a refresh token.
  const pushed = `${apps.address}/team/app:v1`;
  await cli(['login', apps.address, '-u', ZERO_USER, '--password-stdin'], testEnv.tls.unixSocket, await refreshTokenFor(apps));
  try {
    await cli(['pull', pushed], testEnv.tls.unixSocket);
    const pulledId = (await cli(['image', 'inspect', '--format', '{{.Id}}', pushed], testEnv.tls.unixSocket)).stdout.trim();
    assert.equal(pulledId, imageId, 'the pulled image is the pushed one (same config digest)');
  } finally {
    await cli(['image', 'rm', '-f', pushed], testEnv.tls.unixSocket).catch(() => undefined);
    await cli(['logout', apps.address], testEnv.tls.unixSocket).catch(() => undefined);
  }
});

test('Deploy builds FROM an image in an ACR of the subscription, signing in through Azure with nothing typed', async () => {
  const base = `${apps.address}/team/app:v1`;
  assert.deepEqual(await tagsIn(apps, 'team/app'), ['v1'], 'the push test left the base image there');
  const builder = new Dockerode({ socketPath: acrBuilder.socketPath });
  const dir = fs.mkdtempSync(path.join(scratch, 'from-acr-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${base}\nCMD sleep 3600\n`);
  const name = uniqueName('from-acr');
  recorded.answers.push(pick('ACR builder'), `${name}:1`, name, '', '', (items: Item[]) => items[0]);
  try {
    await runCommand('dockerOnAzure.deploy', Uri.file(path.join(dir, 'Dockerfile')));
    assert.deepEqual(messages('error'), []);
    const output = recorded.outputs.get('Docker on Azure: Build') ?? '';
    assert.match(output, new RegExp(`^Signed in to ${apps.address} through Azure to pull the build's images\\.$`, 'm'));
    assert.equal((await builder.getContainer(name).inspect()).State.Running, true);
    assert.ok(
      arm.requests.some((r) => r.method === 'POST' && r.path === '/oauth2/exchange' && r.status === 200),
      'the Azure token was exchanged at the registry',
    );
    assert.ok(!/eyJ/.test(output), 'no token in the build output');
  } finally {
    await builder
      .getContainer(name)
      .remove({ force: true })
      .catch(() => undefined);
  }
});

test('without an Azure sign-in that reaches the registry, a Deploy FROM an ACR image fails naming the registry, and nothing starts', async () => {
  const base = `${locked.address}/team/app:v1`;
  const dir = fs.mkdtempSync(path.join(scratch, 'from-locked-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${base}\nCMD sleep 3600\n`);
  const name = uniqueName('from-locked');
  recorded.answers.push(pick('ACR builder'), `${name}:1`, name, '', '', (items: Item[]) => items[0]);
  await runCommand('dockerOnAzure.deploy', Uri.file(path.join(dir, 'Dockerfile')));
  const errors = messages('error');
  assert.equal(errors.length, 1, `one error: ${errors}`);
  assert.match(errors[0], new RegExp(`${locked.address.replace(/\./g, '\\.')} did not let the host pull ${base.replace(/\./g, '\\.')}`));
  assert.match(
    recorded.outputs.get('Docker on Azure: Build') ?? '',
    new RegExp(`Could not sign in to ${locked.address.replace(/\./g, '\\.')} through Azure: .*azureADAuthenticationAsArmPolicy`),
  );
  await assert.rejects(new Dockerode({ socketPath: acrBuilder.socketPath }).getContainer(name).inspect(), /no such container/i);
});

test('the registry takes no push without a token from its token service', async () => {
  const before = await tagsIn(apps, 'team/app');
  const res = await fetch(`https://${apps.address}/v2/team/app/tags/list`);
  assert.equal(res.status, 401);
  assert.equal(
    res.headers.get('www-authenticate'),
    `Bearer realm="${arm.acrTokenAuth.realm}",service="${apps.address}",scope="repository:team/app:pull"`,
  );
  const forged = await fetch(`https://${apps.address}/v2/team/app/tags/list`, { headers: { Authorization: 'Bearer not.a.token' } });
  assert.equal(forged.status, 401);
  assert.deepEqual(await tagsIn(apps, 'team/app'), before);
});

test("the token service takes only Azure tokens the emulator issued for the registry's tenant, and refresh tokens for that registry", async () => {
  const exchange = (form: Record<string, string>) => fetch(`${arm.url}/oauth2/exchange`, { method: 'POST', body: new URLSearchParams(form) });
  const foreign = await exchange({ grant_type: 'access_token', service: apps.address, access_token: 'eyJhbGciOiJub25lIn0.e30.' });
  assert.deepEqual(
    [foreign.status, await foreign.json()],
    [401, { errors: [{ code: 'UNAUTHORIZED', message: 'The Azure AD access token is not valid.' }] }],
  );
  const unknown = await exchange({ grant_type: 'access_token', service: 'nosuch.azurecr.io', access_token: 'x' });
  assert.equal(unknown.status, 400);

  const otherTenant = arm.addTenant({ displayName: 'Fabrikam' });
  const aad = await fetch(`${arm.url}/${otherTenant}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: arm.clientId,
      client_secret: arm.clientSecret,
      scope: `${arm.url}/.default`,
    }),
  });
  const fromOtherTenant = await exchange({
    grant_type: 'access_token',
    service: apps.address,
    access_token: ((await aad.json()) as { access_token: string }).access_token,
  });
  assert.equal(fromOtherTenant.status, 401);
  assert.match(((await fromOtherTenant.json()) as { errors: [{ message: string }] }).errors[0].message, /not the registry's tenant/);

  const forOtherRegistry = await fetch(`${arm.url}/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      service: locked.address,
      scope: 'repository:team/app:pull',
      refresh_token: await refreshTokenFor(apps),
    }),
  });
  assert.equal(forOtherRegistry.status, 401, 'a refresh token opens only the registry it was exchanged at');
});

test('an exchange the registry refuses falls back to its admin user, and the user is told', async () => {
  recorded.answers.push(pick(adminOnly.address), 'team/app:admin', undefined, undefined);
  await runCommand('dockerOnAzure.image.push', await localImageNode(image));
  assert.deepEqual(messages('error'), []);
  const [warning] = messages('warning');
  assert.match(
    warning,
    new RegExp(
      `^Pushing to ${adminOnly.address} with its admin user: the Azure token exchange failed \\(.*HTTP 401: .*azureADAuthenticationAsArmPolicy`,
    ),
  );
  assert.ok(
    arm.requests.some((r) => r.method === 'POST' && /\/registries\/contosoadmin\/listCredentials$/.test(r.path) && r.status === 200),
    'the admin credentials were read from Resource Manager',
  );
  assert.deepEqual(await adminTags('team/app'), ['admin']);
});

test('with the admin user disabled, a refused exchange is a clear error and nothing is pushed', async () => {
  recorded.answers.push(pick(locked.address), 'team/app:v1', undefined);
  await runCommand('dockerOnAzure.image.push', await localImageNode(image));
  assert.deepEqual(messages('error'), [
    `${locked.address} did not exchange the Azure sign-in for a registry token: HTTP 401: The registry contosolocked does not accept Azure Resource Manager tokens (its azureADAuthenticationAsArmPolicy is disabled); use a token for https://containerregistry.azure.net. The registry's admin user is disabled, so there is no other way in through Azure.`,
  ]);
  assert.ok(!arm.requests.some((r) => /listCredentials$/.test(r.path)), 'the admin credentials were not asked for');
  assert.deepEqual(repositoriesOnDisk(locked), []);
  await assert.rejects(main.getImage(`${locked.address}/team/app:v1`).inspect(), /no such image/i, 'the target tag was taken away again');
});

test('an expired Azure sign-in is a clear error, even with the admin user enabled, and nothing is pushed', async () => {
  recorded.answers.push(
    (items: Item[]) => {
      // Expires after the registries were listed, as a sign-in running out between the pick and the push.
      arm.faults.expireTokens();
      return pick(adminOnly.address)(items);
    },
    'team/app:expired',
    'Sign In',
  );
  const signIn = recorded.commands.get('dockerOnAzure.azure.signIn')!;
  let signedIn = 0;
  recorded.commands.set('dockerOnAzure.azure.signIn', (...args: unknown[]) => {
    signedIn++;
    return signIn(...args);
  });
  try {
    await runCommand('dockerOnAzure.image.push', await localImageNode(image));
  } finally {
    recorded.commands.set('dockerOnAzure.azure.signIn', signIn);
  }
  assert.deepEqual(messages('error'), [
    'Your Azure sign-in is no longer valid (ExpiredAuthenticationToken). Sign in again to push to ' + adminOnly.address + '.',
  ]);
  const exchange = arm.requests.filter((r) => r.path === '/oauth2/exchange').at(-1)!;
  assert.equal(exchange.status, 401);
  assert.deepEqual(await adminTags('team/app'), ['admin'], 'nothing more arrived');
  assert.equal(signedIn, 1, "the error's Sign In button signs in again");
});

/** Tags of contosoadmin's repository, read with its admin user (it refuses the Azure token exchange). */
async function adminTags(repository: string): Promise<string[]> {
  const basic = Buffer.from(`contosoadmin:${ADMIN_PASSWORD}`).toString('base64');
  const scope = new URLSearchParams({ service: adminOnly.address, scope: `repository:${repository}:pull` });
  const token = await fetch(`${arm.url}/oauth2/token?${scope.toString()}`, { headers: { Authorization: `Basic ${basic}` } });
  const { access_token } = (await token.json()) as { access_token: string };
  const res = await fetch(`https://${adminOnly.address}/v2/${repository}/tags/list`, { headers: { Authorization: `Bearer ${access_token}` } });
  return res.status === 200 ? (((await res.json()) as { tags: string[] | null }).tags ?? []).sort() : [];
}

/** The repositories in a registry's storage, for a registry no test credential opens. */
function repositoriesOnDisk(registry: RegistryHandle): string[] {
  const root = path.join(registry.dir, 'data', 'docker', 'registry', 'v2', 'repositories');
  return fs.existsSync(root) ? fs.readdirSync(root) : [];
}
