/**
 * `npm start -- --check`: proves that what `npm start` opened works, then lets it stop. Opens the
 * workbench in Chromium as a person would, waits until VS Code reports the extension activated and
 * the Other Docker Hosts view has rendered rows from it, and says what it saw.
 */
import * as fs from 'fs';
import * as path from 'path';
import { findLogs, type CodeServerHandle } from '../test/support/codeServer';
import { launchChromium, Workbench } from '../test/support/workbench';

const EXTENSION_ID = 'docker-on-azure.docker-on-azure';
const OTHER_HOSTS = 'Other Docker Hosts';

export interface CheckReport {
  activation: string;
  rows: string[];
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

export async function checkWorkbench(server: CodeServerHandle, resultsDir: string): Promise<CheckReport> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const browser = await launchChromium();
  let wb: Workbench | undefined;
  try {
    wb = await Workbench.open(browser, server.url, resultsDir);
    await wb.openViewContainer('Docker on Azure');
    await wb.paneHeader(OTHER_HOSTS).waitFor({ timeout: 60_000 });
    const rowLocator = wb.pane(OTHER_HOSTS).locator('.monaco-list-row');
    const rows = await until(`the ${OTHER_HOSTS} view showed no rows`, 120_000, async () => {
      const texts = await rowLocator.evaluateAll((els) =>
        els.map((el) => {
          const part = (cls: string) => el.querySelector(cls)?.textContent?.trim() ?? '';
          return [part('.label-name'), part('.label-description')].filter(Boolean).join(' — ');
        }),
      );
      return texts.some(Boolean) ? texts.filter(Boolean) : undefined;
    });
    const activation = await until('VS Code did not report the extension activated', 60_000, async () => activationLine(server));
    return { activation, rows, screenshot: await wb.screenshot('other-docker-hosts') };
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
  ].join('\n');
}
