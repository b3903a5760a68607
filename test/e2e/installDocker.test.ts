/**
 * Install Docker on VM… in code-server (issue 16): an ordinary VM, not a Docker host, is a row under
 * its subscription's "Other VMs"; the user right-clicks it, chooses Install Docker on VM…, and picks
 * only how to reach Docker and the key (not the VM) in the workbench's quick picks; the emulator runs
 * the product's script in that VM's root, and the VM then shows as a host whose containers, reached
 * over SSH, appear when it is expanded.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { ArmEmulator, startArmEmulator } from '../support/armEmulator';
import { importBusybox, BASE_IMAGE } from '../support/busyboxImage';
import { E2eSession } from '../support/e2eSession';
import { ARM_CA_DIR_VAR, dockerCli } from '../support/testEnv';
import type { Workbench } from '../support/workbench';

const session = new E2eSession('e2e-install-docker');
const step = session.step.bind(session);
const AZURE = 'Azure Docker Hosts';
const VM = 'e2e-plain-vm';
const CONTAINER = 'on-the-plain-vm';
let arm: ArmEmulator;
let wb: Workbench;
let vmId: string;

before(async () => {
  arm = await startArmEmulator({ dir: process.env[ARM_CA_DIR_VAR], bootDockerHosts: true });
  vmId = arm.addVm({ subscriptionId: arm.subscriptions[0].subscriptionId, resourceGroup: 'e2e-install-rg', name: VM });
  await session.start({
    settings: {
      'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
      'dockerOnAzure.azure.resourceManagerEndpoint': arm.url,
      'dockerOnAzure.azure.authorityHost': arm.url,
      'dockerOnAzure.localEngine.show': false,
      'dockerOnAzure.install.pollIntervalSeconds': 0.5,
      'dockerOnAzure.ssh.keyDirectory': path.join(session.scratch, 'ssh'),
      'dockerOnAzure.ssh.knownHostsFile': path.join(session.scratch, 'known_hosts'),
    },
    env: {
      AZURE_TENANT_ID: arm.tenantId,
      AZURE_CLIENT_ID: arm.clientId,
      AZURE_CLIENT_SECRET: arm.clientSecret,
    },
  });
  wb = session.wb;
});

after(async () => {
  await session.stop();
  await arm?.stop();
});

test("right-click an ordinary VM's row under Other VMs → Install Docker on VM…, then it shows as a host and expands to its containers", () =>
  step('install-docker', async () => {
    await wb.openViewContainer('Docker on Azure');
    const subscription = wb.row(AZURE, 'Contoso Development');
    await subscription.waitFor({ timeout: 90_000 });
    await wb.row(AZURE, /^No Docker hosts here yet/).waitFor({ timeout: 60_000 });
    const others = wb.row(AZURE, 'Other VMs');
    await others.waitFor({ timeout: 60_000 });
    assert.equal(await others.getAttribute('aria-expanded'), 'false', 'the group starts collapsed');
    await wb.expand(others);
    const plain = wb.row(AZURE, VM);
    await plain.waitFor({ timeout: 30_000 });
    assert.match(await plain.innerText(), /running · not a Docker host/);
    await wb.screenshot('install-other-vms');
    await wb.contextMenu(plain, 'Install Docker on VM…');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `Reach Docker on ${VM} over` }).waitFor({ timeout: 30_000 });
    await wb.pickQuickItem('SSH');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: `Sign in to ${VM} over SSH with` }).waitFor({ timeout: 30_000 });
    await wb.pickQuickItem('A new key pair for this VM');
    await wb.page.locator('.notifications-toasts', { hasText: `Docker is ready on ${VM}` }).waitFor({ timeout: 300_000 });
    await wb.screenshot('install-ready');

    await arm.dockerHostsSettled();
    const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === vmId.toLowerCase());
    assert.ok(booted?.ssh, `the VM serves Docker over SSH: ${JSON.stringify(arm.bootFailures())}`);
    await importBusybox(booted.socketPath);
    await dockerCli(['create', '--name', CONTAINER, BASE_IMAGE, 'sleep', '60'], booted.socketPath);

    // The same name, now a host's row: no longer "not a Docker host", and expandable.
    const host = wb.pane(AZURE).locator('.monaco-list-row[aria-expanded]', {
      has: wb.page.locator('.label-name', { hasText: new RegExp(`^${VM}$`) }),
      hasNotText: 'not a Docker host',
    });
    await host.waitFor({ timeout: 60_000 });
    assert.equal(await wb.row(AZURE, 'Other VMs').count(), 0, 'with its only VM a host, the group is gone');
    await wb.expand(host);
    await wb.row(AZURE, 'Containers').waitFor({ timeout: 120_000 });
    await wb.row(AZURE, CONTAINER).waitFor({ timeout: 60_000 });
    await wb.screenshot('install-containers');
  }));
