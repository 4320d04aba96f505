// Throughput: `rooms` rooms, each with one raw writer and `receivers` raw receivers (decode, no
// Y.Doc). Each writer keeps at most `depth` updates in flight (sent, not yet seen by all of its
// room's receivers) and sends the next as soon as it may: as fast as the server allows, within
// a bounded window and a bounded number of updates. The updates are one-character insertions
// made once by a real Y.Doc; every room gets the same sequence. A delivered update counts once
// per receiver; a batch that carries several updates counts each.
import * as Y from 'yjs'
import { openAll, RawClient, waitFor } from './protocol.mjs'

/** One-character insertions typed by one client, as Yjs updates. @param {number} count */
function makeUpdates(count) {
  const doc = new Y.Doc()
  doc.clientID = 424242
  const text = doc.getText('codemirror')
  /** @type {Uint8Array[]} */
  const updates = []
  doc.on('update', (/** @type {Uint8Array} */ update) => updates.push(update))
  for (let i = 0; i < count; i++) text.insert(i, String.fromCharCode(97 + (i % 26)))
  return updates
}

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ rooms: number, receivers: number, depth: number, warmupMs: number, windowMs: number,
 *   maxUpdates: number, roomPrefix: string }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  const t0 = performance.now()
  const phase = (/** @type {string} */ name) => {
    if (process.env.BENCH_DEBUG) harness.log(`${name} at ${(performance.now() - t0).toFixed(0)} ms`)
  }
  const updates = makeUpdates(params.maxUpdates)
  phase('updates made')
  let delivered = 0
  let sending = true

  const rooms = await openAll(params.rooms, 10, async (r) => {
    const name = `${params.roomPrefix}-${r}`
    const writer = new RawClient(target, name)
    await writer.ready
    /** The frame of update i (for the relay: the update behind its 1-based index). */
    const frame = (/** @type {number} */ i) => {
      const update = /** @type {Uint8Array} */ (updates[i])
      if (target.protocol !== 'relay') return writer.frame(update)
      const bytes = new Uint8Array(update.length + 4)
      new DataView(bytes.buffer).setUint32(0, i + 1)
      bytes.set(update, 4)
      return bytes
    }
    const room = { name, writer, sent: 0, seen: new Array(params.receivers).fill(0) }
    const pump = () => {
      if (!sending) return
      let least = room.seen[0]
      for (const n of room.seen) if (n < least) least = n
      while (room.sent < updates.length && room.sent - least < params.depth) {
        writer.send(frame(room.sent++))
      }
    }
    const receivers = await Promise.all(
      room.seen.map(async (_, i) => {
        const client = new RawClient(target, name)
        client.onUpdate = (update) => {
          let n
          if (target.protocol === 'relay') {
            n = new DataView(update.buffer, update.byteOffset).getUint32(0)
          } else {
            n = Y.parseUpdateMeta(update).to.get(424242) ?? 0
          }
          if (n > room.seen[i]) {
            delivered += n - room.seen[i]
            room.seen[i] = n
            pump()
          }
        }
        await client.ready
        return client
      }),
    )
    return { ...room, receivers, pump }
  })

  phase('connected')
  for (const room of rooms) room.pump()
  await new Promise((resolve) => setTimeout(resolve, params.warmupMs))
  const before = delivered
  await harness.mark('start')
  const started = performance.now()
  await new Promise((resolve) => setTimeout(resolve, params.windowMs))
  const inWindow = delivered - before
  const elapsedMs = performance.now() - started
  await harness.mark('end')
  sending = false
  const exhausted = rooms.filter((room) => room.sent >= updates.length).length
  // Let what is in flight arrive, then check every receiver saw every update sent.
  let converged = true
  try {
    await waitFor(
      () => rooms.every((room) => room.seen.every((n) => n >= room.sent)),
      10_000,
      'in-flight updates',
    )
  } catch {
    converged = false
  }
  phase('drained')
  for (const room of rooms) {
    room.writer.close()
    for (const client of room.receivers) client.close()
  }
  return {
    metrics: { deliveredPerS: (inWindow / elapsedMs) * 1000 },
    deliveredInWindow: inWindow,
    windowMs: elapsedMs,
    exhaustedRooms: exhausted,
    converged,
  }
}
