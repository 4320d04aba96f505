// What attribution costs a store's append (issue 18), without a network or a room: 100,000
// appends of a 28-byte update to one SQLite store, 16 per event-loop turn (one commit each),
// with and without an attribution record, alternating, three times. Prints CPU µs per append
// (the process's user + system time, so the commit's SQLite work included).
//   node bench/attribution-append.mjs   (after `pnpm build`)
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { SqliteStore } from '../apps/sync-server/dist/persistence/sqlite.js'

const APPENDS = 100_000
const PER_TURN = 16
const update = new Uint8Array(28).fill(7)
const author = { name: 'Ada', verified: true, subject: 'sub:ada', color: '#1f77b4' }

/** @param {boolean} attributed */
async function run(attributed) {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-append-'))
  const store = SqliteStore.open(dir)
  const started = process.cpuUsage()
  for (let i = 0; i < APPENDS; i += PER_TURN) {
    const turn = []
    for (let j = 0; j < PER_TURN; j++) {
      const attribution = attributed
        ? { author, timeMs: Date.now(), inserts: [2_147_483_647, i + j, 1], deletes: [] }
        : undefined
      turn.push(store.append('doc', update, attribution))
    }
    await Promise.all(turn)
  }
  const cpu = process.cpuUsage(started)
  await store.close()
  rmSync(dir, { recursive: true, force: true })
  return (cpu.user + cpu.system) / APPENDS
}

const off = []
const on = []
for (let rep = 0; rep < 3; rep++) {
  off.push(await run(false))
  on.push(await run(true))
}
const median = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)[1]
console.log(`| store append, CPU µs | without attribution | with attribution | extra |`)
console.log(`| --- | --- | --- | --- |`)
console.log(
  `| SQLite, 16 per commit (median of 3) | ${median(off).toFixed(2)} | ${median(on).toFixed(2)} | ${(((median(on) - median(off)) / median(off)) * 100).toFixed(0)}% |`,
)
