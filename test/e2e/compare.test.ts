/** The packaged extension's comparison panel in code-server: opened from the palette and from a host's menu. */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import type { FrameLocator } from 'playwright-core';
import { E2eSession } from '../support/e2eSession';
import type { Workbench } from '../support/workbench';
import { dockerCli, loadTestEnvironment, uniqueName } from '../support/testEnv';

const testEnv = loadTestEnvironment();
const session = new E2eSession('e2e-compare');
const step = session.step.bind(session);
const worker = uniqueName('e2e-compare');
const TITLE = 'Compare VMs and Containers';
const OTHER = 'Other Docker Hosts';
let wb: Workbench;

/** The page inside the webview's two iframes. */
function comparePage(): FrameLocator {
  return wb.page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
}

const panelTabs = () => wb.page.locator('.tabs-container .tab', { hasText: TITLE });

before(async () => {
  await dockerCli(['run', '-d', '--name', worker, testEnv.baseImage, 'sleep', '3600']);
  await session.start({ env: { DOCKER_HOST: `unix://${testEnv.unixSocket}`, DOCKER_CONFIG: path.join(session.scratch, 'docker-config') } });
  wb = session.wb;
});

after(async () => {
  await session.stop();
  await dockerCli(['rm', '-f', worker]).catch(() => undefined);
});

test('the palette opens the comparison, measuring the local engine', () =>
  step('open-from-palette', async () => {
    // The palette lists the extension's commands once its views have come up.
    await wb.openViewContainer('Docker on Azure');
    await wb.paneHeader(OTHER).waitFor();
    await wb.runCommand(`Docker on Azure: ${TITLE}`);
    await panelTabs().first().waitFor({ timeout: 60_000 });
    const page = comparePage();
    await page.locator('table#comparison caption').waitFor({ timeout: 60_000 });
    assert.equal(await page.locator('table#comparison tbody tr').count(), 6);
    await page.locator('caption .host-label', { hasText: 'Local engine' }).waitFor({ timeout: 60_000 });
    await page.locator('[data-figure="disk"] .figure').waitFor({ timeout: 60_000 });
    assert.match(await page.locator('[data-figure="disk"]').innerText(), /median image/);
    await page.locator('#glance-table th', { hasText: worker }).waitFor({ timeout: 60_000 });
    await wb.screenshot('compare-from-palette');
  }));

test("a host's context menu reveals the same panel instead of opening a second one", () =>
  step('open-from-host-menu', async () => {
    await wb.openViewContainer('Docker on Azure');
    // Both views offer it in their title bars.
    assert.equal(await wb.page.locator(`.pane-header .action-label[aria-label="${TITLE}"]`).count(), 2);
    const host = wb.row(OTHER, 'Local engine');
    await host.waitFor({ timeout: 60_000 });
    await wb.contextMenu(host, TITLE);
    await comparePage().locator('[data-figure="startup"] .figure, [data-figure="startup"] .unavailable').first().waitFor({ timeout: 60_000 });
    assert.equal(await panelTabs().count(), 1);
    await wb.screenshot('compare-from-host-menu');
  }));
