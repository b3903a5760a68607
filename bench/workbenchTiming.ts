/**
 * Page load → first tree row, and VS Code's own activation figure, for our extension and for an
 * empty one, each in a fresh code-server profile and a fresh browser context (nothing cached).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import { CodeServerInstall, ensureCodeServer, startCodeServer } from '../test/support/codeServer';
import { launchChromium, Workbench } from '../test/support/workbench';
import { BASE_IMAGE, DockerdHandle, importBusybox, startDockerd } from '../test/support/engines';
import { EMPTY_EXTENSION, packageEmptyExtension } from './emptyExtension';
import { median } from './median';

const root = path.resolve(__dirname, '..', '..');

/** What to open and which rows to wait for, as a person would see them. */
interface ViewTarget {
  extensionName: string;
  /** publisher.name, shown instead of the display name until VS Code has read the extension list. */
  extensionId: string;
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
  /** Page load → the extension's activity-bar icon: the workbench itself, before either extension runs. */
  iconMs: number;
  /** Page load → the target row (ours: first container row; empty: its one item). */
  targetRowMs: number;
  /** Page load → the view's first row of any kind (ours: "Local engine"). */
  firstRowMs: number;
  /** Icon click → the target row: the same, minus the workbench's own (noisy) load. */
  iconToTargetRowMs: number;
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
  observer.observe(document, { childList: true, subtree: true, characterData: true, attributeFilter: ['aria-label', 'aria-expanded'] });
})();`;
}

async function waitForMarks(page: Page): Promise<PageMarks> {
  const handle = await page.waitForFunction('window.__benchMarks && window.__benchMarks.targetRowAt', undefined, { timeout: 180_000 });
  await handle.dispose();
  return (await page.evaluate('window.__benchMarks')) as PageMarks;
}

/**
 * Reads "Activation: N ms" from the Running Extensions editor. Its list holds every activated
 * extension, slowest first, and renders only the rows in view, so a quick one may need scrolling.
 */
async function readActivation(wb: Workbench, extension: ViewTarget): Promise<number> {
  await wb.runCommand('Developer: Show Running Extensions');
  const list = wb.page.locator('.runtime-extensions-editor .monaco-list').first();
  await list.waitFor({ timeout: 60_000 });
  // The name is the display name once the local extension list is read, else the identifier.
  const name = wb.page.locator('.name', {
    hasText: new RegExp(`^(${escapeRegExp(extension.extensionName)}|${escapeRegExp(extension.extensionId)})$`, 'i'),
  });
  const time = list.locator('.monaco-list-row', { has: name }).locator('.activation-time').first();
  for (let i = 0; i < 600; i++) {
    if ((await time.count()) === 0) {
      await list.hover();
      await wb.page.mouse.wheel(0, 200);
    } else {
      // "Activating..." until activate() has returned.
      const m = /(\d+)ms/.exec(await time.innerText());
      if (m) {
        return Number(m[1]);
      }
    }
    await wb.page.waitForTimeout(100);
  }
  throw new Error(`no activation time for ${extension.extensionName} in Running Extensions`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
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
      try {
        const marks = await waitForMarks(page);
        const activationMs = await readActivation(new Workbench(page, path.join(dir, 'shots')), target);
        return { ...marks, activationMs };
      } catch (err) {
        const shot = path.join(root, 'bench-results', `workbench-${name}-failed.png`);
        await page.screenshot({ path: shot }).catch(() => undefined);
        throw new Error(`workbench bench, ${name}: ${err}\nscreenshot: ${shot}; code-server log: ${server.logFile}`);
      }
    } finally {
      await context.close();
    }
  } finally {
    await server.stop();
  }
}

function summarize(samples: WorkbenchSample[]): WorkbenchSide {
  return {
    iconMs: median(samples.map((s) => s.iconAt)),
    targetRowMs: median(samples.map((s) => s.targetRowAt)),
    firstRowMs: median(samples.map((s) => s.firstRowAt)),
    iconToTargetRowMs: median(samples.map((s) => s.targetRowAt - s.iconAt)),
    activationMs: median(samples.map((s) => s.activationMs)),
    samples,
  };
}

type Side = 'ours' | 'empty';

function viewTargets(containerNames: string[]): Record<Side, ViewTarget> {
  return {
    ours: {
      extensionName: 'Docker on Azure',
      extensionId: 'docker-on-azure.docker-on-azure',
      containerTitle: 'Docker on Azure',
      viewTitle: 'Other Docker Hosts',
      expandLabel: 'Local engine',
      targetLabels: containerNames,
    },
    empty: {
      extensionName: EMPTY_EXTENSION.displayName,
      extensionId: EMPTY_EXTENSION.id,
      containerTitle: EMPTY_EXTENSION.containerTitle,
      viewTitle: EMPTY_EXTENSION.viewTitle,
      targetLabels: [EMPTY_EXTENSION.itemLabel],
    },
  };
}

/**
 * After one warm-up, each round starts two fresh code-server profiles (both extensions installed
 * in each), one measuring ours and one the empty extension, in alternating order so that neither
 * always goes first. Only the measured extension's view is opened, so only it activates.
 */
async function collectSamples(ctx: SampleContext, targets: Record<Side, ViewTarget>, runs: number): Promise<Record<Side, WorkbenchSample[]>> {
  // Discarded: the first code-server and page of the process pay for cold disk caches, and would
  // otherwise always land on whichever side goes first.
  await sampleOnce(ctx, targets.empty, 'warm-up');
  const samples: Record<Side, WorkbenchSample[]> = { ours: [], empty: [] };
  for (let i = 0; i < runs; i++) {
    const order: Side[] = i % 2 === 0 ? ['ours', 'empty'] : ['empty', 'ours'];
    for (const which of order) {
      samples[which].push(await sampleOnce(ctx, targets[which], `${which}-${i}`));
    }
  }
  return samples;
}

/** Starts `count` running containers (a long sleep) for the view to list; returns their names. */
async function startIdleContainers(socketPath: string, count: number): Promise<string[]> {
  const { Dockerode } = await import('../src/core/docker/vendor');
  const docker = new Dockerode({ socketPath });
  const names = Array.from({ length: count }, (_, i) => `bench-ui-${i}`);
  for (const name of names) {
    const c = await docker.createContainer({ Image: BASE_IMAGE, Cmd: ['sleep', '3600'], name, HostConfig: { NetworkMode: 'none' } });
    await c.start();
  }
  return names;
}

/**
 * The whole workbench benchmark on a dockerd of its own, so the view lists exactly `containers`
 * running containers and nothing left by the other benchmarks.
 */
export async function measureWorkbench(runs = 3, containers = 5): Promise<WorkbenchTimingResult> {
  const install = ensureCodeServer();
  const scratch = fs.mkdtempSync('/tmp/doa-bench-wb-');
  let daemon: DockerdHandle | undefined;
  let browser: Browser | undefined;
  try {
    daemon = await startDockerd({ dir: path.join(scratch, 'engine') });
    await importBusybox(daemon.socketPath);
    const names = await startIdleContainers(daemon.socketPath, containers);
    const dockerConfig = path.join(scratch, 'docker-config');
    fs.mkdirSync(dockerConfig);
    const emptyVsix = await packageEmptyExtension(path.join(scratch, 'empty-extension'));
    browser = await launchChromium();
    const ctx: SampleContext = {
      browser,
      install,
      vsixPaths: [path.join(root, 'docker-on-azure.vsix'), emptyVsix],
      // The local engine is the bench daemon; no CLI contexts of the machine leak in.
      env: { DOCKER_HOST: `unix://${daemon.socketPath}`, DOCKER_CONFIG: dockerConfig },
      scratch,
    };
    const samples = await collectSamples(ctx, viewTargets(names), runs);
    return { codeServerVersion: install.version, runs, containers, ours: summarize(samples.ours), empty: summarize(samples.empty) };
  } finally {
    await browser?.close();
    await daemon?.stop();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
