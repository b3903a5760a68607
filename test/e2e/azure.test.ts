import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { FrameLocator } from 'playwright-core';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { E2eSession } from '../support/e2eSession';
import { ARM_CA_DIR_VAR, dockerCli, eventually, httpGet } from '../support/testEnv';
import type { Workbench } from '../support/workbench';

const session = new E2eSession('e2e-azure');
const step = session.step.bind(session);
const AZURE = 'Azure Docker Hosts';
let arm: ArmEmulator;
let wb: Workbench;
let idleId: string;
const knownHostsFile = path.join(session.scratch, 'known_hosts');

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  const sub = arm.subscriptions[0].subscriptionId;
  const tags = { 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': 'ssh', 'dockerOnAzure:adminUser': 'azureuser' };
  arm.addVm({ subscriptionId: sub, resourceGroup: 'e2e-rg', name: 'e2e-host', tags, powerState: 'running' });
  idleId = arm.addVm({ subscriptionId: sub, resourceGroup: 'e2e-rg', name: 'e2e-idle', tags, powerState: 'deallocated' });
  // A new VM's Docker has no images and no network: the app is a static busybox serving a page.
  fs.copyFileSync('/bin/busybox', path.join(session.workspace, 'busybox'));
  await session.start({
    files: {
      Dockerfile: 'FROM scratch\nCOPY busybox /busybox\nCOPY www /www\nEXPOSE 80\nCMD ["/busybox", "httpd", "-f", "-p", "80", "-h", "/www"]\n',
      'www/index.html': 'deployed to a host provisioned over SSH\n',
    },
    settings: {
      'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
      'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
      'dockerOnAzure.azure.authorityHost': arm.url,
      'dockerOnAzure.localEngine.show': false,
      'dockerOnAzure.provision.daemonWaitMinutes': 2,
      // New key pairs and the new VMs' host keys must not land in this machine's real ~/.ssh.
      'dockerOnAzure.ssh.keyDirectory': path.join(session.scratch, 'ssh'),
      'dockerOnAzure.ssh.knownHostsFile': knownHostsFile,
    },
    // The runner already set NODE_EXTRA_CA_CERTS to the emulator's CA; code-server inherits it.
    env: {
      AZURE_TENANT_ID: arm.tenantId,
      AZURE_CLIENT_ID: arm.clientId,
      AZURE_CLIENT_SECRET: arm.clientSecret,
      DOCKER_CONFIG: path.join(session.scratch, 'docker'),
    },
  });
  wb = session.wb;
});

after(async () => {
  await session.stop();
  await arm?.stop();
});

test('the Azure view lists the Docker hosts of the emulator subscription', () =>
  step('azure-list', async () => {
    await wb.openViewContainer('Docker on Azure');
    await wb.row(AZURE, 'Contoso Development').waitFor({ timeout: 90_000 });
    await wb.row(AZURE, 'e2e-host').waitFor({ timeout: 60_000 });
    assert.match(await wb.row(AZURE, 'e2e-host').innerText(), /running/);
    assert.match(await wb.row(AZURE, 'e2e-idle').innerText(), /deallocated/);
    await wb.screenshot('azure-hosts');
  }));

test('start and stop from the context menu change the VM, and the tree shows each state', () =>
  step('azure-start-stop', async () => {
    await wb.contextMenu(wb.row(AZURE, 'e2e-idle'), 'Start Host VM');
    await eventually(async () => assert.equal(arm.powerState(idleId), 'running'), 60_000);
    await eventually(async () => assert.match(await wb.row(AZURE, 'e2e-idle').innerText(), /running/), 30_000);
    await wb.screenshot('azure-started');
    await wb.contextMenu(wb.row(AZURE, 'e2e-idle'), 'Stop (Deallocate) Host VM…');
    const confirm = wb.page.locator('.monaco-dialog-box .monaco-button', { hasText: 'Stop and Deallocate' });
    await confirm.waitFor({ timeout: 15_000 });
    await wb.screenshot('azure-stop-confirm');
    await confirm.click();
    await eventually(async () => assert.equal(arm.powerState(idleId), 'deallocated'), 60_000);
    await eventually(async () => assert.match(await wb.row(AZURE, 'e2e-idle').innerText(), /deallocated/), 30_000);
    await wb.screenshot('azure-stopped');
  }));

const atStep = (n: number) => wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `(${n}/9)` }).waitFor({ timeout: 30_000 });

test('the provisioning wizard goes back with Back, and Escape leaves before anything is created', () =>
  step('provision-back-escape', async () => {
    const before = arm.inventory();
    await wb.runCommand('Docker on Azure: Provision Docker Host');
    await atStep(1);
    await wb.page.keyboard.press('Enter');
    await atStep(2);
    await wb.page.locator('.quick-input-widget .codicon-quick-input-back, .quick-input-widget .codicon-arrow-left').first().click();
    await atStep(1);
    await wb.screenshot('provision-back');
    await wb.page.keyboard.press('Enter');
    await atStep(2);
    await wb.page.keyboard.press('Escape');
    await wb.quickInput().waitFor({ state: 'hidden', timeout: 15_000 });
    assert.deepEqual(arm.inventory(), before, 'nothing was created');
  }));

test('Provision Docker Host from the palette: defaults plus mutual TLS; progress, then the new host with its containers', () =>
  step('provision', async () => {
    await wb.runCommand('Docker on Azure: Provision Docker Host');
    // Host name, resource group, region, DNS label, size and image: the defaults. The emulator,
    // like Azure, has docker-host-1 taken in westeurope, so the proposed label has a suffix.
    for (let n = 1; n <= 6; n++) {
      await atStep(n);
      if (n === 4) {
        await wb.page
          .locator('.quick-input-widget', { hasText: /docker-host-1-[0-9a-f]{4}\.westeurope\.cloudapp\.azure\.com/ })
          .waitFor({ timeout: 30_000 });
        await wb.screenshot('provision-dns-step');
      }
      await wb.page.keyboard.press('Enter');
    }
    await atStep(7);
    await wb.screenshot('provision-access-step');
    await wb.pickQuickItem('Mutual TLS on port 2376');
    await atStep(8);
    await wb.page.keyboard.press('Enter');
    await atStep(9);
    await wb.answerInput('203.0.113.7');
    await wb.page.locator('.notifications-toasts', { hasText: 'Provisioning docker-host-1' }).waitFor({ timeout: 60_000 });
    await wb.screenshot('provision-progress');
    const host = wb.row(AZURE, 'docker-host-1');
    await host.waitFor({ timeout: 120_000 });
    await eventually(async () => assert.equal(arm.bootedHosts().length, 1), 60_000);
    await wb.expand(host);
    await wb.row(AZURE, 'Containers').waitFor({ timeout: 120_000 });
    await wb.row(AZURE, 'No containers').waitFor({ timeout: 60_000 });
    await wb.screenshot('provisioned-host');
    assert.ok(
      arm.inventory().some((id) => /resourceGroups\/docker-host-1-rg$/i.test(id)),
      'a new resource group by default',
    );
    const ip = arm.resource(
      `/subscriptions/${arm.subscriptions[0].subscriptionId}/resourceGroups/docker-host-1-rg/providers/Microsoft.Network/publicIPAddresses/docker-host-1-ip`,
    ) as {
      properties: { dnsSettings: { fqdn: string } };
    };
    assert.match(
      ip.properties.dnsSettings.fqdn,
      /^docker-host-1-[0-9a-f]{4}\.westeurope\.cloudapp\.azure\.com$/,
      'a free DNS label, not the taken plain name',
    );
  }));

const SSH_HOST = 'e2e-ssh';
const APP = 'e2e-ssh-web';
const APP_PORT = 8081;

test('Provision Docker Host with the defaults (SSH): the host key is known before the first connection, and the host expands', () =>
  step('provision-ssh', async () => {
    const bootedBefore = arm.bootedHosts().length;
    await wb.runCommand('Docker on Azure: Provision Docker Host');
    await atStep(1);
    await wb.answerInput(SSH_HOST);
    for (let n = 2; n <= 6; n++) {
      await atStep(n);
      await wb.page.keyboard.press('Enter');
    }
    await atStep(7);
    assert.equal(
      (await wb.page.locator('.quick-input-widget .monaco-list-row.focused .label-name').first().innerText()).trim(),
      'SSH',
      'SSH is the default access',
    );
    await wb.page.keyboard.press('Enter');
    await atStep(8);
    await wb.screenshot('provision-ssh-key-step');
    await wb.page.keyboard.press('Enter');
    await atStep(9);
    await wb.answerInput('203.0.113.7');
    await wb.page.locator('.notifications-toasts', { hasText: `Provisioning ${SSH_HOST}` }).waitFor({ timeout: 60_000 });
    await wb.screenshot('provision-ssh-progress');
    const ready = wb.page.locator('.notifications-toasts', { hasText: `${SSH_HOST} is ready: Docker answers at ssh://azureuser@` });
    await ready.waitFor({ timeout: 180_000 });
    await wb.screenshot('provision-ssh-ready');
    assert.ok(fs.existsSync(path.join(session.scratch, 'ssh', `${SSH_HOST}_ed25519`)), 'a new key pair by default, in the key folder');
    const booted = sshHost();
    assert.equal(arm.bootedHosts().length, bootedBefore + 1);
    const knownHosts = fs.readFileSync(knownHostsFile, 'utf8');
    assert.ok(knownHosts.includes(`${booted.address} ${booted.ssh!.hostKeyPublic}`), `known_hosts has the key the VM serves:\n${knownHosts}`);
    const realKnownHosts = path.join(os.homedir(), '.ssh', 'known_hosts');
    assert.ok(
      !fs.existsSync(realKnownHosts) || !fs.readFileSync(realKnownHosts, 'utf8').includes(booted.ssh!.hostKeyPublic),
      "the machine's own known_hosts is left alone",
    );

    const host = wb.row(AZURE, SSH_HOST);
    await host.waitFor({ timeout: 120_000 });
    await wb.expand(host);
    await eventually(async () => {
      const labels = await hostChildren(SSH_HOST);
      // Listed, not an error row: the connection went through the VM's sshd to its daemon.
      assert.deepEqual(labels, ['Containers', 'No containers', 'Images'], labels.join(' | '));
    }, 120_000);
    const rows = (await wb.rowsText(AZURE)).join('\n');
    assert.doesNotMatch(rows, /host key|fingerprint|Trust SSH/i, 'no trust prompt');
    assert.equal(
      await wb.page.locator('.notifications-toasts', { hasText: /host key is new|fingerprint/i }).count(),
      0,
      'no warning about the host key',
    );
    await wb.screenshot('provisioned-ssh-host');
  }));

test('right-click the Dockerfile, deploy it to the SSH host: the container runs on that VM and shows under its host', () =>
  step('deploy-ssh', async () => {
    await wb.page.keyboard.press('Control+Shift+E');
    const dockerfileRow = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^Dockerfile$/ }).first();
    await dockerfileRow.waitFor({ timeout: 30_000 });
    await wb.contextMenu(dockerfileRow, 'Deploy to Docker Host…');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Deploy to which Docker host?' }).waitFor({ timeout: 30_000 });
    await wb.screenshot('deploy-ssh-pick-host');
    await wb.pickQuickItem(SSH_HOST);
    await wb.answerPrompt('Image name and tag', `${APP}:1`);
    await wb.answerPrompt('Container name', APP);
    await wb.answerPrompt('Published ports', `${APP_PORT}:80`);
    await wb.answerPrompt('Environment variables', '');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Restart policy' }).waitFor({ timeout: 30_000 });
    await wb.pickQuickItem('unless-stopped');
    // The new VM's firewall admits only the source range given to the wizard: the deploy offers to open the port for it.
    const openPort = wb.page.locator('.notifications-toasts .monaco-button', { hasText: 'Open for 203.0.113.7' });
    await openPort.waitFor({ timeout: 180_000 });
    await wb.screenshot('deploy-ssh-open-port');
    await openPort.click();
    await wb.page.locator('.notifications-toasts', { hasText: `${APP} is running on ${SSH_HOST}.` }).waitFor({ timeout: 60_000 });
    const booted = sshHost();
    assert.equal(
      (await dockerCli(['inspect', '-f', '{{.State.Running}} {{.Config.Image}}', APP], booted.socketPath)).trim(),
      `true ${APP}:1`,
      'the container runs on the new VM',
    );
    assert.equal((await httpGet(`http://${booted.address}:${APP_PORT}/`)).body, 'deployed to a host provisioned over SSH\n');
    assert.ok(nsgAllows(APP_PORT, '203.0.113.7'), 'the port was opened for the source range only');
    await wb.openViewContainer('Docker on Azure');
    await eventually(async () => {
      const labels = await hostChildren(SSH_HOST);
      assert.ok(labels.includes(APP), labels.join(' | '));
    }, 60_000);
    assert.match(await wb.row(AZURE, APP).innerText(), new RegExp(`${APP}:1.*Up`, 's'));
    await wb.screenshot('deployed-ssh');
  }));

test("the SSH host's page, opened from its context menu, shows that host and the deployed container", () =>
  step('host-page-ssh', async () => {
    await wb.contextMenu(wb.row(AZURE, SSH_HOST), 'Compare VMs and Containers');
    const page = comparePage();
    await page.locator('caption .host-label', { hasText: new RegExp(`^${SSH_HOST}$`) }).waitFor({ timeout: 60_000 });
    assert.match(await page.locator('#host option:checked').innerText(), new RegExp(`^${SSH_HOST} — Azure VM .* running$`));
    await page.locator('#glance-table th[scope="row"]', { hasText: new RegExp(`^${APP}$`) }).waitFor({ timeout: 60_000 });
    assert.deepEqual(await page.locator('#glance-table th[scope="row"]').allInnerTexts(), [APP], 'the containers of this host, and only they');
    await wb.screenshot('host-page-ssh');
  }));

/** The VM booted in SSH mode for SSH_HOST (the TLS host has no sshd of its own). */
function sshHost() {
  const vmId = `/subscriptions/${arm.subscriptions[0].subscriptionId}/resourceGroups/${SSH_HOST}-rg/providers/Microsoft.Compute/virtualMachines/${SSH_HOST}`;
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === vmId.toLowerCase());
  assert.ok(booted?.ssh, `${SSH_HOST} booted in SSH mode: ${JSON.stringify(arm.bootedHosts().map((h) => h.vmId))}`);
  return booted;
}

/** Labels of the rows nested below a host's row, up to the next row at the host's level. */
async function hostChildren(hostLabel: string): Promise<string[]> {
  const rows = await wb
    .pane(AZURE)
    .locator('.monaco-list-row')
    .evaluateAll((els) =>
      els.map((e) => ({ level: Number(e.getAttribute('aria-level')), label: e.querySelector('.label-name')?.textContent ?? '' })),
    );
  const at = rows.findIndex((r) => r.label === hostLabel);
  assert.ok(at >= 0, `no row ${hostLabel}`);
  const below = rows.slice(at + 1);
  const end = below.findIndex((r) => r.level <= rows[at].level);
  return (end < 0 ? below : below.slice(0, end)).map((r) => r.label);
}

function nsgAllows(port: number, source: string): boolean {
  const nsgs = arm
    .inventory()
    .filter((id) => new RegExp(`/resourceGroups/${SSH_HOST}-rg/providers/Microsoft.Network/networkSecurityGroups/[^/]+$`, 'i').test(id));
  return nsgs.some((id) =>
    (
      (
        arm.resource(id) as {
          properties: { securityRules?: { properties: { destinationPortRange?: string; sourceAddressPrefix?: string; access: string } }[] };
        }
      ).properties.securityRules ?? []
    ).some(
      (r) => r.properties.access === 'Allow' && r.properties.destinationPortRange === String(port) && r.properties.sourceAddressPrefix === source,
    ),
  );
}

/** The page inside the webview's two iframes. */
function comparePage(): FrameLocator {
  return wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}
