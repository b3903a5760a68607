import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'path';
import { E2eSession } from '../support/e2eSession';
import type { Workbench } from '../support/workbench';
import { dockerCli, eventually, freePort, httpGet, loadTestEnvironment, uniqueName } from '../support/testEnv';

const testEnv = loadTestEnvironment();
const session = new E2eSession('e2e');
const step = session.step.bind(session);
const web = uniqueName('e2e-web');
const worker = uniqueName('e2e-worker');
const containers: string[] = [];
let wb: Workbench;

/** Compose names the project after the workspace folder. */
const COMPOSE_PROJECT = 'workspace';
const OTHER = 'Other Docker Hosts';

async function containerState(name: string): Promise<string> {
  return (await dockerCli(['inspect', '-f', '{{.State.Status}}', name])).trim();
}

before(async () => {
  const port = await freePort();
  containers.push(
    (
      await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', web, '-p', `127.0.0.1:${port}:80`, testEnv.baseImage, 'httpd', '-f', '-p', '80'])
    ).trim(),
    (await dockerCli(['run', '-d', '--stop-timeout', '1', '--name', worker, testEnv.baseImage, 'sleep', '3600'])).trim(),
  );
  await session.start({
    files: {
      'README.md': '# e2e workspace\n',
      'www/index.html': 'deployed through the explorer\n',
      Dockerfile: `FROM ${testEnv.baseImage}\nCOPY www /www\nEXPOSE 80\nCMD httpd -f -p 80 -h /www\n`,
      'compose.yaml': `services:\n  api:\n    image: ${testEnv.baseImage}\n    command: sleep 3600\n  cache:\n    image: ${testEnv.baseImage}\n    command: sleep 3600\n`,
    },
    // The local engine of this VS Code is the test daemon; no CLI contexts of the machine leak in.
    env: { DOCKER_HOST: `unix://${testEnv.unixSocket}`, DOCKER_CONFIG: path.join(session.scratch, 'docker-config') },
  });
  wb = session.wb;
});

after(async () => {
  await session.stop();
  containers.push(...(await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${COMPOSE_PROJECT}`])).split('\n').filter(Boolean));
  if (containers.length) {
    await dockerCli(['rm', '-f', ...containers]);
  }
});

test('the activity-bar icon opens both Docker on Azure views', () =>
  step('open-views', async () => {
    await wb.openViewContainer('Docker on Azure');
    await wb.paneHeader('Azure Docker Hosts').waitFor();
    await wb.paneHeader(OTHER).waitFor();
    // Signed out (VS Code's own sign-in needs the internet): the welcome content offers to sign in.
    await wb.pane('Azure Docker Hosts').getByText('Sign in to see the Docker hosts on Azure virtual machines').waitFor();
    await wb.pane('Azure Docker Hosts').locator('.monaco-button', { hasText: 'Sign In to Azure' }).waitFor();
    await wb.screenshot('views-open');
  }));

test('Other Docker Hosts lists the engine and its real containers', () =>
  step('list-containers', async () => {
    await wb.expand(wb.row(OTHER, 'Local engine'));
    await wb.row(OTHER, 'Containers').waitFor({ timeout: 60_000 });
    const webRow = wb.row(OTHER, web);
    await webRow.waitFor({ timeout: 60_000 });
    await wb.row(OTHER, worker).waitFor();
    assert.match(await webRow.innerText(), new RegExp(`${testEnv.baseImage}.*Up.*127\\.0\\.0\\.1:\\d+→80`));
    await wb.screenshot('containers-listed');
  }));

test('stop and start from the context menu change the real container, and the tree follows by itself', () =>
  step('stop-start', async () => {
    const row = wb.row(OTHER, worker);
    await wb.contextMenu(row, 'Stop Container');
    await eventually(async () => assert.equal(await containerState(worker), 'exited'), 60_000);
    await eventually(async () => assert.match(await wb.row(OTHER, worker).innerText(), /Exited/), 30_000);
    await wb.screenshot('worker-stopped');
    await wb.contextMenu(wb.row(OTHER, worker), 'Start Container');
    await eventually(async () => assert.equal(await containerState(worker), 'running'), 60_000);
    await eventually(async () => assert.match(await wb.row(OTHER, worker).innerText(), /Up /), 30_000);
    await wb.screenshot('worker-started');
  }));

test('Add Docker Host from the palette validates the address; the unreachable host shows its error node', () =>
  step('add-unreachable-host', async () => {
    const closedPort = await freePort();
    await wb.runCommand('Docker on Azure: Add Docker Host');
    await wb.quickInput().fill('tcp://no-port-here');
    await wb.page.locator('.quick-input-message', { hasText: 'add the port' }).waitFor({ timeout: 15_000 });
    await wb.screenshot('address-validated');
    await wb.answerInput(`tcp://127.0.0.1:${closedPort}`);
    await wb.pickQuickItem('No TLS');
    await wb.answerPrompt('Name shown in the tree', 'unreachable-e2e');
    const host = wb.row(OTHER, 'unreachable-e2e');
    await wb.expand(host);
    const error = wb.row(OTHER, /Connection refused by 127\.0\.0\.1/);
    await error.waitFor({ timeout: 60_000 });
    await wb.row(OTHER, web).waitFor();
    await wb.screenshot('unreachable-host');
  }));

test('right-click a Dockerfile in the explorer, deploy it to a host, and the new container shows in the tree', () =>
  step('deploy', async () => {
    const port = await freePort();
    await wb.page.keyboard.press('Control+Shift+E');
    const dockerfileRow = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^Dockerfile$/ }).first();
    await dockerfileRow.waitFor({ timeout: 30_000 });
    await wb.contextMenu(dockerfileRow, 'Deploy to Docker Host…');
    await wb.pickQuickItem('Local engine');
    await wb.answerPrompt('Image name and tag', 'e2e-deployed:1');
    await wb.answerPrompt('Container name', 'e2e-deployed');
    await wb.answerPrompt('Published ports', `${port}:80`);
    await wb.answerPrompt('Environment variables', '');
    await wb.page.locator('.quick-input-widget .quick-input-title', { hasText: 'Restart policy' }).waitFor({ timeout: 30_000 });
    await wb.pickQuickItem('unless-stopped');
    containers.push('e2e-deployed');
    await eventually(async () => assert.equal((await httpGet(`http://127.0.0.1:${port}/`)).body, 'deployed through the explorer\n'), 120_000);
    await wb.openViewContainer('Docker on Azure');
    await wb.row(OTHER, 'e2e-deployed').waitFor({ timeout: 60_000 });
    await wb.screenshot('deployed');
  }));

test('right-click a compose file, Compose Up on a host: the project shows with its services grouped; Compose Down removes it', () =>
  step('compose', async () => {
    await wb.page.keyboard.press('Control+Shift+E');
    const composeRow = wb.page.locator('.explorer-folders-view .monaco-list-row', { hasText: /^compose\.yaml$/ }).first();
    await composeRow.waitFor({ timeout: 30_000 });
    await wb.contextMenu(composeRow, 'Compose Up on Docker Host…');
    await wb.pickQuickItem('Local engine');
    await wb.openViewContainer('Docker on Azure');
    const project = wb.row(OTHER, COMPOSE_PROJECT);
    await project.waitFor({ timeout: 120_000 });
    await wb.row(OTHER, new RegExp(`^${COMPOSE_PROJECT}[_-]api[_-]1$`)).waitFor({ timeout: 60_000 });
    await wb.row(OTHER, new RegExp(`^${COMPOSE_PROJECT}[_-]cache[_-]1$`)).waitFor({ timeout: 60_000 });
    // Both services reported running: the row stops re-rendering under the pointer as events arrive.
    await project.filter({ hasText: '2 of 2 running' }).waitFor({ timeout: 60_000 });
    await wb.screenshot('compose-up');
    await wb.contextMenu(project, 'Compose Down');
    await wb.page.locator('.monaco-dialog-box .monaco-button', { hasText: /^Compose Down$/ }).click();
    await project.waitFor({ state: 'detached', timeout: 60_000 });
    assert.equal((await dockerCli(['ps', '-aq', '--filter', `label=com.docker.compose.project=${COMPOSE_PROJECT}`])).trim(), '');
    await wb.screenshot('compose-down');
  }));
