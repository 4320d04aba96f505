// Many documents: stores N tiny documents in a SQLite file through the store, then times the
// server's start (spawn to `listening`) with none and with N, a page of GET /api/docs, and
// filtered pages (`q`): one that fills early, one that reads its 5,000 names and finds nothing
// (the first such request of a fresh server, and again after the search), and a whole search of
// a rare word, following the cursors through every name.
// Prints numbers; asserts nothing.
//   pnpm --filter @tandem/sync-server build && node bench/many-docs.mjs [count] [runs]
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'

const count = Number(process.argv[2] ?? 100_000)
const runs = Number(process.argv[3] ?? 5)
const serverDir = new URL('../apps/sync-server/', import.meta.url)
const { SqliteStore } = await import(new URL('dist/persistence/sqlite.js', serverDir).href)
const main = new URL('dist/main.js', serverDir).pathname
// A Yjs update of one character: tiny but real.
const update = Uint8Array.from([
  1, 1, 132, 172, 136, 173, 3, 0, 4, 1, 10, 99, 111, 100, 101, 109, 105, 114, 114, 111, 114, 1, 120,
  0,
])

async function fill(dir, n) {
  const store = SqliteStore.open(dir, { synchronous: 'normal' })
  const batch = 1000
  for (let i = 0; i < n; i += batch) {
    const appends = []
    for (let j = i; j < Math.min(n, i + batch); j++) {
      appends.push(store.append(`folder-${j % 100}/doc-${String(j).padStart(6, '0')}`, update))
    }
    await Promise.all(appends)
  }
  // The store's checkpointer thread is unref'd: without another handle, the process would end
  // while close() waits for that thread to exit (Node's exit code 13).
  const alive = setInterval(() => {}, 1000)
  await store.close()
  clearInterval(alive)
}

/** Starts the server on `dir`; resolves with ms to `listening`, its URL and a stop function. */
function start(dir) {
  const t0 = performance.now()
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, DATA_DIR: dir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  return new Promise((resolve, reject) => {
    let buffered = ''
    child.stdout.on('data', (chunk) => {
      buffered += chunk
      for (const line of buffered.split('\n').slice(0, -1)) {
        try {
          const entry = JSON.parse(line)
          if (entry.msg === 'listening') {
            const ms = performance.now() - t0
            const url = entry.url ?? `http://127.0.0.1:${entry.port}`
            resolve({
              ms,
              url,
              stop: () =>
                new Promise((r) => {
                  child.on('exit', r)
                  child.kill('SIGTERM')
                }),
            })
          }
        } catch {}
      }
      buffered = buffered.slice(buffered.lastIndexOf('\n') + 1)
    })
    child.on('exit', (code) => reject(new Error(`server exited ${code}`)))
  })
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function measure(label, dir) {
  const starts = []
  const pages = { first: [], prefix: [], deep: [], common: [], rare: [], search: [], warm: [] }
  let searched = null
  for (let r = 0; r < runs; r++) {
    const server = await start(dir)
    starts.push(server.ms)
    const time = async (path) => {
      const t0 = performance.now()
      const res = await fetch(new URL(path, server.url))
      const body = await res.json()
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`)
      return [performance.now() - t0, body.documents.length, body]
    }
    await time('/api/docs?limit=1') // warm the connection
    pages.first.push((await time('/api/docs?limit=100'))[0])
    pages.prefix.push(
      (await time(`/api/docs?limit=100&prefix=${encodeURIComponent('folder-42/')}`))[0],
    )
    pages.deep.push(
      (await time(`/api/docs?limit=100&cursor=${encodeURIComponent('folder-99/doc-050000')}`))[0],
    )
    // Every name holds `doc`: the page is full after 100 names.
    pages.common.push((await time('/api/docs?limit=100&q=DOC'))[0])
    // `doc-00001` is in 10 names of 100,000, none among the first 5,000.
    const rare = '/api/docs?limit=100&q=doc-00001'
    pages.rare.push((await time(rare))[0])
    // The whole search: every page of it, one request after another.
    const t0 = performance.now()
    let cursor = null
    let requests = 0
    let found = 0
    do {
      const [, n, body] = await time(
        cursor === null ? rare : `${rare}&cursor=${encodeURIComponent(cursor)}`,
      )
      found += n
      requests++
      cursor = body.nextCursor
    } while (cursor !== null)
    pages.search.push(performance.now() - t0)
    searched = { requests, found }
    // The first page again, its names now in SQLite's cache and its code compiled.
    pages.warm.push((await time(rare))[0])
    await server.stop()
  }
  const f = (x) => x.toFixed(1)
  console.log(
    `${label.padEnd(16)} start p50 ${f(median(starts))} ms (min ${f(Math.min(...starts))}, max ${f(Math.max(...starts))}); ` +
      `page of 100: first ${f(median(pages.first))} ms, prefix ${f(median(pages.prefix))} ms, deep cursor ${f(median(pages.deep))} ms`,
  )
  console.log(
    `${''.padEnd(16)} filter q: page that fills early ${f(median(pages.common))} ms, ` +
      `page reading 5,000 names ${f(median(pages.rare))} ms (min ${f(Math.min(...pages.rare))}, max ${f(Math.max(...pages.rare))}; again after the search ${f(median(pages.warm))} ms); ` +
      `whole search of a rare word ${f(median(pages.search))} ms (${searched.requests} requests, ${searched.found} found)`,
  )
}

const empty = mkdtempSync(join(tmpdir(), 'tandem-none-'))
const full = mkdtempSync(join(tmpdir(), 'tandem-many-'))
try {
  await fill(empty, 0)
  const t0 = performance.now()
  await fill(full, count)
  console.log(`stored ${count} documents in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  await measure('0 documents', empty)
  await measure(`${count} documents`, full)
} finally {
  rmSync(empty, { recursive: true, force: true })
  rmSync(full, { recursive: true, force: true })
}
