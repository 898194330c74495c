import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

import { type Browser, chromium, type Page } from 'playwright-core';

/**
 * Debian's chromium driven by playwright-core (no browser download): the launch flags that work
 * here as root in a container, axe-core injected from npm, and screenshots of every page.
 */

export const SCREENSHOT_DIR = path.resolve('artifacts/ops-dashboard');
const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface AxeFinding {
  page: string;
  id: string;
  impact: string;
  help: string;
  nodes: number;
}

/** Runs axe-core on the page; returns its serious and critical violations (and logs every count). */
export async function axeCheck(page: Page, name: string, findings: AxeFinding[]): Promise<AxeFinding[]> {
  await page.addScriptTag({ path: AXE_SCRIPT });
  const result = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: Array<{ id: string; impact: string | null; help: string; nodes: unknown[] }>; passes: unknown[] }> } }).axe;
    const r = await axe.run();
    return { violations: r.violations.map((v) => ({ id: v.id, impact: v.impact ?? 'none', help: v.help, nodes: v.nodes.length })), passes: r.passes.length };
  });
  const all = result.violations.map((v) => ({ page: name, ...v }));
  findings.push(...all);
  return all.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const file = path.join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
