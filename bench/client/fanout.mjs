// Fan-out latency: one stock client types one character every `intervalMs` into a room watched
// by `receivers` raw clients (decode, no Y.Doc). Latency = arrival at a receiver − the moment
// the writer made the edit; keystroke i has Yjs clock i of the writer, which is how arrivals are
// matched (a batch that carries several keystrokes counts each one). For the raw floor the
// writer is raw too and frames carry their index. The first `warmup` keystrokes are typed the
// same way but not measured: they time a server's first pass through its code (V8 compiling it
// on the same pinned core), which no steady figure should include.
import * as Y from 'yjs'
import { latencyPercentiles } from '../lib/stats.mjs'
import { openAll, RawClient, stockProvider, waitFor } from './protocol.mjs'

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {{ receivers: number, keystrokes: number, warmup?: number, intervalMs: number, room: string, flood?: boolean }} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  const { receivers: count, keystrokes, warmup = 0, intervalMs, room, flood = false } = params
  const typed = warmup + keystrokes
  const sentAt = new Float64Array(typed)
  const latencies = new Float64Array(count * keystrokes)
  let samples = 0
  let got = 0
  let writerClient = -1

  /** @param {number} index @param {number} atMs */
  const record = (index, atMs) => {
    if (index < warmup || index >= typed || sentAt[index] === 0) return
    latencies[samples++] = atMs - sentAt[index]
    got++
  }

  const receivers = await openAll(count, 50, async () => {
    const client = new RawClient(target, room)
    client.onUpdate = (update, atMs) => {
      if (target.protocol === 'relay') {
        record(new DataView(update.buffer, update.byteOffset).getUint32(0), atMs)
        return
      }
      if (writerClient < 0) return
      const meta = Y.parseUpdateMeta(update)
      const from = meta.from.get(writerClient) ?? 0
      const to = meta.to.get(writerClient) ?? 0
      for (let clock = from; clock < to; clock++) record(clock, atMs)
    }
    await client.ready
    return client
  })

  /** @type {(index: number) => void} */
  let type
  /** @type {() => void} */
  let closeWriter
  if (target.protocol === 'relay') {
    const writer = new RawClient(target, room)
    await writer.ready
    const frame = new Uint8Array(24)
    type = (index) => {
      new DataView(frame.buffer).setUint32(0, index)
      sentAt[index] = performance.now()
      writer.send(frame)
    }
    closeWriter = () => writer.close()
  } else {
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    const stock = stockProvider(target, room, doc)
    await stock.synced
    writerClient = doc.clientID
    type = (index) => {
      sentAt[index] = performance.now()
      text.insert(index, String.fromCharCode(97 + (index % 26)))
    }
    closeWriter = () => stock.destroy()
  }
  await new Promise((resolve) => setTimeout(resolve, 200))

  // With `flood`, a client of another room sends valid updates as fast as it can meanwhile.
  let flooding = flood
  const flooder = flood ? floodRoom(target, `${room}-flood`, () => !flooding) : null
  if (flood) await new Promise((resolve) => setTimeout(resolve, 200))

  await harness.mark('start')
  const started = performance.now()
  for (let i = 0; i < typed; i++) {
    const due = started + i * intervalMs
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    type(i)
  }
  const expected = keystrokes * count
  let lost = 0
  try {
    await waitFor(() => got >= expected, 10_000, 'every keystroke at every receiver')
  } catch {
    lost = expected - got
  }
  await harness.mark('end')
  flooding = false
  const flooded = flooder ? await flooder : null
  closeWriter()
  for (const client of receivers) client.close()
  const lat = latencyPercentiles(latencies.subarray(0, samples))
  return {
    metrics: { p50Ms: lat.p50, p95Ms: lat.p95, p99Ms: lat.p99, maxMs: lat.max },
    samples: lat.samples,
    lost,
    converged: lost === 0,
    ...(flooded ? { flood: flooded } : {}),
  }
}

/**
 * Sends valid single-character updates into `room` as fast as the socket takes them (its send
 * buffer bounded to 1 MiB), reconnecting whenever the server closes the connection, until
 * `stop()`. Resolves with how many updates were sent over how many connections.
 * @param {import('./protocol.mjs').Target} target
 * @param {string} room
 * @param {() => boolean} stop
 */
async function floodRoom(target, room, stop) {
  let sent = 0
  let connections = 0
  while (!stop()) {
    const client = new RawClient(target, room)
    connections++
    try {
      await client.ready
    } catch {
      // Refused (a rate limit, 429): try again shortly, as a persistent attacker would.
      await new Promise((resolve) => setTimeout(resolve, 20))
      continue
    }
    let open = true
    client.ws.on('close', () => {
      open = false
    })
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    doc.on('update', (/** @type {Uint8Array} */ update) => {
      if (open) client.send(client.frame(update))
    })
    while (open && !stop()) {
      for (let i = 0; i < 50 && open; i++) {
        text.insert(0, 'x')
        sent++
      }
      await new Promise((resolve) => setImmediate(resolve))
      while (open && !stop() && client.ws.bufferedAmount > 1 << 20) {
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
    }
    client.close()
    doc.destroy()
  }
  return { sent, connections }
}
