// Keystroke-to-paint latency between two browser tabs, through a real Tandem server.
//
//   pnpm --filter @tandem/e2e bench:browser            (build first: `pnpm build` at the root)
//   KEYSTROKES=500 pnpm --filter @tandem/e2e bench:browser
//
// Starts the built server on a free port with a fresh data directory, opens the same document in
// two Chromium contexts (two people) and types into one of them, key by key. For each key it
// measures the time from the keydown in the typing tab to the animation frame, in the other tab,
// in which the character is first in the DOM: the frame that paints it. Both tabs run in one
// browser on one machine, so `performance.timeOrigin + performance.now()` is one clock for both.
// Done for a small document and for the automerge-paper trace's final text (105k characters).
// A benchmark, not a test: it prints numbers and checks nothing about them.

import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { chromium } from '@playwright/test'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const KEYSTROKES = Number(process.env.KEYSTROKES ?? 200)
const WARMUP = 10
const KEY_TIMEOUT_MS = 10_000

/** Starts the built server; resolves with its URL and a function that stops it. */
async function startServer() {
  const dataDir = await mkdtemp(join(tmpdir(), 'tandem-bench-'))
  const child = spawn(process.execPath, [join(repoRoot, 'apps/sync-server/dist/main.js')], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start in 15 s')), 15_000)
    let rest = ''
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (chunk) => {
      rest += chunk
      for (let i = rest.indexOf('\n'); i !== -1; i = rest.indexOf('\n')) {
        const line = rest.slice(0, i)
        rest = rest.slice(i + 1)
        try {
          const entry = JSON.parse(line)
          if (entry.msg === 'listening') {
            clearTimeout(timer)
            resolve(entry.url.replace(/\/$/, ''))
          }
        } catch {}
      }
    })
    child.once('exit', (code) => reject(new Error(`the server exited with ${code}`)))
  })
  const stop = async () => {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGTERM')
    await exited
    await rm(dataDir, { recursive: true, force: true })
  }
  return { url, stop }
}

async function putText(url, name, text) {
  const response = await fetch(`${url}/api/docs/${encodeURIComponent(name)}/text`, {
    method: 'PUT',
    headers: { 'content-type': 'text/plain' },
    body: text,
  })
  if (!response.ok) throw new Error(`PUT text answered ${response.status}`)
}

/** Opens the document in a fresh context and waits until it is connected and shows `firstLine`. */
async function openTab(browser, url, name) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
  const page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`  console error: ${message.text()}`)
  })
  await page.goto(`${url}/d/${encodeURIComponent(name)}`)
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor()
  await page.locator('.cm-content .cm-line').first().waitFor()
  return { context, page }
}

/** In the typing tab: the time of every keydown. */
function recordKeydowns() {
  window.__keydowns = []
  document.addEventListener(
    'keydown',
    () => window.__keydowns.push(performance.timeOrigin + performance.now()),
    { capture: true },
  )
}

/** In the watching tab: `__arm()` notes the first line's length; `__painted` resolves once it grew. */
function installWatcher() {
  const content = document.querySelector('.cm-content')
  const firstLineLength = () => content.querySelector('.cm-line')?.textContent.length ?? 0
  window.__arm = () => {
    const before = firstLineLength()
    window.__painted = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (firstLineLength() <= before) return
        observer.disconnect()
        // The callback runs before the next frame; that frame paints the character.
        requestAnimationFrame(() => resolve(performance.timeOrigin + performance.now()))
      })
      observer.observe(content, { subtree: true, childList: true, characterData: true })
    })
  }
}

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

async function measure(browser, url, label, text) {
  const name = `bench-${label.replace(/\W+/g, '-')}-${Date.now().toString(36)}`
  await putText(url, name, text)
  const typist = await openTab(browser, url, name)
  const watcher = await openTab(browser, url, name)
  await typist.page.evaluate(recordKeydowns)
  await watcher.page.evaluate(installWatcher)
  await typist.page.locator('.cm-content').click()
  await typist.page.keyboard.press('ControlOrMeta+Home')

  const samples = []
  for (let i = 0; i < WARMUP + KEYSTROKES; i++) {
    await watcher.page.evaluate(() => window.__arm())
    const before = await typist.page.evaluate(() => window.__keydowns.length)
    await typist.page.keyboard.press('x')
    const painted = await watcher.page.evaluate(
      (timeoutMs) =>
        Promise.race([
          window.__painted,
          new Promise((_, reject) => setTimeout(() => reject(new Error('not painted')), timeoutMs)),
        ]),
      KEY_TIMEOUT_MS,
    )
    const keydown = await typist.page.evaluate((n) => window.__keydowns[n], before)
    if (i >= WARMUP) samples.push(painted - keydown)
  }
  await typist.context.close()
  await watcher.context.close()
  const sorted = [...samples].sort((a, b) => a - b)
  return {
    document: label,
    characters: text.length,
    keystrokes: samples.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted.at(-1),
  }
}

const trace = JSON.parse(
  gunzipSync(await readFile(join(repoRoot, 'testdata/traces/automerge-paper.json.gz'))).toString(),
)
const documents = [
  ['small', '# Notes\n\nA short document with a few lines.\n\n- one\n- two\n'],
  ['automerge-paper', trace.endContent],
]

const server = await startServer()
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})
const version = browser.version()
const rows = []
try {
  for (const [label, text] of documents) {
    process.stderr.write(`measuring ${label} (${text.length} characters, ${KEYSTROKES} keys)…\n`)
    rows.push(await measure(browser, server.url, label, text))
  }
} finally {
  await browser.close()
  await server.stop()
}

const ms = (value) => `${value.toFixed(1)} ms`
console.log(`\nKeystroke in one tab → character painted in the other (Chromium ${version})\n`)
console.log('| document        | characters | keystrokes | p50      | p95      | max      |')
console.log('| --------------- | ---------: | ---------: | -------: | -------: | -------: |')
for (const row of rows) {
  console.log(
    `| ${row.document.padEnd(15)} | ${String(row.characters).padStart(10)} | ${String(row.keystrokes).padStart(10)} | ${ms(row.p50).padStart(8)} | ${ms(row.p95).padStart(8)} | ${ms(row.max).padStart(8)} |`,
  )
}
