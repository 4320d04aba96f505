#!/usr/bin/env node
// How long each document-sized operation on a 10 MB document holds up the event loop (issue
// 17): done in the worker pool (apps/sync-server/src/workers) and done on the event loop, one
// after the other in this process, with the server's own code (its built dist). The figure is
// the longest gap between 1 ms timer ticks while the operation runs; `total` is how long the
// operation took with the pool. Run after `pnpm --filter @tandem/sync-server build`:
// `node --expose-gc bench/fold-stalls.mjs`. Prints a Markdown table.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { hugeDocument10MB } from './lib/documents.mjs'

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../apps/sync-server/dist')
const load = (file) => import(pathToFileURL(path.join(dist, file)).href)
const { DocState, textOfState } = await load('rooms/doc-state.js')
const { WorkerFolder } = await load('workers/folder.js')
const { createLogger } = await load('log.js')
// The server's yjs (ES module), as its code imports it.
const serverRequire = createRequire(path.join(dist, 'main.js'))
const yjsPackage = serverRequire.resolve('yjs/package.json')
const Y = await import(
  pathToFileURL(
    path.join(
      path.dirname(yjsPackage),
      JSON.parse(readFileSync(yjsPackage, 'utf8')).exports['.'].import,
    ),
  ).href
)

if (typeof globalThis.gc !== 'function') {
  console.error(
    'run with node --expose-gc, so that garbage from one run is not collected in the next',
  )
  process.exit(2)
}

const huge = new Uint8Array(readFileSync(hugeDocument10MB().updateFile))
const TEXT = 'codemirror'

/** The longest gap between 1 ms ticks while `fn` runs, and how long it ran, in ms. */
async function stall(fn) {
  let last = performance.now()
  let worst = 0
  const ticker = setInterval(() => {
    const now = performance.now()
    worst = Math.max(worst, now - last)
    last = now
  }, 1)
  const start = performance.now()
  await fn()
  const end = performance.now()
  clearInterval(ticker)
  return { worst: Math.max(worst, end - last), total: end - start }
}

// One edit after the stored document: a log since the last snapshot, as a room holds it.
const doc = new Y.Doc()
Y.applyUpdate(doc, huge)
const stateVector = Y.encodeStateVector(doc)
doc.getText(TEXT).insert(5, 'a later edit')
const later = Y.encodeStateAsUpdate(doc, stateVector)
const text = doc.getText(TEXT).toString()
doc.destroy()
const imported = `${text.slice(0, 1000)}X${text.slice(2000)}`
const snapshot = Y.mergeUpdates([huge, later])
const loaded = () => new DocState(huge, [later], 2)

const operations = {
  'compaction (fold of snapshot + log)': (f) => loaded().snapshotOff(f),
  'join: sync step 1 diff': (f) => loaded().diffOff(stateVector, f),
  'GET text, export': (f) => loaded().text(f, TEXT),
  'webhook: text length': (f) => loaded().textLength(f, TEXT),
  'version save, compared with the latest': (f) => loaded().versionOff(f, TEXT, huge),
  'import: replacement edit': (f) => loaded().replaceText(f, TEXT, imported),
  'version preview, restore: its text': (f) => textOfState(f, huge, TEXT),
  'load, set-aside listing: fold + validate': (f) => loaded().validateOff(f),
  'cluster catch-up: snapshot diffed against the room': (f) =>
    new DocState(huge, [], 1).missingFromOff(f, snapshot),
}

const folder = new WorkerFolder(createLogger('silent'), 1)
// The worker has loaded its modules before the first measurement.
await folder.fold({ base: new Uint8Array([0, 0]), updates: [], textName: TEXT })
const settle = async () => {
  globalThis.gc()
  await new Promise((resolve) => setTimeout(resolve, 50))
}
const rows = []
for (const [name, run] of Object.entries(operations)) {
  await settle()
  rows.push({ name, pool: await stall(() => run(folder)) })
}
for (const [i, run] of Object.values(operations).entries()) {
  await settle()
  rows[i].here = await stall(() => run(undefined))
}
await folder.close()

const ms = (x) => Math.round(x).toLocaleString('en')
console.log(
  `10 MB document: ${huge.length.toLocaleString('en')} bytes, ${text.length.toLocaleString('en')} characters`,
)
console.log('')
console.log(
  '| operation | event loop held, on the event loop (ms) | with the pool (ms) | pool: whole operation (ms) |',
)
console.log('| --- | ---: | ---: | ---: |')
for (const { name, pool, here } of rows) {
  console.log(`| ${name} | ${ms(here.worst)} | ${ms(pool.worst)} | ${ms(pool.total)} |`)
}
