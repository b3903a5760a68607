/**
 * Page load → first tree row, and VS Code's own activation figure, for our extension and for an
 * empty one, each in a fresh code-server profile and a fresh browser context (nothing cached).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { CodeServerInstall, ensureCodeServer, startCodeServer } from '../test/support/codeServer';
import { launchChromium, Workbench } from '../test/support/workbench';
import { BASE_IMAGE } from '../test/support/engines';
import { EMPTY_EXTENSION, packageEmptyExtension } from './emptyExtension';

const root = path.resolve(__dirname, '..', '..');

/** What to open and which rows to wait for, as a person would see them. */
interface ViewTarget {
  extensionName: string;
  containerTitle: string;
  viewTitle: string;
  /** A collapsed row to expand as soon as it appears (ours starts with its hosts collapsed). */
  expandLabel?: string;
  /** Any of these rows appearing ends the measurement. */
  targetLabels: string[];
}

/** Milliseconds since the workbench page's navigation start, as the page itself measured them. */
interface PageMarks {
  iconAt: number;
  firstRowAt: number;
  expandClickedAt?: number;
  targetRowAt: number;
}

export interface WorkbenchSample extends PageMarks {
  /** "Developer: Show Running Extensions": code loading + activate() call, whole ms. */
  activationMs: number;
}

export interface WorkbenchSide {
  /** Page load → the target row (ours: first container row; empty: its one item). */
  targetRowMs: number;
  /** Page load → the view's first row of any kind (ours: "Local engine"). */
  firstRowMs: number;
  activationMs: number;
  samples: WorkbenchSample[];
}

export interface WorkbenchTimingResult {
  codeServerVersion: string;
  runs: number;
  containers: number;
  ours: WorkbenchSide;
  empty: WorkbenchSide;
}

/**
 * Runs in the page before the workbench loads. A MutationObserver sees each row the moment it is
 * added, and the clicks happen in the same callback, so no automation round trip is counted.
 */
function watcherScript(target: ViewTarget): string {
  return `(() => {
  if (window !== window.top) return;
  const t = ${JSON.stringify(target)};
  const marks = (window.__benchMarks = {});
  const labelOf = (row) => row.querySelector('.label-name')?.textContent?.trim();
  const pane = () => [...document.querySelectorAll('.pane')].find((p) => p.querySelector('.pane-header')?.textContent?.includes(t.viewTitle));
  const check = () => {
    if (marks.iconAt === undefined) {
      const icon = document.querySelector('.activitybar [aria-label^="' + t.containerTitle + '"]');
      if (!icon) return;
      marks.iconAt = performance.now();
      icon.click();
    }
    const rows = [...(pane()?.querySelectorAll('.monaco-list-row') ?? [])];
    if (rows.length === 0) return;
    marks.firstRowAt ??= performance.now();
    const toExpand = t.expandLabel && rows.find((r) => labelOf(r) === t.expandLabel && r.getAttribute('aria-expanded') === 'false');
    if (toExpand && marks.expandClickedAt === undefined) {
      marks.expandClickedAt = performance.now();
      toExpand.click();
    }
    if (rows.some((r) => t.targetLabels.includes(labelOf(r)))) {
      marks.targetRowAt = performance.now();
      observer.disconnect();
    }
  };
  const observer = new MutationObserver(check);
  observer.observe(document, { childList: true, subtree: true, characterData: true, attributes: true });
})();`;
}

async function waitForMarks(page: Page): Promise<PageMarks> {
  const handle = await page.waitForFunction('window.__benchMarks && window.__benchMarks.targetRowAt', undefined, { timeout: 180_000 });
  await handle.dispose();
  return (await page.evaluate('window.__benchMarks')) as PageMarks;
}

/** Reads "Activation: N ms" from the Running Extensions editor's row for `extensionName`. */
async function readActivation(wb: Workbench, extensionName: string): Promise<number> {
  await wb.runCommand('Developer: Show Running Extensions');
  const name = wb.page.locator('.name', { hasText: new RegExp(`^${extensionName}$`) });
  const time = wb.page.locator('.monaco-list-row', { has: name }).locator('.activation-time').first();
  await time.waitFor({ timeout: 60_000 });
  for (let i = 0; i < 300; i++) {
    const m = /(\d+)ms/.exec(await time.innerText());
    if (m) {
      return Number(m[1]);
    }
    await wb.page.waitForTimeout(100);
  }
  throw new Error(`no activation time for ${extensionName}: "${await time.innerText()}"`);
}

interface SampleContext {
  browser: Browser;
  install: CodeServerInstall;
  vsixPaths: string[];
  env: NodeJS.ProcessEnv;
  scratch: string;
}

async function sampleOnce(ctx: SampleContext, target: ViewTarget, name: string): Promise<WorkbenchSample> {
  const dir = path.join(ctx.scratch, name);
  const workspace = path.join(dir, 'workspace');
  fs.mkdirSync(workspace, { recursive: true });
  const server = await startCodeServer({ install: ctx.install, dir, workspace, vsixPaths: ctx.vsixPaths, env: ctx.env });
  try {
    const context = await ctx.browser.newContext({ viewport: { width: 1400, height: 900 } });
    try {
      const page = await context.newPage();
      await page.addInitScript(watcherScript(target));
      await page.goto(server.url);
      const marks = await waitForMarks(page).catch(async (err) => {
        await page.screenshot({ path: path.join(root, 'bench-results', `workbench-${name}-failed.png`) }).catch(() => undefined);
        throw new Error(`${name}: ${err}; code-server log: ${server.logFile}`);
      });
      const activationMs = await readActivation(new Workbench(page, path.join(dir, 'shots')), target.extensionName);
      return { ...marks, activationMs };
    } finally {
      await context.close();
    }
  } finally {
    await server.stop();
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function summarize(samples: WorkbenchSample[]): WorkbenchSide {
  return {
    targetRowMs: median(samples.map((s) => s.targetRowAt)),
    firstRowMs: median(samples.map((s) => s.firstRowAt)),
    activationMs: median(samples.map((s) => s.activationMs)),
    samples,
  };
}

/**
 * `runs` rounds; each starts two fresh code-server profiles (both extensions installed in each),
 * one measuring ours and one the empty extension, in alternating order so neither always goes
 * first. Only the measured extension's view is opened, so only it activates.
 */
export async function measureWorkbench(dockerSocket: string, containerNames: string[], scratch: string, runs = 3): Promise<WorkbenchTimingResult> {
  const install = ensureCodeServer();
  const dockerConfig = path.join(scratch, 'docker-config');
  fs.mkdirSync(dockerConfig, { recursive: true });
  const ours: ViewTarget = {
    extensionName: 'Docker on Azure',
    containerTitle: 'Docker on Azure',
    viewTitle: 'Other Docker Hosts',
    expandLabel: 'Local engine',
    targetLabels: containerNames,
  };
  const empty: ViewTarget = {
    extensionName: EMPTY_EXTENSION.displayName,
    containerTitle: EMPTY_EXTENSION.containerTitle,
    viewTitle: EMPTY_EXTENSION.viewTitle,
    targetLabels: [EMPTY_EXTENSION.itemLabel],
  };
  const browser = await launchChromium();
  try {
    const ctx: SampleContext = {
      browser,
      install,
      vsixPaths: [path.join(root, 'docker-on-azure.vsix'), await packageEmptyExtension(path.join(scratch, 'empty-extension'))],
      // The local engine is the bench daemon; no CLI contexts of the machine leak in.
      env: { DOCKER_HOST: `unix://${dockerSocket}`, DOCKER_CONFIG: dockerConfig },
      scratch,
    };
    const oursSamples: WorkbenchSample[] = [];
    const emptySamples: WorkbenchSample[] = [];
    for (let i = 0; i < runs; i++) {
      const order = i % 2 === 0 ? (['ours', 'empty'] as const) : (['empty', 'ours'] as const);
      for (const which of order) {
        const sample = await sampleOnce(ctx, which === 'ours' ? ours : empty, `${which}-${i}`);
        (which === 'ours' ? oursSamples : emptySamples).push(sample);
      }
    }
    return { codeServerVersion: install.version, runs, containers: containerNames.length, ours: summarize(oursSamples), empty: summarize(emptySamples) };
  } finally {
    await browser.close();
  }
}

/** Creates `count` running containers (a long sleep) for the view to list. */
export async function startIdleContainers(socketPath: string, count: number): Promise<string[]> {
  const { Dockerode } = await import('../src/core/docker/vendor');
  const docker = new Dockerode({ socketPath });
  const names = Array.from({ length: count }, (_, i) => `bench-ui-${i}`);
  for (const name of names) {
    const c = await docker.createContainer({ Image: BASE_IMAGE, Cmd: ['sleep', '3600'], name, HostConfig: { NetworkMode: 'none' } });
    await c.start();
  }
  return names;
}
