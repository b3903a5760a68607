/**
 * The comparison page in real Chromium, served the way a webview serves it (its assets from one
 * origin, the CSP in the page), driven by the real controller measuring the real test daemon.
 */
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import type { AddressInfo } from 'net';
import type { Browser, Page } from 'playwright-core';
import { CompareController, CompareHost } from '../../src/core/compare/compareController';
import { renderComparePage } from '../../src/core/compare/comparePage';
import { PROBE_LABEL } from '../../src/core/compare/hostReadings';
import type { ToPage } from '../../src/core/compare/protocol';
import { DockerHostSession, HostSnapshot } from '../../src/core/docker/hostSession';
import { launchChromium } from '../support/workbench';
import { dockerCli, eventually, freePort, loadTestEnvironment, uniqueName } from '../support/testEnv';
import { markdownText } from '../../src/core/markdown';
import { discoverSwarms } from '../../src/core/swarm/swarmDiscovery';

// Browser globals for the callbacks Playwright runs in the page (the tests compile without the DOM library).
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any, window: any, sessionStorage: any, getComputedStyle: any;
type HTMLElement = { dataset: Record<string, string | undefined> };
/* eslint-enable @typescript-eslint/no-explicit-any */

const repoRoot = path.resolve(__dirname, '..', '..', '..');
const results = path.join(repoRoot, '.test-results', 'compare-page');
const testEnv = loadTestEnvironment();
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'doa-compare-'));
const risky = uniqueName('compare-risky');

/** Every row of both source tables, as the documents name them. */
const SOURCE_ROWS = [
  'en:"Default" security support',
  'en:Memory on disk required',
  'en:Time taken to start up',
  'en:Portability',
  'en:Image Automation',
  'ko:프로세스 격리',
  'ko:디스크에 필요한 메모리',
  'ko:시작 소요 시간',
  'ko:컨테이너 자동화',
];

/** Colours as VS Code sets them on a webview's <html>, for three kinds of theme. */
const THEMES: Record<string, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: 'vscode-light',
    vars: {
      foreground: '#3b3b3b',
      'editor-background': '#ffffff',
      descriptionForeground: '#6f6f6f',
      'textLink-foreground': '#005fb8',
      'button-background': '#005fb8',
      'button-foreground': '#ffffff',
      'dropdown-background': '#ffffff',
      'dropdown-foreground': '#3b3b3b',
      'dropdown-border': '#cecece',
      'panel-border': '#e5e5e5',
      'editorWidget-background': '#f8f8f8',
      'textBlockQuote-background': '#f8f8f8',
      errorForeground: '#f85149',
      focusBorder: '#005fb8',
    },
  },
  dark: {
    bodyClass: 'vscode-dark',
    vars: {
      foreground: '#cccccc',
      'editor-background': '#1f1f1f',
      descriptionForeground: '#9d9d9d',
      'textLink-foreground': '#4daafc',
      'button-background': '#0078d4',
      'button-foreground': '#ffffff',
      'dropdown-background': '#313131',
      'dropdown-foreground': '#cccccc',
      'dropdown-border': '#3c3c3c',
      'panel-border': '#2b2b2b',
      'editorWidget-background': '#202020',
      'textBlockQuote-background': '#2b2b2b',
      errorForeground: '#f85149',
      focusBorder: '#0078d4',
    },
  },
  'high-contrast': {
    bodyClass: 'vscode-high-contrast',
    vars: {
      foreground: '#ffffff',
      'editor-background': '#000000',
      descriptionForeground: '#ffffff',
      'textLink-foreground': '#21a6ff',
      'button-background': '#000000',
      'button-foreground': '#ffffff',
      'button-border': '#6fc3df',
      'dropdown-background': '#000000',
      'dropdown-foreground': '#ffffff',
      'dropdown-border': '#6fc3df',
      'panel-border': '#6fc3df',
      contrastBorder: '#6fc3df',
      'editorWidget-background': '#0c141f',
      'textBlockQuote-background': '#000000',
      errorForeground: '#f48771',
      focusBorder: '#f38518',
    },
  },
};

let server: http.Server;
let origin: string;
let browser: Browser;
let page: Page;
let controller: CompareController;
const session = new DockerHostSession(
  { id: 'test-daemon', name: 'test daemon', source: 'added', address: `unix://${testEnv.unixSocket}` },
  { homeDir: scratch, knownHostsFile: testEnv.ssh.knownHostsFile, localUser: 'root', connectTimeoutMs: 5000 },
);
let closedPort: number;
let releaseFirstListing: () => void;
const firstListingHeld = new Promise<void>((resolve) => (releaseFirstListing = resolve));
const copied: string[] = [];
const outsideRequests: string[] = [];
const scaledOut: string[] = [];
let posting = Promise.resolve();

function hosts(): CompareHost[] {
  const unreachable = new DockerHostSession(
    { id: 'closed', name: 'closed port', source: 'added', address: `tcp://127.0.0.1:${closedPort}` },
    { homeDir: scratch, knownHostsFile: '/dev/null', localUser: 'root', connectTimeoutMs: 5000 },
  );
  return [
    {
      option: { key: 'test-daemon', label: 'test daemon', description: 'the real test dockerd' },
      // The first listing waits for the test, so the "measuring…" state can be seen.
      docker: { engine: () => session.connect().docker, snapshot: async (): Promise<HostSnapshot> => (await firstListingHeld, session.current()) },
    },
    {
      option: { key: 'closed', label: 'closed port', description: 'nothing listens here' },
      docker: { engine: () => unreachable.connect().docker, snapshot: () => unreachable.current() },
    },
  ];
}

const cell = (topic: string) => page.locator(`[data-figure="${topic}"]`);

async function applyTheme(name: string): Promise<void> {
  const theme = THEMES[name];
  // DevTools evaluation, as VS Code's own host script sets these: not subject to the page's CSP.
  await page.evaluate(({ bodyClass, vars }) => {
    document.body.className = bodyClass;
    for (const [k, v] of Object.entries(vars)) {
      document.documentElement.style.setProperty(`--vscode-${k}`, v);
    }
    document.documentElement.style.setProperty('--vscode-font-family', 'sans-serif');
    document.documentElement.style.setProperty('--vscode-font-size', '13px');
  }, theme);
}

before(async () => {
  fs.rmSync(results, { recursive: true, force: true });
  fs.mkdirSync(results, { recursive: true });
  closedPort = await freePort();
  // A container with everything the glance looks for, started by `docker run` so its timestamps count.
  await dockerCli([
    'run',
    '-d',
    '--name',
    risky,
    '--user',
    '0',
    '--cap-add',
    'NET_ADMIN',
    '-v',
    `${testEnv.unixSocket}:/var/run/docker.sock`,
    testEnv.baseImage,
    'sleep',
    '3600',
  ]);
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/page.html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        renderComparePage({
          cspSource: origin,
          nonce: 'n0nce4test',
          scriptUri: `${origin}/media/compare/compare.js`,
          styleUri: `${origin}/media/compare/compare.css`,
        }),
      );
      return;
    }
    const file = path.join(repoRoot, url.pathname);
    if (!url.pathname.startsWith('/media/compare/') || !fs.existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': file.endsWith('.js') ? 'text/javascript' : 'text/css' });
    res.end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.route('**/*', (route) => {
    if (route.request().url().startsWith(origin)) {
      return route.continue();
    }
    outsideRequests.push(route.request().url());
    return route.abort();
  });
  controller = new CompareController({
    hosts: async () => hosts(),
    // The real discovery, asking the real test daemon (in no swarm) what it is part of.
    swarms: async () => (await discoverSwarms([session])).length,
    scaleOut: async (action) => {
      scaledOut.push(action);
    },
    post: (message: ToPage) => {
      // In order, as a webview delivers them.
      posting = posting
        .then(() => page.evaluate((m) => window.postMessage(m, '*'), message as unknown as Record<string, unknown>))
        // A message that lands while the page reloads is lost, as it would be in a webview; later ones still go.
        .catch(() => undefined);
    },
    copy: async (markdown) => {
      copied.push(markdown);
    },
  });
  await page.exposeFunction('__toExtension', (message: unknown) => controller.receive(message));
  // What the webview host provides; the state survives reloads like VS Code's getState/setState.
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.acquireVsCodeApi = () => ({
      postMessage: (m: unknown) => (w.__toExtension as (m: unknown) => void)(m),
      getState: () => JSON.parse(sessionStorage.getItem('state') ?? 'null'),
      setState: (s: unknown) => sessionStorage.setItem('state', JSON.stringify(s)),
    });
  });
  await page.goto(`${origin}/page.html`);
});

after(async () => {
  await browser?.close();
  server?.close();
  session.dispose();
  await dockerCli(['rm', '-f', risky]).catch(() => undefined);
  fs.rmSync(scratch, { recursive: true, force: true });
});

test('the table is a real table covering every row of both source tables, with their nuance', async () => {
  const table = page.locator('table#comparison');
  assert.match(await table.locator('caption').innerText(), /Virtual machines and containers compared/);
  assert.equal(await table.locator('thead th[scope="col"]').count(), 4);
  const rows = table.locator('tbody tr');
  assert.equal(await table.locator('tbody th[scope="row"]').count(), await rows.count());
  const covered = (await rows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.sources ?? '')))
    .flatMap((s) => s.split('|'))
    .filter(Boolean);
  assert.deepEqual([...covered].sort(), [...SOURCE_ROWS].sort());
  const rowText = (key: string) => page.locator(`#row-${key}`).innerText();
  assert.match(await rowText('isolation'), /gets root inside a container may be able to take over the host/);
  assert.match(await rowText('disk'), /whole operating system/);
  assert.match(await rowText('startup'), /kernel is already running/);
  assert.match(await rowText('portability'), /properly prepared/);
  assert.match(await rowText('portability'), /CPU architecture/);
  assert.match(await rowText('automation'), /registry/);
  assert.match(await page.locator('#advice').innerText(), /AppArmor or SELinux/);
  assert.match(await page.locator('#advice').innerText(), /fewest kernel capabilities/i);
  assert.equal(await page.locator('.good-for ul').count(), 2);
});

test('live figures show "measuring…" first, then stream in from the real daemon', async () => {
  await cell('disk').locator('.measuring').waitFor();
  await page.screenshot({ path: path.join(results, '01-measuring.png'), fullPage: true });
  releaseFirstListing();
  await cell('disk').locator('.figure').waitFor({ timeout: 60_000 });
  assert.match(await cell('disk').innerText(), /median image \d/);
  assert.match(await cell('disk').innerText(), /Not an Azure VM|not an Azure VM/);
  await cell('startup').locator('.figure').waitFor({ timeout: 60_000 });
  assert.match(await cell('startup').innerText(), /^container start [\d.]+ m?s/);
  await cell('resources').locator('.figure').waitFor({ timeout: 60_000 });
  assert.match(await cell('resources').innerText(), /running container/);
  assert.match(await cell('portability').innerText(), /images here are for linux\//);
  assert.match(await cell('automation').innerText(), /docker\.io/);
  // Other suites' containers may share the daemon: at least the risky one counts.
  assert.match(await cell('isolation').innerText(), /\d+ runs? as root, .*with the Docker socket mounted/);
  assert.match(await page.locator('caption .host-label').innerText(), /test daemon/);
});

test('the security glance flags the risky container and links each risk to its advice', async () => {
  const row = page.locator('#glance-table tbody tr', { has: page.locator(`th:text-is("${risky}")`) });
  await row.waitFor({ timeout: 60_000 });
  const cells = await row.locator('td').allInnerTexts();
  // Newer engines report capabilities with their CAP_ prefix.
  assert.deepEqual(cells.slice(0, 4), ['yes', 'no', 'no', 'yes']);
  assert.match(cells[4], /^(CAP_)?NET_ADMIN$/);
  await page.locator('#glance-table thead a', { hasText: 'Added capabilities' }).click();
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'advice-fewCapabilities');
});

test('the throwaway start runs only when asked, fills the start-up figure and leaves nothing behind', async () => {
  assert.doesNotMatch(await cell('startup').innerText(), /throwaway/);
  const button = page.getByRole('button', { name: /Start a throwaway container from / });
  await button.waitFor({ timeout: 60_000 });
  assert.match(await page.locator('#probe-text').innerText(), /already on the host/);
  await button.click();
  await cell('startup')
    .getByText(/throwaway container from/)
    .waitFor({ timeout: 60_000 });
  assert.match(await cell('startup').innerText(), /^container start [\d.]+ m?s/);
  assert.equal((await dockerCli(['ps', '-aq', '--filter', `label=${PROBE_LABEL}`])).trim(), '');
});

test('Copy as Markdown sends the table with the live figures', async () => {
  await page.getByRole('button', { name: 'Copy as Markdown' }).click();
  await page.locator('#status', { hasText: 'Copied' }).waitFor();
  const md = copied.at(-1) ?? '';
  assert.match(md, /^\| Topic \| Virtual machines \| Containers \| Measured on test daemon \|/);
  assert.match(md, /\| Start-up time \|.*\| container start [\d.]+ m?s/);
  // Names a daemon reported are escaped so they render as text (see core/markdown.ts).
  assert.ok(md.includes(`| ${markdownText(risky)} | yes |`), md);
});

test('the page is keyboard reachable: host picker, copy, and the scrollable table', async () => {
  await page.locator('body').click({ position: { x: 1, y: 1 } });
  const reached: string[] = [];
  for (let i = 0; i < 6; i++) {
    await page.keyboard.press('Tab');
    reached.push(await page.evaluate(() => document.activeElement?.id || document.activeElement?.className || ''));
  }
  assert.deepEqual(reached.slice(0, 3), ['host', 'copy', 'table-wrap']);
});

test('the CSP blocks an injected inline script, and the page reached nothing outside its origin', async () => {
  const violation = await page.evaluate(
    () =>
      new Promise<string>((resolve) => {
        document.addEventListener('securitypolicyviolation', (e: { violatedDirective: string }) => resolve(e.violatedDirective), { once: true });
        const s = document.createElement('script');
        s.textContent = 'window.__injected = true';
        document.body.append(s);
      }),
  );
  assert.match(violation, /^script-src/);
  assert.equal(await page.evaluate(() => (window as unknown as { __injected?: boolean }).__injected), undefined);
  const csp = await page.locator('meta[http-equiv="Content-Security-Policy"]').getAttribute('content');
  assert.match(csp ?? '', /^default-src 'none'; /);
  assert.deepEqual(outsideRequests, []);
});

test('light, dark and high-contrast themes take their colours from --vscode-* variables', async () => {
  for (const name of Object.keys(THEMES)) {
    await applyTheme(name);
    const colours = await page.evaluate(() => ({ fg: getComputedStyle(document.body).color, bg: getComputedStyle(document.body).backgroundColor }));
    const expected = THEMES[name].vars;
    const rgb = (hex: string) => `rgb(${[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)).join(', ')})`;
    assert.deepEqual(colours, { fg: rgb(expected.foreground), bg: rgb(expected['editor-background']) });
    await page.screenshot({ path: path.join(results, `02-theme-${name}.png`), fullPage: true });
  }
  const css = fs.readFileSync(path.join(repoRoot, 'media', 'compare', 'compare.css'), 'utf8');
  assert.deepEqual(css.match(/#[0-9a-f]{3,8}\b|rgba?\(|hsla?\(/gi), null, 'no colour outside the theme variables');
});

test('a narrow panel stacks each row, still labelled', async () => {
  await applyTheme('dark');
  await page.setViewportSize({ width: 380, height: 900 });
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 380, `no sideways scrolling (${width}px)`);
  await page.screenshot({ path: path.join(results, '03-narrow.png'), fullPage: true });
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('another host is measured when picked, an unreachable one says why, and the choice survives a reload', async () => {
  await page.locator('#host').selectOption('closed');
  await cell('disk').locator('.unavailable').waitFor({ timeout: 60_000 });
  assert.match(await cell('disk').innerText(), /Not measured: .*127\.0\.0\.1/);
  // The glance is its own message and may arrive after the figures.
  await page.locator('#glance .unavailable').waitFor({ timeout: 60_000 });
  assert.match(await page.locator('#glance').innerText(), /Not measured: .*127\.0\.0\.1/);
  await page.reload();
  await page.locator('caption .host-label', { hasText: 'closed port' }).waitFor({ timeout: 60_000 });
  assert.equal(await page.locator('#host').inputValue(), 'closed');
  await page.screenshot({ path: path.join(results, '04-unreachable-host.png'), fullPage: true });
});

test('when one host is not enough: a live count of hosts and swarms, the overview\'s tools then and today, and buttons that ask the extension', async () => {
  await page.locator('#fleet', { hasText: 'You have 2 Docker hosts and no swarm.' }).waitFor({ timeout: 60_000 });
  const overview = fs.readFileSync(path.join(repoRoot, '..', 'shared', 'seeds', 'containers-and-vms-on-azure.en.md'), 'utf8').toLowerCase();
  const rows = await page.locator('#landscape tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({ text: (tr as unknown as { innerText: string }).innerText.toLowerCase(), historical: (tr as HTMLElement).dataset.historical === 'true' })),
  );
  for (const tool of ['mesos', 'dcos', 'deis', 'fleet', 'swarm', 'docker-machine', 'compose', 'puppet', 'chef', 'kubernetes']) {
    assert.ok(overview.includes(tool), `the overview names ${tool}`);
    assert.ok(rows.some((r) => r.text.includes(tool.replace('dcos', 'dc/os'))), `the landscape covers ${tool}`);
  }
  for (const gone of ['mesos', 'deis', 'fleet', 'docker-machine', 'azure container service']) {
    const row = rows.find((r) => r.text.includes(gone));
    assert.ok(row?.historical && /historical|retired|deprecated/.test(row.text), `${gone} is marked as of the past: ${row?.text}`);
  }
  assert.ok(rows.some((r) => r.text.includes('kubernetes') && !r.historical));
  await page.getByRole('button', { name: 'Create Swarm from Hosts…' }).click();
  await page.getByRole('button', { name: 'Show Swarms' }).click();
  await eventually(async () => assert.deepEqual(scaledOut, ['createSwarm', 'showSwarms']));
  await page.locator('#scale-out').screenshot({ path: path.join(results, '05-scale-out.png') });
});
