/**
 * `npm start -- --check`: proves that what `npm start` opened works, then lets it stop. Opens the
 * workbench in Chromium as a person would, waits until VS Code reports the extension activated and
 * the Other Docker Hosts view has rendered rows from it, and says what it saw. With the playground
 * it also expands a running demo host in Azure Docker Hosts and waits for one of its containers:
 * the row comes from that VM's dockerd, over SSH, with the keys the playground made.
 */
import * as fs from 'fs';
import * as path from 'path';
import { findLogs, type CodeServerHandle } from '../test/support/codeServer';
import type { Locator } from 'playwright-core';
import { launchChromium, Workbench } from '../test/support/workbench';

const EXTENSION_ID = 'docker-on-azure.docker-on-azure';
const OTHER_HOSTS = 'Other Docker Hosts';
const AZURE_HOSTS = 'Azure Docker Hosts';

/** A running demo Azure host and a container it must list. */
export interface AzureExpectation {
  host: string;
  container: string;
}

export interface CheckReport {
  activation: string;
  rows: string[];
  azure?: { host: string; rows: string[]; screenshot: string };
  screenshot: string;
}

/** The extension host's own record of activating the extension, once there is one. */
function activationLine(server: CodeServerHandle): string | undefined {
  for (const log of findLogs(server.logsDir, /exthost\.log$/)) {
    const line = fs
      .readFileSync(log, 'utf8')
      .split('\n')
      .find((l) => l.includes('_doActivateExtension') && l.includes(EXTENSION_ID));
    if (line) {
      return line.replace(/^.*?_doActivateExtension\s*/, '').trim();
    }
  }
  return undefined;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) {
      return value;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} within ${Math.round(timeoutMs / 1000)} s`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Each visible row as "label — description". */
function rowTexts(rows: Locator): Promise<string[]> {
  return rows.evaluateAll((els) =>
    els
      .map((el) => {
        const part = (cls: string) => el.querySelector(cls)?.textContent?.trim() ?? '';
        return [part('.label-name'), part('.label-description')].filter(Boolean).join(' — ');
      })
      .filter(Boolean),
  );
}

/** Expands the demo host's row and waits for the container's row below it; returns the view's rows then. */
async function checkAzureHost(wb: Workbench, expect: AzureExpectation): Promise<string[]> {
  const header = wb.paneHeader(AZURE_HOSTS);
  await header.waitFor({ timeout: 60_000 });
  if ((await header.getAttribute('aria-expanded')) === 'false') {
    await header.click();
  }
  const host = wb.row(AZURE_HOSTS, expect.host);
  await host.waitFor({ timeout: 120_000 }).catch(() => {
    throw new Error(`${AZURE_HOSTS} did not list ${expect.host}`);
  });
  await wb.expand(host);
  await wb
    .row(AZURE_HOSTS, expect.container)
    .waitFor({ timeout: 120_000 })
    .catch(async () => {
      throw new Error(
        `${expect.host} listed no container ${expect.container}: ${(await rowTexts(wb.pane(AZURE_HOSTS).locator('.monaco-list-row'))).join(' | ')}`,
      );
    });
  return rowTexts(wb.pane(AZURE_HOSTS).locator('.monaco-list-row'));
}

export async function checkWorkbench(server: CodeServerHandle, resultsDir: string, azure?: AzureExpectation): Promise<CheckReport> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const browser = await launchChromium();
  let wb: Workbench | undefined;
  try {
    wb = await Workbench.open(browser, server.url, resultsDir);
    await wb.openViewContainer('Docker on Azure');
    await wb.paneHeader(OTHER_HOSTS).waitFor({ timeout: 60_000 });
    const rowLocator = wb.pane(OTHER_HOSTS).locator('.monaco-list-row');
    const rows = await until(`the ${OTHER_HOSTS} view showed no rows`, 120_000, async () => {
      const texts = await rowTexts(rowLocator);
      return texts.length ? texts : undefined;
    });
    const activation = await until('VS Code did not report the extension activated', 60_000, async () => activationLine(server));
    const screenshot = await wb.screenshot('other-docker-hosts');
    if (!azure) {
      return { activation, rows, screenshot };
    }
    const azureRows = await checkAzureHost(wb, azure);
    return { activation, rows, screenshot, azure: { host: azure.host, rows: azureRows, screenshot: await wb.screenshot('azure-docker-hosts') } };
  } catch (err) {
    const shot = await wb?.screenshot('failed').catch(() => undefined);
    throw new Error(`${(err as Error).message}${shot ? ` (screenshot: ${shot}; code-server log: ${server.logFile})` : ''}`);
  } finally {
    await browser.close();
  }
}

export function describeReport(report: CheckReport, version: string): string {
  return [
    `Check passed: code-server ${version} opened the packaged extension.`,
    `  activated: ${report.activation}`,
    `  ${OTHER_HOSTS}: ${report.rows.join(' | ')}`,
    `  screenshot: ${path.relative(process.cwd(), report.screenshot)}`,
    ...(report.azure
      ? [
          `  ${AZURE_HOSTS}, ${report.azure.host} expanded: ${report.azure.rows.join(' | ')}`,
          `  screenshot: ${path.relative(process.cwd(), report.azure.screenshot)}`,
        ]
      : []),
  ].join('\n');
}
