import { defineConfig } from '@playwright/test';

/**
 * Two projects:
 * - `e2e`: a person's path through the real `serve` mode (services, ML host, SQLite, built renderer)
 *   in Debian's Chromium. The specs start the server themselves, each with a temporary data folder.
 * - `electron`: the desktop shell through Playwright's `_electron`; skipped with a clear reason on
 *   machines where Electron's binary could not be downloaded.
 * `npm run test:e2e` runs the first alone. Screenshots of every step land in test-results/screenshots/.
 */
export default defineConfig({
  globalSetup: './test/e2e/global-setup.ts',
  outputDir: 'test-results/playwright',
  reporter: process.env.CI ? [['list']] : [['list'], ['html', { open: 'never', outputFolder: 'playwright-report' }]],
  // Two shared cores: one browser and one ML host at a time.
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 300_000,
  expect: { timeout: 20_000 },
  use: {
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    actionTimeout: 20_000,
  },
  projects: [
    {
      name: 'e2e',
      testDir: './test/e2e',
      testMatch: '*.spec.ts',
      use: {
        browserName: 'chromium',
        viewport: { width: 1280, height: 840 },
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
        },
      },
    },
    {
      name: 'electron',
      testDir: './test/electron',
      testMatch: '*.spec.ts',
    },
  ],
});
