// Replay: a real editing trace typed through the server by one stock client and watched by
// another, either in a typist's batches (one message per `batch` edits) or one message per
// edit. The writer yields to the event loop after every `batch` edits. `sendMs` is how long the
// writer needed to make and hand over every message, `totalMs` until the watcher's text equals
// the trace's final text exactly; a run still behind 5× its send time later (at least 30 s)
// stops there and reports that time as a lower bound. A concurrent trace is replayed by one raw connection per agent
// sending the updates each agent's own Y.Doc made (merged per `batch` consecutive edits of one
// agent in batch mode).
import * as Y from 'yjs'
import { applyEdit, hasAstral, loadTrace, toUtf16, utf16Edits } from '../lib/traces.mjs'
import { RawClient, stockProvider, waitFor } from './protocol.mjs'

const tick = () => new Promise((resolve) => setImmediate(resolve))

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ trace: string, mode: 'batch' | 'keystroke', batch: number, room: string,
 *   timeoutMs: number }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  const trace = loadTrace(params.trace)
  const expected = trace.endContent
  const watcherDoc = new Y.Doc()
  const watched = watcherDoc.getText('codemirror')
  const watcher = stockProvider(target, params.room, watcherDoc)
  await watcher.synced

  /** @type {(deadline: number) => Promise<number>} */
  let type
  /** @type {() => void} */
  let close
  let messages = 0
  /** @type {() => string[]} */
  let closes = () => []
  if (trace.kind === 'concurrent') {
    const sends = concurrentUpdates(trace, params.mode === 'batch' ? params.batch : 1)
    const agents = await Promise.all(
      Array.from({ length: trace.numAgents ?? 1 }, async () => {
        const client = new RawClient(target, params.room)
        await client.ready
        return client
      }),
    )
    type = async (deadline) => {
      const perTick = params.mode === 'batch' ? 1 : params.batch
      for (let i = 0; i < sends.length; i++) {
        const { agent, update } = /** @type {{ agent: number, update: Uint8Array }} */ (sends[i])
        const client = /** @type {RawClient} */ (agents[agent])
        client.send(client.frame(update))
        messages++
        if ((i + 1) % perTick === 0) {
          await tick()
          if (performance.now() > deadline) return i + 1
        }
      }
      return sends.length
    }
    closes = () => agents.flatMap((client) => (client.closedBy ? [client.closedBy] : []))
    close = () => {
      for (const client of agents) client.close()
    }
  } else {
    const edits = utf16Edits(trace)
    const writerDoc = new Y.Doc()
    const text = writerDoc.getText('codemirror')
    const writer = stockProvider(target, params.room, writerDoc)
    await writer.synced
    if (trace.startContent) {
      text.insert(0, trace.startContent)
      await waitFor(() => watched.length === text.length, params.timeoutMs, 'start content')
    }
    writerDoc.on('update', () => messages++)
    type = async (deadline) => {
      for (let i = 0; i < edits.length; i += params.batch) {
        const chunk = edits.slice(i, i + params.batch)
        if (params.mode === 'batch') {
          writerDoc.transact(() => {
            for (const edit of chunk) applyEdit(text, edit)
          })
        } else {
          for (const edit of chunk) applyEdit(text, edit)
        }
        await tick()
        if (performance.now() > deadline) return i + chunk.length
      }
      return edits.length
    }
    /** @type {string[]} */
    const writerCloses = []
    writer.provider.on('connection-close', (/** @type {any} */ event) => {
      if (event) writerCloses.push(`${event.code} ${event.reason}`)
    })
    writer.provider.on('close', (/** @type {any} */ data) => {
      if (data?.event) writerCloses.push(`${data.event.code} ${data.event.reason}`)
    })
    closes = () => writerCloses
    close = () => writer.destroy()
  }

  await harness.mark('start')
  const started = performance.now()
  const deadline = started + params.timeoutMs
  await type(deadline)
  const sendMs = performance.now() - started
  // A server still behind after five times the send time (at least 30 s) has failed the issue's
  // 1.2× target by far: stop there and report the time as a lower bound.
  // (Not for a concurrent trace: its updates are precomputed, so its send time means nothing.)
  const remainingMs = deadline - performance.now()
  const waitMs =
    trace.kind === 'concurrent' ? remainingMs : Math.min(remainingMs, Math.max(30_000, 5 * sendMs))
  let timedOut = false
  try {
    await waitFor(
      () => watched.length === expected.length && watched.toString() === expected,
      Math.max(0, waitMs),
      'the watcher to hold the final text',
      1,
    )
  } catch {
    timedOut = true
  }
  const totalMs = performance.now() - started
  await harness.mark('end')
  const converged = watched.toString() === expected
  const serverCloses = closes()
  close()
  watcher.destroy()
  return {
    // When timed out, totalS and totalOverSend are lower bounds.
    metrics: { totalS: totalMs / 1000, sendS: sendMs / 1000, totalOverSend: totalMs / sendMs },
    messages,
    timedOut,
    timeoutS: +(totalMs / 1000).toFixed(1),
    serverCloses,
    watcherChars: watched.length,
    expectedChars: expected.length,
    converged,
  }
}

/**
 * Replays a concurrent trace locally, one Y.Doc per agent (each txn applied on top of exactly
 * its ancestors), and returns the updates to send in order, merging up to `batch` consecutive
 * txns of one agent.
 * @param {import('../lib/traces.mjs').Trace} trace
 * @param {number} batch
 */
function concurrentUpdates(trace, batch) {
  const agents = trace.numAgents ?? 1
  // Concurrent insertions at one place are ordered by client id, so the final text depends on
  // which agent gets the larger id: try the orders until one gives the trace's final text.
  const orders = [Array.from({ length: agents }, (_, i) => i + 1)]
  if (agents === 2) orders.push([2, 1])
  for (const ids of orders) {
    const updates = replayConcurrent(trace, ids)
    if (updates) return groupSends(trace, updates, batch)
  }
  throw new Error('the concurrent trace did not replay locally to its endContent')
}

/**
 * One Y.Doc per agent (client ids `ids`), each txn applied on top of exactly its ancestors.
 * Returns every txn's update, or null if the merged result is not the trace's final text.
 * @param {import('../lib/traces.mjs').Trace} trace
 * @param {number[]} ids
 */
function replayConcurrent(trace, ids) {
  const astral = hasAstral(trace)
  const docs = ids.map((id) => {
    const doc = new Y.Doc()
    doc.clientID = id
    return doc
  })
  const seen = docs.map(() => new Set())
  /** @type {Uint8Array[]} */
  const updates = new Array(trace.txns.length)
  /** @param {number} agent @param {number[]} roots */
  const bring = (agent, roots) => {
    const doc = /** @type {Y.Doc} */ (docs[agent])
    const known = /** @type {Set<number>} */ (seen[agent])
    /** @type {[number, boolean][]} */
    const stack = roots.map((p) => [p, false])
    while (stack.length > 0) {
      const [txn, expanded] = /** @type {[number, boolean]} */ (stack.pop())
      if (known.has(txn)) continue
      if (expanded) {
        Y.applyUpdate(doc, /** @type {Uint8Array} */ (updates[txn]))
        known.add(txn)
        continue
      }
      stack.push([txn, true])
      for (const parent of trace.txns[txn]?.parents ?? [])
        if (!known.has(parent)) stack.push([parent, false])
    }
  }
  trace.txns.forEach((txn, i) => {
    const agent = txn.agent ?? 0
    const doc = /** @type {Y.Doc} */ (docs[agent])
    bring(agent, txn.parents ?? [])
    const text = doc.getText('codemirror')
    /** @type {Uint8Array | null} */
    let made = null
    const capture = (/** @type {Uint8Array} */ update) => {
      made = update
    }
    doc.on('update', capture)
    doc.transact(() => {
      // Positions are code points of the agent's own view of the text.
      let content = astral ? text.toString() : ''
      for (const patch of txn.patches) {
        if (!astral) {
          applyEdit(text, patch)
          continue
        }
        const { index, length, next } = toUtf16(content, patch)
        applyEdit(text, [index, length, patch[2]])
        content = next
      }
    })
    doc.off('update', capture)
    updates[i] = made ?? Y.encodeStateAsUpdate(new Y.Doc())
    seen[agent]?.add(i)
  })
  const merged = new Y.Doc()
  for (const update of updates) Y.applyUpdate(merged, update)
  return merged.getText('codemirror').toString() === trace.endContent ? updates : null
}

/**
 * The updates to send in order, merging up to `batch` consecutive txns of one agent.
 * @param {import('../lib/traces.mjs').Trace} trace
 * @param {Uint8Array[]} updates
 * @param {number} batch
 */
function groupSends(trace, updates, batch) {
  /** @type {{ agent: number, update: Uint8Array }[]} */
  const sends = []
  for (let i = 0; i < trace.txns.length; ) {
    const agent = trace.txns[i]?.agent ?? 0
    const group = [/** @type {Uint8Array} */ (updates[i++])]
    while (i < trace.txns.length && group.length < batch && (trace.txns[i]?.agent ?? 0) === agent) {
      group.push(/** @type {Uint8Array} */ (updates[i++]))
    }
    sends.push({
      agent,
      update: group.length === 1 ? /** @type {Uint8Array} */ (group[0]) : Y.mergeUpdates(group),
    })
  }
  return sends
}
