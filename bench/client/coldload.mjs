// Cold load of a large document: `docs` rooms each get the same large document (a Yjs update
// holding a whole editing history), the server restarts, and a fresh raw client per room loads
// it from storage (cold); then further fresh clients load it from the loaded room. The time is
// from opening the socket to the arrival of the message after which the received updates hold
// the whole text (found afterwards by applying them, outside the timing). One stock client also
// loads it end to end (its own decoding included). Memory: the server's RSS and heap before and
// after the rooms are loaded from storage, per document.
import { readFileSync } from 'node:fs'
import * as Y from 'yjs'
import { RawClient, stockProvider, waitFor } from './protocol.mjs'

/**
 * Loads `room` with a raw client; resolves with the time until the whole text had arrived.
 * @param {import('./protocol.mjs').Target} target
 * @param {string} room
 * @param {string} expected
 * @param {number} timeoutMs
 */
async function rawLoad(target, room, expected, timeoutMs) {
  /** @type {{ update: Uint8Array, atMs: number }[]} */
  const received = []
  const started = performance.now()
  const client = new RawClient(target, room)
  client.onUpdate = (update, atMs) => received.push({ update: update.slice(), atMs })
  await client.ready
  // Apply what arrived (untimed) until the text is whole; the reference server may send the
  // stored state as an update after its sync step 2.
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  let applied = 0
  /** @type {number | null} */
  let doneAt = null
  await waitFor(
    () => {
      while (applied < received.length && doneAt === null) {
        const { update, atMs } = /** @type {{ update: Uint8Array, atMs: number }} */ (
          received[applied++]
        )
        Y.applyUpdate(doc, update)
        if (text.length === expected.length) doneAt = atMs
      }
      return doneAt !== null
    },
    timeoutMs,
    `the whole document from ${room}`,
  )
  const exact = text.toString() === expected
  return { client, ms: /** @type {number} */ (doneAt) - started, exact }
}

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ docs: number, loadedSamples: number, updateFile: string, textFile: string,
 *   roomPrefix: string, timeoutMs: number }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  const update = new Uint8Array(readFileSync(params.updateFile))
  const expected = readFileSync(params.textFile, 'utf8')
  const rooms = Array.from({ length: params.docs }, (_, i) => `${params.roomPrefix}-${i}`)

  // Upload: one stock client per room pushes the document, a second one checks it arrived.
  for (const room of rooms) {
    const doc = new Y.Doc()
    Y.applyUpdate(doc, update)
    const writer = stockProvider(target, room, doc)
    await writer.synced
    const check = await rawLoad(target, room, expected, params.timeoutMs)
    check.client.close()
    writer.destroy()
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  const restarted = await harness.restart()
  target = { ...target, wsUrl: restarted.wsUrl }
  await new Promise((resolve) => setTimeout(resolve, 500))

  const before = await harness.memory()
  await harness.mark('start')
  let exact = true
  const coldMs = []
  const holders = []
  for (const room of rooms) {
    const cold = await rawLoad(target, room, expected, params.timeoutMs)
    coldMs.push(cold.ms)
    exact &&= cold.exact
    holders.push(cold.client)
  }
  await new Promise((resolve) => setTimeout(resolve, 200))
  const after = await harness.memory()

  const loadedMs = []
  for (let s = 0; s < params.loadedSamples; s++) {
    for (const room of rooms) {
      const warm = await rawLoad(target, room, expected, params.timeoutMs)
      loadedMs.push(warm.ms)
      exact &&= warm.exact
      warm.client.close()
    }
  }

  // End to end with the stock client, its own decoding included.
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  const started = performance.now()
  const stock = stockProvider(target, /** @type {string} */ (rooms[0]), doc)
  await waitFor(() => text.length === expected.length, params.timeoutMs, 'stock client load', 1)
  const stockMs = performance.now() - started
  exact &&= text.toString() === expected
  await harness.mark('end')
  stock.destroy()
  for (const client of holders) client.close()

  const sorted = (/** @type {number[]} */ xs) => [...xs].sort((a, b) => a - b)
  const mid = (/** @type {number[]} */ xs) => /** @type {number} */ (sorted(xs)[xs.length >> 1])
  return {
    metrics: {
      coldMs: mid(coldMs),
      loadedMs: mid(loadedMs),
      stockLoadedMs: stockMs,
      rssPerDocMB: (after.rss - before.rss) / params.docs / 2 ** 20,
      heapPerDocMB: (after.heapUsed - before.heapUsed) / params.docs / 2 ** 20,
    },
    coldSamplesMs: coldMs,
    loadedSamplesMs: loadedMs,
    updateBytes: update.length,
    converged: exact,
  }
}
