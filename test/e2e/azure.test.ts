import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { E2eSession } from '../support/e2eSession';
import { ARM_CA_DIR_VAR, eventually } from '../support/testEnv';
import type { Workbench } from '../support/workbench';

const session = new E2eSession('e2e-azure');
const step = session.step.bind(session);
const AZURE = 'Azure Docker Hosts';
let arm: ArmEmulator;
let wb: Workbench;
let idleId: string;

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  const sub = arm.subscriptions[0].subscriptionId;
  const tags = { 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': 'ssh', 'dockerOnAzure:adminUser': 'azureuser' };
  arm.addVm({ subscriptionId: sub, resourceGroup: 'e2e-rg', name: 'e2e-host', tags, powerState: 'running' });
  idleId = arm.addVm({ subscriptionId: sub, resourceGroup: 'e2e-rg', name: 'e2e-idle', tags, powerState: 'deallocated' });
  await session.start({
    settings: {
      'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
      'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
      'dockerOnAzure.azure.authorityHost': arm.url,
      'dockerOnAzure.localEngine.show': false,
      'dockerOnAzure.provision.daemonWaitMinutes': 2,
      // A new key pair must not land in this machine's real ~/.ssh.
      'dockerOnAzure.ssh.keyDirectory': path.join(session.scratch, 'ssh'),
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
