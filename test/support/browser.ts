import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

/** Flags for a machine without outside network or a GPU (and as root, without the sandbox). */
const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
  "--disable-quic",
];

/**
 * Launches the system Chromium, headless. A missing browser is an error, not a skip: CI installs
 * it, and a browser test that silently does nothing proves nothing.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}; the browser tests need it. ` +
        "Install it with: apt-get update && apt-get install -y chromium",
    );
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** Where the screenshots of the admin and portal pages go (shown in the README), created if missing. */
export function screenshotsDir(): string {
  const dir = join(import.meta.dir, "..", "..", "docs", "screenshots");
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * What goes wrong on a page, as text: uncaught errors, any dialog (dismissed: an injected
 * `alert()` ran) and, unless `console` is false, console errors (CSP violations land there).
 */
export function pageProblems(page: Page, options: { console?: boolean } = {}): string[] {
  const problems: string[] = [];
  if (options.console !== false) {
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(message.text());
    });
  }
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("dialog", async (dialog) => {
    problems.push(`dialog: ${dialog.message()}`);
    await dialog.dismiss();
  });
  return problems;
}
