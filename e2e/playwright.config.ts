import { defineConfig } from '@playwright/test'

/**
 * Real Chromium against real Tandem server processes. Every test starts its own server on a
 * free port with its own data directory, so tests run in parallel.
 */
export default defineConfig({
  testDir: 'tests',
  globalSetup: './global-setup.ts',
  forbidOnly: true,
  retries: 0,
  workers: 2,
  fullyParallel: true,
  // A test opens two or three browser contexts and a server; with two workers on a 2-core
  // machine that is slow to start, a page can take several seconds to connect.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list'], ['json', { outputFile: '.artifacts/results.json' }]],
  outputDir: '.artifacts/test-results',
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
  },
})
