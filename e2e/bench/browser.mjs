// The browser's own speed (issue 17): two Chromium pages on one document, through a real Tandem
// server.
//
//   pnpm --filter @tandem/e2e bench:browser        (build first: `pnpm build` at the root)
//   KEYSTROKES=500 VISITS=5 DOCS=small,automerge-paper pnpm --filter @tandem/e2e bench:browser
//
// For each document (a small one; automerge-paper's whole editing history as one Yjs update,
// 105k characters; a generated 10 MB update, 2.7M characters, from bench/lib/documents.mjs):
//
// - time to editable: from the start of the navigation to the first animation frame in which the
//   editor is editable and holds the whole document. First visit: a fresh browser context (no
//   cache, no offline copy). Second visit, same context: once with the page's WebSockets reaching
//   nothing (the offline copy alone), once with the server reachable (what a person gets);
// - the longest task on the page's main thread while it loads and for SETTLE_MS after, and
//   whether its connection dropped meanwhile;
// - keystroke in one page to the character painted in the other, p50 and p99.
//
// And the JavaScript a document page fetches until its editor is editable (gzipped as zlib's
// default level; the server itself sends it uncompressed), against the same from the build.
// A benchmark, not a test: it prints numbers and checks nothing about them.

import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { chromium } from '@playwright/test'
import { hugeDocument10MB, largeDocument } from '../../bench/lib/documents.mjs'
import { builtJs } from './lib/build-js.mjs'
import { measureKeystrokes, quantile } from './lib/keystrokes.mjs'
import { storeDocument, storeText, until } from './lib/seed.mjs'
import { repoRoot, startServer } from './lib/server.mjs'
import { editorLength, visit } from './lib/visit.mjs'

const KEYSTROKES = Number(process.env.KEYSTROKES ?? 200)
const VISITS = Number(process.env.VISITS ?? 3)
const SETTLE_MS = Number(process.env.SETTLE_MS ?? 3000)
const DOCS = (process.env.DOCS ?? 'small,automerge-paper,huge').split(',')

const documents = {
  small: () => ({
    text: '# Notes\n\nA short document with a few lines.\n\n- one\n- two\n',
    update: null,
    keystrokes: KEYSTROKES,
    timeoutMs: 30_000,
  }),
  'automerge-paper': () => {
    const files = largeDocument()
    return {
      text: readFileSync(files.textFile, 'utf8'),
      update: new Uint8Array(readFileSync(files.updateFile)),
      keystrokes: KEYSTROKES,
      timeoutMs: 60_000,
    }
  },
  huge: () => {
    const files = hugeDocument10MB()
    return {
      text: readFileSync(files.textFile, 'utf8'),
      update: new Uint8Array(readFileSync(files.updateFile)),
      keystrokes: Math.min(KEYSTROKES, 50),
      timeoutMs: 120_000,
    }
  },
}

/** Waits until the page's offline copy (IndexedDB `tandem:<name>`) has stopped growing. */
async function offlineCopyWritten(page, name) {
  let last = -1
  await until(
    async () => {
      const bytes = await page.evaluate(async (db) => {
        if (!(await indexedDB.databases()).some((entry) => entry.name === db)) return 0
        const open = indexedDB.open(db)
        const database = await new Promise((resolve, reject) => {
          open.onsuccess = () => resolve(open.result)
          open.onerror = () => reject(open.error)
        })
        let total = 0
        for (const store of database.objectStoreNames) {
          const values = await new Promise((resolve, reject) => {
            const request = database.transaction(store).objectStore(store).getAll()
            request.onsuccess = () => resolve(request.result)
            request.onerror = () => reject(request.error)
          })
          for (const value of values) {
            total += value?.byteLength ?? (typeof value === 'string' ? value.length : 1)
          }
        }
        database.close()
        return total
      }, `tandem:${name}`)
      const settled = bytes > 0 && bytes === last
      last = bytes
      return settled
    },
    60_000,
    `the offline copy of ${name}`,
    500,
  )
}

const median = (values) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

async function measureDocument(browser, url, label) {
  const { text, update, keystrokes, timeoutMs } = documents[label]()
  const name = `bench-${label}-${Date.now().toString(36)}`
  process.stderr.write(`${label}: storing ${text.length} characters…\n`)
  if (update) await storeDocument(url, name, update, text)
  else await storeText(url, name, text)
  const pageUrl = `${url}/d/${encodeURIComponent(name)}`
  const expectedLength = editorLength(text)
  const options = { url: pageUrl, expectedLength, timeoutMs, settleMs: SETTLE_MS }

  // The JavaScript, in a visit of its own (holding scripts back changes the timing).
  const jsContext = await browser.newContext({ viewport: { width: 1200, height: 800 } })
  const js = await visit(jsContext, { ...options, holdLateScripts: true })
  await jsContext.close()

  const first = []
  const offline = []
  const second = []
  let pair = []
  for (let i = 0; i < VISITS; i++) {
    process.stderr.write(`${label}: visit ${i + 1} of ${VISITS}…\n`)
    const context = await browser.newContext({ viewport: { width: 1200, height: 800 } })
    const visited = await visit(context, options)
    first.push(visited)
    await offlineCopyWritten(visited.page, name)
    await visited.page.close()
    const fromCopy = await visit(context, { ...options, offlineOnly: true })
    offline.push(fromCopy)
    await fromCopy.page.close()
    const again = await visit(context, options)
    second.push(again)
    if (i >= VISITS - 2) pair.push({ context, page: again.page })
    else await context.close()
  }
  let typing = null
  if (pair.length === 2) {
    process.stderr.write(`${label}: ${keystrokes} keystrokes…\n`)
    typing = await measureKeystrokes(pair[0].page, pair[1].page, { keystrokes })
  }
  for (const { context } of pair) await context.close()
  pair = []
  const figures = (visits) => ({
    editorMs: median(visits.map((v) => v.editorMs)),
    syncedMs: median(visits.map((v) => v.syncedMs ?? Number.NaN)),
    longestTasksMs: visits.map((v) => Math.round(v.longestTaskMs)),
    editableMs: median(visits.map((v) => v.editableMs)),
    editableMsAll: visits.map((v) => Math.round(v.editableMs)),
    longestTaskMs: Math.max(...visits.map((v) => v.longestTaskMs)),
    drops: visits.reduce((total, v) => total + v.drops, 0),
    states: visits.map((v) => v.states.map(([, state]) => state).join('>')),
  })
  return {
    document: label,
    characters: text.length,
    updateBytes: update?.length ?? null,
    first: figures(first),
    offline: figures(offline),
    second: figures(second),
    typing,
    js,
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
})
const version = browser.version()
const rows = []
const server = await startServer().catch(async (error) => {
  await browser.close()
  throw error
})
try {
  for (const label of DOCS) rows.push(await measureDocument(browser, server.url, label))
} finally {
  await browser.close()
  await server.stop()
}

const ms = (value) => (value == null || Number.isNaN(value) ? '—' : `${Math.round(value)}`)
const kB = (bytes) => (bytes / 1000).toFixed(1)
console.log(`\nThe browser's own speed (Chromium ${version}, ${VISITS} visits each, median)\n`)
console.log(
  '| document | characters | first visit: editable (ms) | offline copy only (ms) | second visit (ms) | longest task (ms) | dropped | keystroke p50 (ms) | p99 (ms) |',
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |')
for (const row of rows) {
  const longest = Math.max(
    row.first.longestTaskMs,
    row.offline.longestTaskMs,
    row.second.longestTaskMs,
  )
  // The offline-only visit has no server to stay connected to.
  const drops = row.first.drops + row.second.drops
  console.log(
    `| ${row.document} | ${row.characters} | ${ms(row.first.editableMs)} (${row.first.editableMsAll.join(', ')}) | ${ms(row.offline.editableMs)} (${row.offline.editableMsAll.join(', ')}) | ${ms(row.second.editableMs)} (${row.second.editableMsAll.join(', ')}) | ${ms(longest)} | ${drops} | ${row.typing ? row.typing.p50.toFixed(1) : '—'} | ${row.typing ? row.typing.p99.toFixed(1) : '—'} |`,
  )
}

console.log(
  "\nWhere the time goes (medians, ms from the start of the navigation): the editor on the page, the connection in sync with the server, the whole document shown; and each visit's longest task\n",
)
console.log(
  '| document | first visit: editor / in sync / editable | longest tasks | offline copy only: editor / editable | longest tasks | second visit: editor / in sync / editable | longest tasks |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const row of rows) {
  const { first, offline, second } = row
  console.log(
    `| ${row.document} | ${ms(first.editorMs)} / ${ms(first.syncedMs)} / ${ms(first.editableMs)} | ${first.longestTasksMs.join(', ')} | ${ms(offline.editorMs)} / ${ms(offline.editableMs)} | ${offline.longestTasksMs.join(', ')} | ${ms(second.editorMs)} / ${ms(second.syncedMs)} / ${ms(second.editableMs)} | ${second.longestTasksMs.join(', ')} |`,
  )
}

const firstVisit = rows[0]?.js
if (firstVisit) {
  const list = (js) => js.files.map((f) => `${f.file} ${kB(f.gzip)}`).join(', ') || 'none'
  console.log(
    `\nJavaScript of a document page (${rows[0].document}, first visit, scripts requested once the editor was there held back until it was editable), gzipped:`,
  )
  console.log(
    `  until editable: ${kB(firstVisit.jsAtEditable.gzip)} kB (${kB(firstVisit.jsAtEditable.raw)} kB as sent) — ${list(firstVisit.jsAtEditable)}`,
  )
  console.log(`  held back: ${firstVisit.held.join(', ') || 'none'}`)
  console.log(
    `  in the ${SETTLE_MS} ms after: ${kB(firstVisit.jsLater.gzip)} kB — ${list(firstVisit.jsLater)}`,
  )
}
const built = builtJs(join(repoRoot, 'apps/web/dist'))
console.log(
  `  from the build: entry + document page + their static imports ${kB(built.firstScreenGzip)} kB of ${kB(built.totalGzip)} kB in all`,
)
for (const chunk of built.chunks.sort((a, b) => b.gzip - a.gzip)) {
  console.log(
    `    ${chunk.firstScreen ? '*' : ' '} ${chunk.file.padEnd(44)} ${kB(chunk.gzip).padStart(6)} kB`,
  )
}
