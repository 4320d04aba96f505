// What one awareness frame with many client ids costs an open tab.
//
//   pnpm --filter @tandem/e2e bench:awareness            (build first: `pnpm build` at the root)
//   FLOOD_IDS=5000 pnpm --filter @tandem/e2e bench:awareness
//   WEB_DIR=/path/to/other/dist PROFILE=1 pnpm --filter @tandem/e2e bench:awareness
//
// Starts the built server on a free port, opens a document in two Chromium contexts (the victim
// and a second person, Bea), then hands the victim's page, through Playwright's WebSocket routing
// (so whatever the server allows does not matter), ONE awareness frame holding FLOOD_IDS states,
// each with a name, a colour and a caret in the text. It reports, in the victim's page: the time
// until the presence list has taken the frame in, the longest main-thread stall (gap between
// timer ticks) and the sum of long tasks while it did; then, with the flood present, the same two
// figures while Bea types 20 keys (every keystroke is an awareness change for the victim) and the
// time from the victim's own keypress to its character in its DOM.
// A benchmark, not a test: it prints numbers and checks nothing about them.

import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { chromium } from '@playwright/test'

const repoRoot = fileURLToPath(new URL('../../', import.meta.url))
const FLOOD_IDS = Number(process.env.FLOOD_IDS ?? 20_000)
const SETTLE_TIMEOUT_MS = 120_000
/** PROFILE=1 also prints the functions with the most self time while the flood is taken in. */
const PROFILE = process.env.PROFILE === '1'

async function startProfile(page) {
  const session = await page.context().newCDPSession(page)
  await session.send('Profiler.enable')
  await session.send('Profiler.setSamplingInterval', { interval: 200 })
  await session.send('Profiler.start')
  return session
}

async function printProfile(session) {
  const { profile } = await session.send('Profiler.stop')
  const interval = (profile.endTime - profile.startTime) / profile.samples.length / 1000
  const counts = new Map()
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1)
  const self = new Map()
  for (const node of profile.nodes) {
    const { functionName, url, lineNumber } = node.callFrame
    const key = `${functionName || '(anonymous)'} ${url.split('/').pop()}:${lineNumber + 1}`
    self.set(key, (self.get(key) ?? 0) + (counts.get(node.id) ?? 0) * interval)
  }
  console.log('self time while the flood is taken in:')
  for (const [key, ms] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    console.log(`  ${ms.toFixed(0).padStart(6)} ms  ${key}`)
  }
}

/** Starts the built server; resolves with its URL and a function that stops it. */
async function startServer() {
  const dataDir = await mkdtemp(join(tmpdir(), 'tandem-bench-'))
  const child = spawn(process.execPath, [join(repoRoot, 'apps/sync-server/dist/main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      HOST: '127.0.0.1',
      DATA_DIR: dataDir,
      // Another build of the web app, to compare (e.g. one of an earlier commit).
      ...(process.env.WEB_DIR ? { WEB_DIR: process.env.WEB_DIR } : {}),
    },
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

/** lib0's variable-length unsigned integer. */
function varUint(out, n) {
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n = Math.floor(n / 128)
  }
  out.push(n)
}

function varBytes(out, bytes) {
  varUint(out, bytes.length)
  for (const byte of bytes) out.push(byte)
}

/**
 * A y-websocket awareness message (type 1) carrying `count` states, as `encodeAwarenessUpdate`
 * writes them: each a name, a colour and a caret at the end of the root text `codemirror`.
 */
function floodFrame(count) {
  const end = { type: null, tname: 'codemirror', item: null, assoc: 0 }
  const update = []
  varUint(update, count)
  const encoder = new TextEncoder()
  for (let i = 0; i < count; i++) {
    varUint(update, 1_000_000 + i)
    varUint(update, 1)
    const state = {
      user: { name: `Flood ${i}`, color: '#d13415', colorLight: '#d1341533' },
      cursor: { anchor: end, head: end },
    }
    varBytes(update, encoder.encode(JSON.stringify(state)))
  }
  const frame = []
  varUint(frame, 1)
  varBytes(frame, update)
  return Buffer.from(frame)
}

/** In a page: a timer loop noting the longest gap between ticks, and a long-task observer. */
function installStallWatch() {
  const watch = { maxGap: 0, longTasks: 0, last: performance.now() }
  window.__stall = watch
  const tick = () => {
    const now = performance.now()
    watch.maxGap = Math.max(watch.maxGap, now - watch.last)
    watch.last = now
    setTimeout(tick, 0)
  }
  setTimeout(tick, 0)
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) watch.longTasks += entry.duration
  }).observe({ type: 'longtask' })
  window.__resetStall = () => {
    watch.maxGap = 0
    watch.longTasks = 0
    watch.last = performance.now()
  }
}

async function openTab(browser, url, name, route) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
  const page = await context.newPage()
  page.on('console', (message) => {
    if (message.type() === 'error') console.error(`  console error: ${message.text()}`)
  })
  let socket = null
  if (route) {
    await page.routeWebSocket(/.*/, (ws) => {
      ws.connectToServer()
      socket = ws
    })
  }
  await page.goto(`${url}/d/${encodeURIComponent(name)}`)
  await page.locator('[data-testid="connection-status"][data-state="connected"]').waitFor()
  await page.locator('.cm-content .cm-line').first().waitFor()
  return { context, page, socket: () => socket }
}

const server = await startServer()
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})
const version = browser.version()
const name = `bench-flood-${Date.now().toString(36)}`
const frame = floodFrame(FLOOD_IDS)
let result
try {
  const victim = await openTab(browser, server.url, name, true)
  const bea = await openTab(browser, server.url, name, false)
  await bea.page.locator('.cm-content').click()
  await bea.page.keyboard.type('Some text to start with.\n')
  const presence = victim.page.getByTestId('presence')
  await presence.and(victim.page.locator('[aria-label^="2 people"]')).waitFor()
  await victim.page.evaluate(installStallWatch)

  // The flood.
  const socket = victim.socket()
  if (socket === null) throw new Error('the victim page opened no WebSocket')
  const t0 = await victim.page.evaluate(() => {
    window.__resetStall()
    return performance.now()
  })
  const profiler = PROFILE ? await startProfile(victim.page) : null
  socket.send(frame)
  await victim.page.waitForFunction(
    (count) =>
      document
        .querySelector('[data-testid="presence"]')
        ?.getAttribute('aria-label')
        ?.startsWith(`${count} `),
    FLOOD_IDS + 2,
    { timeout: SETTLE_TIMEOUT_MS, polling: 50 },
  )
  const shownAt = await victim.page.evaluate(() => performance.now())
  // Let the rest of the work (painting, the re-broadcast) finish: two frames later.
  await victim.page.evaluate(
    () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
  )
  const flood = await victim.page.evaluate(() => ({ ...window.__stall }))
  if (profiler) await printProfile(profiler)
  const carets = await victim.page.locator('.cm-ySelectionCaret').count()
  const listed = await victim.page.getByTestId('presence-user').count()

  // With the flood present: Bea types; each keystroke moves her caret (an awareness change).
  await victim.page.evaluate(() => window.__resetStall())
  const typedAt = Date.now()
  await bea.page.keyboard.type('abcdefghijklmnopqrst')
  await victim.page.waitForFunction(
    () => document.querySelector('.cm-content')?.textContent?.includes('abcdefghijklmnopqrst'),
    undefined,
    { timeout: SETTLE_TIMEOUT_MS, polling: 50 },
  )
  const beaTyping = await victim.page.evaluate(() => ({ ...window.__stall }))
  const beaMs = Date.now() - typedAt

  // The victim's own keystroke to its character in the DOM.
  await victim.page.locator('.cm-content').click()
  await victim.page.keyboard.press('ControlOrMeta+End')
  const ownKeyMs = await victim.page.evaluate(
    () =>
      new Promise((resolve) => {
        const content = document.querySelector('.cm-content')
        const start = performance.now()
        const observer = new MutationObserver(() => {
          if (!content.textContent.includes('Z')) return
          observer.disconnect()
          requestAnimationFrame(() => resolve(performance.now() - start))
        })
        observer.observe(content, { subtree: true, childList: true, characterData: true })
        content.dispatchEvent(new KeyboardEvent('keydown', { key: 'Z', bubbles: true }))
        document.execCommand('insertText', false, 'Z')
      }),
  )
  result = { flood, shownMs: shownAt - t0, carets, listed, beaTyping, beaMs, ownKeyMs }
  await victim.context.close()
  await bea.context.close()
} finally {
  await browser.close()
  await server.stop()
}

const ms = (value) => `${value.toFixed(0)} ms`
console.log(
  `\nOne awareness frame of ${FLOOD_IDS} ids (${(frame.length / 1024).toFixed(0)} KiB) in an open tab (Chromium ${version})\n`,
)
console.log(`presence list updated after        ${ms(result.shownMs)}`)
console.log(`longest main-thread stall          ${ms(result.flood.maxGap)}`)
console.log(`long tasks, summed                 ${ms(result.flood.longTasks)}`)
console.log(`carets drawn / people listed       ${result.carets} / ${result.listed}`)
console.log(`with the flood present, 20 keys typed by another person:`)
console.log(`  all 20 shown after               ${ms(result.beaMs)}`)
console.log(`  longest main-thread stall        ${ms(result.beaTyping.maxGap)}`)
console.log(`  long tasks, summed               ${ms(result.beaTyping.longTasks)}`)
console.log(`own keystroke to DOM               ${ms(result.ownKeyMs)}`)
