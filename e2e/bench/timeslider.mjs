// The timeslider on a long history (issue 18): automerge-paper's 260k edits stored through a
// real Tandem server as many attributed updates, then played back in Chromium.
//
//   pnpm --filter @tandem/e2e bench:timeslider        (build first: `pnpm build` at the root)
//   EDITS_PER_STEP=100 STEPS=300 DRAG_MOVES=300 pnpm --filter @tandem/e2e bench:timeslider
//   PROFILE=/tmp/stepping.cpuprofile ...   (a CPU profile of the page while stepping)
//
// Seeding: the trace is replayed in Node into one Y.Doc; every EDITS_PER_STEP edits become one
// Yjs update, sent by one of two stock y-websocket clients in turn (two names, so that the
// server's coalescing of one author's consecutive records keeps them apart: one step each).
//
// Then, in a Chromium page: the time from the "Play back the history" click to the slider
// being usable at the last step (the timeline's download, Playback.of, the read-only editor);
// and for STEPS presses of ArrowLeft (keydown events dispatched in the page, one after the frame
// of the last) and for a drag of the slider's thumb across its track (DRAG_MOVES real mouse
// moves there and back), p50 and p99 of: the time from an input to the end of the animation
// frame that shows it (the wait for the frame included); the frame itself, from its start to
// the end of its work (the editor's update, style, layout, paint: the "frame time"); and the
// intervals between animation frames during the drag. The Node side reports what
// Playback.changes() and spansAt() cost per step before anything is drawn. Last, the time from
// a click on Authors to the editor's text coloured by author.
// A benchmark, not a test: it prints numbers and checks nothing about them.

import { writeFileSync } from 'node:fs'
import { chromium } from '@playwright/test'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import { TRACES_DIR } from '../../bench/lib/documents.mjs'
import { applyEdit, loadTrace, utf16Edits } from '../../bench/lib/traces.mjs'
import { Playback } from '../../packages/protocol/dist/index.js'
import { quantile } from './lib/keystrokes.mjs'
import { until } from './lib/seed.mjs'
import { startServer } from './lib/server.mjs'

const EDITS_PER_STEP = Number(process.env.EDITS_PER_STEP ?? 100)
const STEPS = Number(process.env.STEPS ?? 300)
const DRAG_MOVES = Number(process.env.DRAG_MOVES ?? 300)
const TEXT_NAME = 'codemirror'
const NAME = 'automerge-paper-history'

/** The trace as one update per EDITS_PER_STEP edits, and the text they end with. */
function traceUpdates() {
  const trace = loadTrace(`${TRACES_DIR}/automerge-paper.json.gz`)
  const doc = new Y.Doc()
  const text = doc.getText(TEXT_NAME)
  const updates = []
  // The replaying client's clock after each update.
  const clocks = []
  doc.on('update', (update) => {
    updates.push(update)
    clocks.push(Y.getState(doc.store, doc.clientID))
  })
  if (trace.startContent) text.insert(0, trace.startContent)
  const edits = utf16Edits(trace)
  for (let i = 0; i < edits.length; i += EDITS_PER_STEP) {
    doc.transact(() => {
      for (const edit of edits.slice(i, i + EDITS_PER_STEP)) applyEdit(text, edit)
    })
  }
  if (text.toString() !== trace.endContent) throw new Error('the trace did not replay')
  return { updates, clocks, client: doc.clientID, text: trace.endContent, edits: edits.length }
}

/** Sends `updates` through two stock clients in turn; resolves once the server holds `text`. */
async function seed(url, { updates, clocks, client }, text) {
  const clients = ['Writer A', 'Writer B'].map((name) => {
    const doc = new Y.Doc()
    const provider = new WebsocketProvider(url.replace(/^http/, 'ws'), NAME, doc, {
      WebSocketPolyfill: WebSocket,
      disableBc: true,
    })
    provider.awareness.setLocalStateField('user', { name, color: '#3a5bc7' })
    return { doc, provider }
  })
  await until(() => clients.every((c) => c.provider.synced), 30_000, 'both clients to sync')
  for (let i = 0; i < updates.length; i++) {
    const sender = clients[i % 2]
    // An update depends on the one before, which the other client sent: send it once the
    // server has relayed that one to this client (the server would otherwise hold it, and
    // close the connection when the wait grew too long).
    if (i > 0) {
      const needed = clocks[i - 1]
      await until(
        () => Y.getState(sender.doc.store, client) >= needed,
        30_000,
        `update ${i - 1} to come round`,
        1,
      )
    }
    Y.applyUpdate(sender.doc, updates[i], 'local')
  }
  const api = `${url}/api/docs/${encodeURIComponent(NAME)}`
  await until(
    async () => (await (await fetch(`${api}/text`)).text()) === text,
    300_000,
    'the server to hold the whole text',
    500,
  )
  for (const client of clients) {
    client.provider.destroy()
    client.doc.destroy()
  }
}

/** In the page: input-to-frame times of the slider, and animation-frame intervals. */
function instrument() {
  const slider = document.querySelector('[data-testid="timeslider-slider"]')
  window.__frames = []
  window.__work = []
  window.__intervals = []
  let pending = null
  const onInput = () => {
    if (pending !== null) return
    pending = performance.now()
    // Registered before the page's own frame callback: the timeout runs once that frame
    // (the editor's update, style, layout, paint) is done.
    requestAnimationFrame((frameStart) =>
      setTimeout(() => {
        const end = performance.now()
        window.__frames.push(end - pending)
        window.__work.push(end - frameStart)
        pending = null
      }),
    )
  }
  slider.addEventListener('input', onInput, { capture: true })
  slider.addEventListener('keydown', onInput, { capture: true })
  window.__watchFrames = (on) => {
    window.__watching = on
    let last = performance.now()
    const tick = (now) => {
      window.__intervals.push(now - last)
      last = now
      if (window.__watching) requestAnimationFrame(tick)
    }
    if (on) requestAnimationFrame(tick)
  }
}

/** In the page: `count` ArrowLeft presses, each after the frame that showed the last. */
async function stepBack(count) {
  const slider = document.querySelector('[data-testid="timeslider-slider"]')
  slider.focus()
  for (let i = 0; i < count; i++) {
    slider.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowLeft', bubbles: true }))
    await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)))
  }
}

const stats = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const fmt = (v) => (v === undefined ? 'n/a' : v.toFixed(1))
  return `p50 ${fmt(quantile(sorted, 0.5))} ms, p99 ${fmt(quantile(sorted, 0.99))} ms, max ${fmt(sorted.at(-1))} ms (n=${sorted.length})`
}

const history = traceUpdates()
const { updates, text, edits } = history
console.log(
  `automerge-paper: ${edits} edits, ${updates.length} updates of ${EDITS_PER_STEP} edits, ${text.length} characters`,
)
const server = await startServer({
  MAX_MESSAGES_PER_SECOND: '100000',
  MAX_BYTES_PER_SECOND: '1000000000',
  MAX_MESSAGES_PER_IP_PER_SECOND: '100000',
  MAX_BYTES_PER_IP_PER_SECOND: '1000000000',
})
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'],
})
try {
  let started = performance.now()
  await seed(server.url, history, text)
  console.log(`seeded in ${((performance.now() - started) / 1000).toFixed(1)} s`)

  const timelineUrl = `${server.url}/api/docs/${encodeURIComponent(NAME)}/timeline`
  started = performance.now()
  const response = await fetch(timelineUrl)
  const body = await response.text()
  const timeline = JSON.parse(body)
  console.log(
    `timeline: ${timeline.records?.length ?? 0} steps, ${timeline.authors?.length ?? 0} authors, ${(body.length / 1e6).toFixed(2)} MB of JSON, fetched in ${(performance.now() - started).toFixed(0)} ms`,
  )

  // The same playback in Node: what each step costs before the browser draws anything.
  {
    const doc = new Y.Doc({ gc: false })
    let at = performance.now()
    Y.applyUpdate(doc, Buffer.from(timeline.state, 'base64'))
    const applyMs = performance.now() - at
    at = performance.now()
    const playback = Playback.of(doc.getText(TEXT_NAME), timeline.records)
    const ofMs = performance.now() - at
    const last = playback.steps - 1
    const count = Math.min(STEPS, last + 1)
    const changes = []
    const spans = []
    let spanCount = 0
    for (let i = 0; i < count; i++) {
      at = performance.now()
      playback.changes(last - i, last - i - 1)
      changes.push(performance.now() - at)
      at = performance.now()
      spanCount = playback.spansAt(last - i - 1).length
      spans.push(performance.now() - at)
    }
    console.log(
      `in Node: state applied in ${applyMs.toFixed(0)} ms, Playback.of ${ofMs.toFixed(0)} ms; per step back: changes() ${stats(changes)}; spansAt() ${stats(spans)} (${spanCount} spans)`,
    )
    doc.destroy()
  }

  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } })
  await page.goto(`${server.url}/d/${encodeURIComponent(NAME)}`)
  await page
    .getByTestId('connection-status')
    .and(page.locator('[data-state="connected"]'))
    .waitFor()
  await page.getByTestId('history-button').click()
  const slider = page.getByTestId('timeslider-slider')
  started = performance.now()
  await page.getByTestId('timeslider-button').click()
  await slider.waitFor({ timeout: 120_000 })
  await page.waitForFunction(
    (length) =>
      document.querySelector('[data-testid="timeslider-text"] .cm-content') !== null &&
      Number(document.querySelector('[data-testid="timeslider-slider"]')?.getAttribute('max')) ===
        length - 1,
    timeline.records.length,
    { timeout: 120_000 },
  )
  console.log(`timeslider ready in ${(performance.now() - started).toFixed(0)} ms after the click`)

  await page.evaluate(instrument)
  const cdp = process.env.PROFILE ? await page.context().newCDPSession(page) : null
  if (cdp) {
    await cdp.send('Profiler.enable')
    await cdp.send('Profiler.start')
  }
  await page.evaluate(stepBack, Math.min(STEPS, timeline.records.length))
  if (cdp) {
    const { profile } = await cdp.send('Profiler.stop')
    writeFileSync(process.env.PROFILE, JSON.stringify(profile))
  }
  const stepping = await page.evaluate(() => window.__frames.splice(0))
  const steppingWork = await page.evaluate(() => window.__work.splice(0))
  console.log(`stepping (ArrowLeft from the end), input to end of its frame: ${stats(stepping)}`)
  console.log(`stepping, the frame itself (its start to its end): ${stats(steppingWork)}`)

  // A drag of the thumb from one end of the track to the other and back.
  const box = await slider.boundingBox()
  if (box === null) throw new Error('the slider has no box')
  const y = box.y + box.height / 2
  await page.evaluate(() => window.__watchFrames(true))
  await page.mouse.move(box.x + box.width - 2, y)
  await page.mouse.down()
  await page.mouse.move(box.x + 2, y, { steps: DRAG_MOVES })
  await page.mouse.move(box.x + box.width - 2, y, { steps: DRAG_MOVES })
  await page.mouse.up()
  await page.evaluate(() => window.__watchFrames(false))
  const dragging = await page.evaluate(() => window.__frames.splice(0))
  const draggingWork = await page.evaluate(() => window.__work.splice(0))
  const intervals = await page.evaluate(() => window.__intervals.splice(1))
  console.log(`dragging, input to end of its frame: ${stats(dragging)}`)
  console.log(`dragging, the frame itself: ${stats(draggingWork)}`)
  console.log(`dragging, animation-frame intervals: ${stats(intervals)}`)
  const shown = await page.evaluate(
    () => document.querySelector('[data-testid="timeslider-text"] .cm-content')?.textContent.length,
  )
  console.log(`(the view shows ${shown} characters of the last step in the DOM)`)

  // The Authors view on the same document: from the click to the first coloured passage (the
  // ids view fetched, attributeText over the page's own Y.Text, the marks drawn).
  await page.getByTestId('timeslider-close').click()
  await page.getByTestId('editor').waitFor()
  started = performance.now()
  await page.getByTestId('authors-toggle').click()
  await page.locator('.cm-editor .cm-author').first().waitFor({ timeout: 60_000 })
  console.log(
    `Authors view: text coloured ${(performance.now() - started).toFixed(0)} ms after the click`,
  )
} finally {
  await browser.close()
  await server.stop()
}
