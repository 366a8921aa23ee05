// Debian's real Chromium, driven by playwright-core (which downloads nothing), for the web
// dashboard's tests; screenshots go to artifacts/screenshots/ (kept out of git) for a person to look at.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { PACKAGE_ROOT } from "../../src/version.js";

export const CHROMIUM = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].find((p) => existsSync(p));

export function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error("chromium is not installed (apt-get install chromium)");
  // As root the browser's own sandbox cannot start; the page is clawav's own, on loopback.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"] });
}

export async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/ui`);
  await page.fill("#key", key);
  await Promise.all([page.waitForURL(`${base}/ui`), page.click("button[type=submit]")]);
  await page.waitForSelector("nav#tabs button.tab.on");
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(PACKAGE_ROOT, "artifacts", "screenshots");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
