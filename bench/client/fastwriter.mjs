// Fast writer (issue 14): a stock client types a trace in transactions of `batch` edits as fast
// as it can (a script importing notes, an agent writing), one transaction per turn of the event
// loop, while a stock watcher of the same address reads along. Once every transaction is handed
// to the writer's socket, a second stock client of the same address joins the room: how long it
// takes to sync is `joinMs`. `totalS` runs from the first edit until the watcher holds the
// trace's final text (or the deadline); `deliveredPct` is the share of the writer's items that
// reached the watcher; `disconnects` counts the writer's and the watcher's lost connections.
import * as Y from 'yjs'
import { applyEdit, loadTrace, utf16Edits } from '../lib/traces.mjs'
import { stockProvider, waitFor } from './protocol.mjs'

const tick = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Counts the times `provider` (y-websocket's or Hocuspocus's) reports that it lost its
 * connection.
 * @param {any} provider
 */
function countDisconnects(provider) {
  const counter = { count: 0, reasons: /** @type {string[]} */ ([]) }
  provider.on('status', (/** @type {{ status: string }} */ event) => {
    if (event?.status === 'disconnected') counter.count++
  })
  // y-websocket reports the close event itself; Hocuspocus has `close`.
  for (const name of ['connection-close', 'close']) {
    provider.on(name, (/** @type {any} */ data) => {
      const event = data?.event ?? data
      if (event?.code && counter.reasons.length < 10)
        counter.reasons.push(`${event.code} ${event.reason ?? ''}`.trim())
    })
  }
  return counter
}

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ trace: string, batch: number, room: string, timeoutMs: number }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  const trace = loadTrace(params.trace)
  const expected = trace.endContent
  const edits = utf16Edits(trace)

  const watcherDoc = new Y.Doc()
  const watched = watcherDoc.getText('codemirror')
  const watcher = stockProvider(target, params.room, watcherDoc)
  await watcher.synced
  const writerDoc = new Y.Doc()
  const text = writerDoc.getText('codemirror')
  const writer = stockProvider(target, params.room, writerDoc)
  await writer.synced
  if (trace.startContent) {
    text.insert(0, trace.startContent)
    await waitFor(() => watched.length === text.length, params.timeoutMs, 'start content')
  }
  const writerLost = countDisconnects(writer.provider)
  const watcherLost = countDisconnects(watcher.provider)

  await harness.mark('start')
  const started = performance.now()
  const deadline = started + params.timeoutMs
  let transactions = 0
  for (let i = 0; i < edits.length && performance.now() < deadline; i += params.batch) {
    writerDoc.transact(() => {
      for (const edit of edits.slice(i, i + params.batch)) applyEdit(text, edit)
    })
    transactions++
    await tick()
  }
  const sendMs = performance.now() - started

  // The writer's edits are on their way (held back by a rate limit, if the server has one):
  // someone else of the same address opens the document now.
  const joinStarted = performance.now()
  const joinerDoc = new Y.Doc()
  const joiner = stockProvider(target, params.room, joinerDoc)
  let joinMs = Number.NaN
  try {
    await Promise.race([
      joiner.synced,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('join timed out')), Math.max(0, deadline - joinStarted)),
      ),
    ])
    joinMs = performance.now() - joinStarted
  } catch {
    // joinMs stays NaN: it did not join before the deadline.
  }
  const writerBehindAtJoin = watched.length !== expected.length || watched.toString() !== expected

  let timedOut = false
  try {
    await waitFor(
      () => watched.length === expected.length && watched.toString() === expected,
      Math.max(0, deadline - performance.now()),
      'the watcher to hold the final text',
      2,
    )
  } catch {
    timedOut = true
  }
  const totalMs = performance.now() - started
  await harness.mark('end')
  const writerId = writerDoc.clientID
  const sent = Y.encodeStateVector(writerDoc)
  const got = Y.encodeStateVector(watcherDoc)
  const clockOf = (/** @type {Uint8Array} */ sv) => Y.decodeStateVector(sv).get(writerId) ?? 0
  const deliveredPct = (100 * clockOf(got)) / Math.max(1, clockOf(sent))
  const converged = watched.toString() === expected
  // Counted before the clients are destroyed: destroying one reports a disconnection too.
  const disconnects = writerLost.count + watcherLost.count
  const closes = [...writerLost.reasons, ...watcherLost.reasons]
  joiner.destroy()
  writer.destroy()
  watcher.destroy()
  return {
    metrics: {
      totalS: totalMs / 1000,
      sendS: sendMs / 1000,
      deliveredPct,
      disconnects,
      joinMs,
    },
    edits: edits.length,
    transactions,
    writerBehindAtJoin,
    closes,
    timedOut,
    converged,
  }
}
