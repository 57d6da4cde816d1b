import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { REPO_ROOT } from '../../scripts/lib/settings';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Makes sure Debian's Chromium is installed (scripts/provision/chromium.sh, idempotent). Returns a
 * reason to skip when it cannot be installed here; under CI=true that is a failure instead.
 */
export function ensureChromium(): string | undefined {
  if (!existsSync(CHROMIUM)) {
    const install = spawnSync('bash', [path.join(REPO_ROOT, 'scripts/provision/chromium.sh')], { stdio: 'inherit' });
    if (install.status !== 0 || !existsSync(CHROMIUM)) {
      const reason = `chromium is not installed at ${CHROMIUM} and scripts/provision/chromium.sh could not install it`;
      if (process.env.CI === 'true') throw new Error(reason);
      return reason;
    }
  }
  return undefined;
}

/** Headless Chromium with a fresh profile; close() also removes the profile. */
export async function launchChromium(): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(path.join(tmpdir(), 'mlgym-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}
