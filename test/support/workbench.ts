/** Drives the VS Code workbench in Chromium the way a person would: clicks, menus, keys. */
import * as fs from 'fs';
import * as path from 'path';
import { Browser, chromium, Locator, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Without the networking flags Chromium tries to reach Google's services, which this closed
    // network refuses many times a second.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

export class Workbench {
  private step = 0;

  constructor(
    readonly page: Page,
    private readonly shotsDir: string,
  ) {
    fs.mkdirSync(shotsDir, { recursive: true });
  }

  static async open(browser: Browser, url: string, shotsDir: string): Promise<Workbench> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    await page.locator('.monaco-workbench').waitFor({ timeout: 120_000 });
    return new Workbench(page, shotsDir);
  }

  async screenshot(name: string): Promise<string> {
    const file = path.join(this.shotsDir, `${String(++this.step).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** An activity-bar item's aria-label starts with its view container's title. */
  activityBarItem(title: string): Locator {
    return this.page.locator(`.activitybar [aria-label^="${title}"]`).first();
  }

  async openViewContainer(title: string): Promise<void> {
    const item = this.activityBarItem(title);
    await item.waitFor({ timeout: 60_000 });
    const checked = await item.getAttribute('aria-expanded');
    if (checked !== 'true') {
      await item.click();
    }
  }

  paneHeader(title: string): Locator {
    return this.page.locator('.pane-header', { hasText: title }).first();
  }

  /** The pane body of a view, found by its header's title. */
  pane(title: string): Locator {
    return this.page.locator('.pane', { has: this.page.locator('.pane-header', { hasText: title }) }).first();
  }

  /** A tree row of a view whose label (the part before the description) is exactly `label`. */
  row(viewTitle: string, label: string | RegExp): Locator {
    const labelLocator = this.page.locator('.label-name', { hasText: label instanceof RegExp ? label : new RegExp(`^${escapeRegExp(label)}$`) });
    return this.pane(viewTitle).locator('.monaco-list-row', { has: labelLocator }).first();
  }

  rowsText(viewTitle: string): Promise<string[]> {
    return this.pane(viewTitle).locator('.monaco-list-row').allInnerTexts();
  }

  /** Expands a row; a tree refresh may re-render it under the pointer, so a click that did not take is repeated. */
  async expand(row: Locator): Promise<void> {
    await row.waitFor({ timeout: 60_000 });
    for (let attempt = 0; attempt < 10; attempt++) {
      if ((await row.getAttribute('aria-expanded')) === 'true') {
        return;
      }
      await row.click();
      try {
        await row.and(this.page.locator('[aria-expanded="true"]')).waitFor({ timeout: 3_000 });
        return;
      } catch {
        // Re-rendered before the click landed: look the row up again and retry.
      }
    }
    throw new Error('the row did not expand');
  }

  /**
   * Right-click, then choose `item`. A tree refresh that lands while the menu opens can swallow the
   * click (the row is re-rendered under the pointer, or the menu ignores a mouse-up it takes for the
   * end of the right-click). A menu still open afterwards gets the choice from the keyboard on the
   * item the pointer rests on; if even that leaves it open, it is closed and the choice made again,
   * as a person would.
   */
  async contextMenu(row: Locator, item: string): Promise<void> {
    const menu = this.page.locator('.context-view .monaco-menu');
    for (let attempt = 1; ; attempt++) {
      await row.click({ button: 'right' });
      const menuItem = menu.locator('a.action-menu-item', { hasText: new RegExp(`^${escapeRegExp(item)}$`) }).first();
      await menuItem.waitFor({ timeout: 15_000 });
      await menuItem.hover();
      await menuItem.click();
      if (await this.closes(menu)) {
        return;
      }
      await menuItem.hover();
      await menuItem.focus();
      await this.page.keyboard.press('Enter');
      if (await this.closes(menu)) {
        return;
      }
      await this.page.keyboard.press('Escape');
      if (attempt === 3) {
        throw new Error(`The context menu item "${item}" did not run after ${attempt} tries.`);
      }
    }
  }

  private async closes(menu: Locator): Promise<boolean> {
    try {
      await menu.waitFor({ state: 'hidden', timeout: 5_000 });
      return true;
    } catch {
      return false;
    }
  }

  /** Runs a command from the palette (F1), typed the way users find it. */
  async runCommand(title: string): Promise<void> {
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ timeout: 15_000 });
    await input.fill(`>${title}`);
    const entry = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: title }).first();
    await entry.waitFor({ timeout: 15_000 });
    await this.page.keyboard.press('Enter');
  }

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget input.input');
  }

  async answerInput(text: string): Promise<void> {
    const input = this.quickInput();
    await input.waitFor({ timeout: 15_000 });
    await input.fill(text);
    await this.page.keyboard.press('Enter');
  }

  /**
   * Waits for the prompt titled `title`, then answers it. Successive prompts reuse one widget, so
   * answering without waiting for the title can type into the previous prompt.
   */
  async answerPrompt(title: string, text: string): Promise<void> {
    await this.page.locator('.quick-input-widget .quick-input-title', { hasText: title }).waitFor({ timeout: 30_000 });
    await this.answerInput(text);
  }

  /**
   * Answers the Open dialog titled `title`. A web window has no native one: VS Code shows its own,
   * a quick input where the path is typed, and its OK button takes what the input holds (Enter
   * would open a folder instead of choosing it). The dialog fills in its starting folder once it has
   * listed it, and a path typed before that is taken as relative to it; so the path goes in after
   * the listing (its ".." row) shows, and is typed again if the dialog still rewrote it.
   */
  async answerFileDialog(title: string, fsPath: string): Promise<void> {
    const dialogTitle = this.page.locator('.quick-input-widget .quick-input-title', { hasText: title });
    await dialogTitle.waitFor({ timeout: 30_000 });
    await this.page.locator('.quick-input-widget .monaco-list-row', { hasText: '..' }).waitFor({ timeout: 30_000 });
    const typed = fsPath.endsWith('/') ? fsPath : `${fsPath}/`;
    const holdsTyped = `document.querySelector('.quick-input-widget input.input')?.value === ${JSON.stringify(typed)}`;
    for (let attempt = 1; ; attempt++) {
      await this.quickInput().fill(typed);
      await this.page.waitForFunction(holdsTyped, undefined, { timeout: 15_000 }).catch(() => undefined);
      await this.page.locator('.quick-input-widget .quick-input-action .monaco-button', { hasText: /^OK$/ }).click();
      try {
        await dialogTitle.waitFor({ state: 'hidden', timeout: 10_000 });
        return;
      } catch (err) {
        if (attempt === 3) {
          throw new Error(`The Open dialog "${title}" did not take ${typed} after ${attempt} tries.`, { cause: err });
        }
      }
    }
  }

  async pickQuickItem(label: string | RegExp): Promise<void> {
    const row = this.page.locator('.quick-input-widget .monaco-list-row', { hasText: label }).first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
