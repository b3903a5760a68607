import { recorded, resetRecorded } from '../support/installVscodeFake';
import test, { after, before, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { AzureHostsView } from '../../src/ui/tree/azureHostsView';
import type { HostCatalog } from '../../src/core/hosts/hostCatalog';
import { AzureHostNode, SubscriptionNode } from '../../src/ui/tree/azureNodes';
import { ContainersGroupNode } from '../../src/ui/tree/hostNodes';
import { TreeNode } from '../../src/ui/tree/treeNode';
import { ARM_CA_DIR_VAR, dockerCli, loadTestEnvironment } from '../support/testEnv';
import { Uri } from '../support/vscodeFake';
import { startAzureCommands } from '../support/azureCommands';
import { readDockerContexts } from '../../src/core/docker/dockerContexts';
import { VmStartLog } from '../../src/ui/azure/vmStartLog';
import type { HostTlsStore } from '../../src/ui/azure/hostTlsStore';
import { compareHosts } from '../../src/ui/webview/compareHosts';

const testEnv = loadTestEnvironment();
let arm: ArmEmulator;
let view: AzureHostsView;
let catalog: HostCatalog;
let vmStarts: VmStartLog;
let hostTls: HostTlsStore;
let settings: Record<string, unknown>;
let stopCommands: (() => void) | undefined;
let subA: string;
let subB: string;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-azure-'));

const label = (n: TreeNode) => n.getTreeItem().label as string;

async function subscriptionNodes(): Promise<SubscriptionNode[]> {
  return (await view.provider.getChildren()).filter((n): n is SubscriptionNode => n instanceof SubscriptionNode);
}

async function hostsIn(subName: string): Promise<AzureHostNode[]> {
  const sub = (await subscriptionNodes()).find((s) => s.subscription.name === subName);
  assert.ok(sub, `subscription ${subName}`);
  return (await view.provider.getChildren(sub)).filter((n): n is AzureHostNode => n instanceof AzureHostNode);
}

async function host(subName: string, name: string): Promise<AzureHostNode> {
  const found = (await hostsIn(subName)).find((h) => h.vm.name === name);
  assert.ok(found, `host ${name}`);
  return found;
}

function armCalls(pathPart: RegExp): number {
  return arm.requests.filter((r) => pathPart.test(r.path)).length;
}

function powerState(vmId: string): string | undefined {
  const state = arm.powerState(vmId);
  return state && `PowerState/${state}`;
}

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR] });
  // The emulator starts with one subscription, "Contoso Development"; a second one is added.
  subA = arm.subscriptions[0].subscriptionId;
  subB = arm.addSubscription({ displayName: 'Contoso Prod' });
  const tags = (daemon: string) => ({ 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': daemon, 'dockerOnAzure:adminUser': 'azureuser' });
  arm.addVm({ subscriptionId: subA, resourceGroup: 'dev-rg', name: 'dev-docker', tags: tags('ssh'), powerState: 'running', dnsLabel: 'dev-docker' });
  arm.addVm({ subscriptionId: subA, resourceGroup: 'dev-rg', name: 'dev-idle', tags: tags('ssh'), powerState: 'deallocated' });
  arm.addVm({ subscriptionId: subA, resourceGroup: 'dev-rg', name: 'plain-vm', powerState: 'running' });
  arm.addVm({
    subscriptionId: subB,
    resourceGroup: 'prod-rg',
    name: 'prod-docker',
    tags: tags('tls'),
    powerState: 'running',
    vmSize: 'Standard_D2s_v5',
    location: 'northeurope',
  });
  // A VM whose "public IP" is this machine, marked by the user with the TLS test daemon's port.
  arm.addVm({
    subscriptionId: subB,
    resourceGroup: 'prod-rg',
    name: 'loopback-vm',
    powerState: 'running',
    publicIpAddress: '127.0.0.1',
    dnsLabel: '',
  });
  ({ view, catalog, vmStarts, hostTls, config: settings, dispose: stopCommands } = startAzureCommands(arm, scratch));
});

beforeEach(() => {
  resetRecorded();
  recorded.config = { ...settings };
});

after(async () => {
  stopCommands?.();
  await arm.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('a service principal signs in; hosts are listed per subscription across two subscriptions', async () => {
  const subs = await subscriptionNodes();
  assert.deepEqual(subs.map(label), ['Contoso Development', 'Contoso Prod']);
  assert.deepEqual(
    (await hostsIn('Contoso Development')).map((h) => h.vm.name),
    ['dev-docker', 'dev-idle'],
    'the untagged VM is not a Docker host',
  );
  assert.deepEqual(
    (await hostsIn('Contoso Prod')).map((h) => h.vm.name),
    ['prod-docker'],
  );
  assert.ok(
    arm.requests.some((r) => /oauth2\/v2\.0\/token/.test(r.path)),
    'the client-secret credential fetched a token from the authority',
  );
});

test('listing a subscription costs a constant number of ARM calls, not one per VM', async () => {
  view.refreshAll();
  arm.resetRequests();
  await hostsIn('Contoso Development');
  const perVm = arm.requests.filter((r) => /virtualMachines\/[^/]+$/i.test(r.path)).length;
  assert.equal(perVm, 0, 'no VM is fetched on its own');
  assert.equal(armCalls(/\/providers\/Microsoft\.Compute\/virtualMachines$/i), 1);
  assert.equal(armCalls(/\/providers\/Microsoft\.Network\/networkInterfaces$/i), 1);
  assert.equal(armCalls(/\/providers\/Microsoft\.Network\/publicIPAddresses$/i), 1);
  assert.ok(arm.requests.find((r) => /virtualMachines$/i.test(r.path))?.query.statusOnly === 'true');
  const before = arm.requests.length;
  await hostsIn('Contoso Development');
  assert.equal(arm.requests.length, before, 'expanding again is served from the cache');
});

test('host rows show power state, address, size and region; a deallocated host says so instead of connecting', async () => {
  const prod = (await host('Contoso Prod', 'prod-docker')).getTreeItem();
  assert.match(prod.description as string, /^running · .+ · Standard_D2s_v5 · northeurope$/);
  assert.match(prod.contextValue!, /^azureHost running hasAddress provisioned/);
  const idle = await host('Contoso Development', 'dev-idle');
  assert.match(idle.getTreeItem().description as string, /^deallocated · /);
  const children = await view.provider.getChildren(idle);
  assert.equal(children.length, 1);
  assert.match(label(children[0]), /deallocated — start it to see its containers/);
});

test('start, stop (deallocate) and restart change the real VM state and the tree follows', async () => {
  const idle = await host('Contoso Development', 'dev-idle');
  await recorded.commands.get('dockerOnAzure.azureHost.start')!(idle);
  assert.equal(powerState(idle.vm.id), 'PowerState/running');
  assert.equal((await host('Contoso Development', 'dev-idle')).vm.powerState, 'running');
  assert.ok(arm.requests.some((r) => r.method === 'POST' && /dev-idle\/start$/i.test(r.path)));
  // Request → running, kept for the comparison page.
  assert.equal(vmStarts.get(idle.vm.id).length, 1);
  assert.ok(vmStarts.get(idle.vm.id)[0] > 0);

  recorded.answers.push('Stop and Deallocate');
  await recorded.commands.get('dockerOnAzure.azureHost.stop')!(await host('Contoso Development', 'dev-idle'));
  assert.match(recorded.messages[0].text, /Stop dev-idle\?/);
  assert.equal(powerState(idle.vm.id), 'PowerState/deallocated');
  assert.equal((await host('Contoso Development', 'dev-idle')).vm.powerState, 'deallocated');

  await recorded.commands.get('dockerOnAzure.azureHost.restart')!(await host('Contoso Prod', 'prod-docker'));
  assert.ok(arm.requests.some((r) => r.method === 'POST' && /prod-docker\/restart$/i.test(r.path)));
  assert.equal((await host('Contoso Prod', 'prod-docker')).vm.powerState, 'running');
  assert.deepEqual(vmStarts.get((await host('Contoso Prod', 'prod-docker')).vm.id), [], 'a restart is not a start from cold');
});

test("the comparison page reads an Azure host's size, OS disk and seen starts from Resource Manager", async () => {
  const prod = await host('Contoso Prod', 'prod-docker');
  await vmStarts.record(prod.vm.id, 48_000);
  const hosts = await compareHosts(catalog, view, vmStarts);
  const entry = hosts.find((h) => h.option.key === `azure:${prod.vm.id.toLowerCase()}`);
  assert.ok(entry?.azure, 'prod-docker is offered with its Azure facts');
  assert.match(entry.option.description, /^Azure VM · Standard_D2s_v5 · running$/);
  const facts = await entry.azure();
  assert.equal(facts.vmSize, 'Standard_D2s_v5');
  assert.equal(facts.vCpus, 2);
  assert.equal(facts.memoryMb, 8192);
  assert.ok(facts.osDiskGb && facts.osDiskGb > 0, `OS disk size ${facts.osDiskGb}`);
  assert.deepEqual(facts.startsMs, [48_000]);
  const idle = hosts.find((h) => h.option.label === 'dev-idle');
  assert.equal(idle?.docker, undefined);
  assert.match(idle?.noDockerReason ?? '', /start it to measure/);
});

test('stop asks first; Escape leaves the VM running', async () => {
  recorded.answers.push(undefined);
  const prod = await host('Contoso Prod', 'prod-docker');
  await recorded.commands.get('dockerOnAzure.azureHost.stop')!(prod);
  assert.equal(powerState(prod.vm.id), 'PowerState/running');
});

test('throttling (429 with Retry-After) and server errors are survived without the user noticing', async () => {
  view.refreshAll();
  arm.resetRequests();
  arm.faults.throttle(2, 1);
  assert.deepEqual(
    (await hostsIn('Contoso Development')).map((h) => h.vm.name),
    ['dev-docker', 'dev-idle'],
  );
  assert.equal(arm.requests.filter((r) => r.status === 429).length, 2);
  view.refreshAll();
  arm.faults.serverError(1, 503);
  assert.deepEqual(
    (await hostsIn('Contoso Prod')).map((h) => h.vm.name),
    ['prod-docker'],
  );
  assert.equal(recorded.messages.length, 0);
});

test("an operation that ends Failed is shown with ARM's code and message", async () => {
  arm.faults.failNextOperation('AllocationFailed', 'Allocation failed. We do not have sufficient capacity for the requested VM size in this region.');
  const idle = await host('Contoso Development', 'dev-idle');
  await recorded.commands.get('dockerOnAzure.azureHost.start')!(idle);
  const error = recorded.messages.find((m) => m.level === 'error');
  assert.ok(error, 'an error message was shown');
  assert.match(error.text, /AllocationFailed/);
  assert.match(error.text, /sufficient capacity/);
});

test('Add Existing VM marks an unmarked VM with its TLS daemon; it then expands to the real containers of that daemon', async () => {
  assert.equal(
    (await hostsIn('Contoso Prod')).some((h) => h.vm.name === 'loopback-vm'),
    false,
    'unmarked VMs are not hosts',
  );
  // The VM's public address is 127.0.0.1, where the TLS test daemon answers; its certificate names 127.0.0.1.
  const certs = fs.mkdtempSync(path.join(scratch, 'certs-'));
  fs.copyFileSync(testEnv.tls.ca, path.join(certs, 'ca.pem'));
  fs.copyFileSync(testEnv.tls.cert, path.join(certs, 'cert.pem'));
  fs.copyFileSync(testEnv.tls.key, path.join(certs, 'key.pem'));
  type Item = { label: string; id?: string };
  let offered: string[] = [];
  recorded.answers.push(
    (items: Item[]) => {
      offered = items.map((i) => i.label);
      return items.find((i) => i.label === 'loopback-vm');
    },
    (items: Item[]) => items.find((i) => i.id === 'tls'),
    String(testEnv.tls.port),
    [Uri.file(certs)],
  );
  await recorded.commands.get('dockerOnAzure.azure.addExistingVm')!();
  assert.ok(offered.includes('plain-vm') && offered.includes('loopback-vm'), `unmarked VMs offered: ${offered}`);
  assert.ok(!offered.includes('prod-docker'), 'provisioned hosts are not offered');
  const node = await host('Contoso Prod', 'loopback-vm');
  assert.match(node.getTreeItem().contextValue!, /\bmarked\b/);
  assert.equal(node.vm.publicIp, '127.0.0.1');
  const children = await view.provider.getChildren(node);
  assert.deepEqual(children.map(label), ['Containers', 'Images']);
  assert.ok(children[0] instanceof ContainersGroupNode);
  const images = await view.provider.getChildren(children[1]);
  assert.ok(images.map(label).includes(testEnv.baseImage), "the real daemon's images");
});

test("deploying to an Azure host opens the published port in the VM's network security group, asking first, and offers the public URL", async () => {
  const loopback = await host('Contoso Prod', 'loopback-vm');
  const nsgId = loopback.vm.nsgIds[0];
  const rules = () =>
    (arm.resource(nsgId) as { properties: { securityRules: { name: string; properties: Record<string, unknown> }[] } }).properties.securityRules;
  const dir = fs.mkdtempSync(path.join(scratch, 'site-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${testEnv.baseImage}\nEXPOSE 80\nCMD sleep 3600\n`);
  const name = `nsg-${Date.now().toString(36)}`;
  const port = 18000 + Math.floor(Math.random() * 1000);
  const tls = { host: '127.0.0.1', port: testEnv.tls.port, ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key };
  recorded.answers.push(
    (items: { label: string }[]) => items.find((i) => i.label === 'loopback-vm'),
    `${name}:1`,
    name,
    `${port}:80`,
    '',
    (items: { label: string }[]) => items[0],
    'Open for anyone',
    'Open in Browser',
  );
  try {
    await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
    const prompt = recorded.messages.find((m) => m.level === 'warning');
    assert.match(prompt?.text ?? '', new RegExp(`Open port ${port}/tcp of loopback-vm in its network security group loopback-vm-nsg\\?`));
    const rule = rules().find((r) => r.name === `docker-on-azure-tcp-${port}`);
    assert.ok(rule, `a rule for ${port}: ${rules().map((r) => r.name)}`);
    assert.equal(rule.properties.destinationPortRange, String(port));
    assert.equal(rule.properties.access, 'Allow');
    assert.equal(rule.properties.sourceAddressPrefix, '*', 'the source the host already trusts for SSH and the daemon');
    assert.equal(rule.properties.priority, 1100, 'the first free priority above the host rules');
    assert.deepEqual(recorded.opened, [`http://127.0.0.1:${port}/`]);

    recorded.messages.length = 0;
    const before = rules().length;
    recorded.answers.push(undefined);
    await recorded.commands.get('dockerOnAzure.redeploy')!(Uri.file(path.join(dir, 'Dockerfile')));
    assert.deepEqual(
      recorded.messages.map((m) => m.level),
      ['info'],
      'a redeploy finds the port open and asks nothing about it',
    );
    assert.equal(rules().length, before);
  } finally {
    await dockerCli(['rm', '-f', name], tls).catch(() => undefined);
  }
});

test('a port opening ARM refuses leaves the deployed container running and says why', async () => {
  const loopback = await host('Contoso Prod', 'loopback-vm');
  const dir = fs.mkdtempSync(path.join(scratch, 'refused-'));
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${testEnv.baseImage}\nCMD sleep 3600\n`);
  const name = `nsg-refused-${Date.now().toString(36)}`;
  const tls = { host: '127.0.0.1', port: testEnv.tls.port, ca: testEnv.tls.ca, cert: testEnv.tls.cert, key: testEnv.tls.key };
  recorded.answers.push(
    (items: { label: string }[]) => items.find((i) => i.label === loopback.vm.name),
    `${name}:1`,
    name,
    `${19000 + Math.floor(Math.random() * 1000)}:80`,
    '',
    (items: { label: string }[]) => items[0],
    'Choose Source…',
    '203.0.113.0/24',
  );
  arm.faults.failNextOperation('SecurityRuleInvalidPortRange', 'Security rule has invalid Port range.');
  try {
    await recorded.commands.get('dockerOnAzure.deploy')!(Uri.file(path.join(dir, 'Dockerfile')));
    const warnings = recorded.messages.filter((m) => m.level === 'warning').map((m) => m.text);
    assert.equal(warnings.length, 2, `${warnings}`);
    assert.match(warnings[1], /Could not open the ports on loopback-vm: .*SecurityRuleInvalidPortRange/);
    assert.equal((await dockerCli(['inspect', '-f', '{{.State.Running}}', name], tls)).trim(), 'true', 'the deploy itself stands');
  } finally {
    await dockerCli(['rm', '-f', name], tls).catch(() => undefined);
  }
});

test("copy address, open in portal, SSH terminal and context export use the host's real address", async () => {
  const prod = await host('Contoso Prod', 'prod-docker');
  await recorded.commands.get('dockerOnAzure.azureHost.copyAddress')!(prod);
  assert.equal(recorded.clipboard, prod.vm.fqdn);
  await recorded.commands.get('dockerOnAzure.azureHost.openInPortal')!(prod);
  assert.equal(recorded.opened[0], `https://portal.azure.com/#@${prod.subscription.tenantId}/resource${prod.vm.id}`);
  const dev = await host('Contoso Development', 'dev-docker');
  await recorded.commands.get('dockerOnAzure.azureHost.openSsh')!(dev);
  const terminal = recorded.terminals.find((t) => t.name === 'SSH: dev-docker') as { shellPath?: string; shellArgs?: string[] } | undefined;
  assert.equal(terminal?.shellPath, 'ssh');
  // The extension's known_hosts here is not one ssh reads by default: the terminal is told to use it.
  assert.deepEqual(terminal?.shellArgs, ['-o', `UserKnownHostsFile=${path.join(scratch, 'known_hosts')}`, `azureuser@${dev.vm.fqdn}`]);
  fs.mkdirSync(path.join(scratch, '.ssh'), { recursive: true });
  fs.writeFileSync(path.join(scratch, '.ssh', 'config'), `Host ${dev.vm.fqdn}\n  UserKnownHostsFile ${path.join(scratch, 'known_hosts')}\n`);
  try {
    await recorded.commands.get('dockerOnAzure.azureHost.openSsh')!(dev);
    const again = recorded.terminals.at(-1) as { shellArgs?: string[] };
    assert.deepEqual(again.shellArgs, [`azureuser@${dev.vm.fqdn}`], 'once ~/.ssh/config names that file, nothing is added');
  } finally {
    fs.rmSync(path.join(scratch, '.ssh', 'config'));
  }
  const dockerConfig = path.join(scratch, 'docker-config');
  process.env.DOCKER_CONFIG = dockerConfig;
  recorded.answers.push('dev-docker-ctx');
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(dev);
  const contexts = await readDockerContexts(dockerConfig);
  assert.deepEqual(
    contexts.hosts.map((h) => [h.name, h.address]),
    [['dev-docker-ctx', `ssh://azureuser@${dev.vm.publicIp}`]],
  );
});

test("a provisioned TLS host's context carries the client certificates from SecretStorage", async () => {
  const prod = await host('Contoso Prod', 'prod-docker');
  const dockerConfig = path.join(scratch, 'docker-config-tls');
  process.env.DOCKER_CONFIG = dockerConfig;
  recorded.answers.push('prod-docker-ctx');
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(prod);
  assert.match(recorded.messages.at(-1)?.text ?? '', /client certificates of prod-docker are not on this machine/);
  assert.deepEqual((await readDockerContexts(dockerConfig)).hosts, [], 'no context that cannot connect');

  const [ca, cert, key] = [testEnv.tls.ca, testEnv.tls.cert, testEnv.tls.key].map((f) => fs.readFileSync(f, 'utf8'));
  await hostTls.set(prod.vm.id, { ca, cert, key, caKey: 'never exported' });
  recorded.answers.push('prod-docker-ctx');
  await recorded.commands.get('dockerOnAzure.azureHost.exportContext')!(prod);
  const [ctx] = (await readDockerContexts(dockerConfig)).hosts;
  assert.equal(ctx?.address, `tcp://${prod.vm.publicIp}:2376`);
  assert.deepEqual([ctx.tls?.ca, ctx.tls?.cert, ctx.tls?.key].map((f) => f && fs.readFileSync(f, 'utf8')), [ca, cert, key]);
  const tlsDir = path.dirname(ctx.tls!.key!);
  assert.ok(!fs.readdirSync(tlsDir).some((f) => fs.readFileSync(path.join(tlsDir, f), 'utf8').includes('never exported')), 'the CA key stays in SecretStorage');
  await hostTls.delete(prod.vm.id);
});

test('while an operation runs, the tree shows the transitional state', async () => {
  arm.faults.slowOperations(3);
  const idle = await host('Contoso Development', 'dev-idle');
  const states: string[] = [];
  const sub = view.provider.onDidChangeTreeData(() => {
    void hostsIn('Contoso Development').then((hosts) => states.push(hosts.find((h) => h.vm.name === 'dev-idle')?.vm.powerState ?? '?'));
  });
  await recorded.commands.get('dockerOnAzure.azureHost.start')!(idle);
  await new Promise((r) => setImmediate(r));
  sub.dispose();
  arm.faults.slowOperations(1);
  assert.ok(states.includes('starting'), `states seen: ${states}`);
  assert.equal((await host('Contoso Development', 'dev-idle')).vm.powerState, 'running');
});

test('delete removes exactly the VM and what was created with it, after the name is typed', async () => {
  const before = arm.inventory();
  const target = await host('Contoso Development', 'dev-docker');
  recorded.answers.push('wrong-name');
  await recorded.commands.get('dockerOnAzure.azureHost.delete')!(target);
  assert.deepEqual(arm.inventory(), before, 'a wrong name deletes nothing');
  recorded.answers.push('dev-docker');
  await recorded.commands.get('dockerOnAzure.azureHost.delete')!(target);
  const after = arm.inventory();
  const gone = before.filter((id) => !after.includes(id));
  assert.deepEqual(gone.map((id) => id.split('/').slice(-2)[0]).sort(), [
    'disks',
    'networkInterfaces',
    'networkSecurityGroups',
    'publicIPAddresses',
    'virtualMachines',
  ]);
  assert.ok(
    gone.every((id) => /\/dev-docker[-_]/i.test(id) || /\/dev-docker$/i.test(id)),
    `only dev-docker's resources: ${gone.join(', ')}`,
  );
  assert.ok(
    after.some((id) => /virtualMachines\/dev-idle$/i.test(id)),
    'the other VM in the group is untouched',
  );
  assert.ok(
    after.some((id) => /resourceGroups\/dev-rg$/i.test(id)),
    'the group stays: the extension did not create it for this host',
  );
  assert.deepEqual(
    (await hostsIn('Contoso Development')).map((h) => h.vm.name),
    ['dev-idle'],
  );
});

test('an expired sign-in shows a "sign in again" row, not an error; signing in again brings the hosts back', async () => {
  arm.faults.expireTokens();
  view.refreshAll();
  const roots = await view.provider.getChildren();
  const subsOrSignIn = roots.map(label);
  const again = roots.length === 1 && subsOrSignIn[0] === 'Sign in to Azure again…' ? roots : await view.provider.getChildren(roots[0]);
  assert.equal(label(again[0]), 'Sign in to Azure again…');
  assert.equal(again[0].getTreeItem().command?.command, 'dockerOnAzure.azure.signIn');
  assert.equal(recorded.messages.length, 0);
  await recorded.commands.get('dockerOnAzure.azure.signIn')!();
  assert.deepEqual((await subscriptionNodes()).map(label), ['Contoso Development', 'Contoso Prod']);
});
