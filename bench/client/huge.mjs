// A 10 MB document, and other rooms meanwhile (issue 17). One run against one fresh server:
//
// 1. The huge document. A stock client uploads it (one 10.7 MB update), the server restarts, and
//    a fresh STOCK client (y-websocket's WebsocketProvider, or HocuspocusProvider) loads it from
//    storage (cold); then further fresh stock clients load it from the loaded room, first with
//    nobody typing in it, then while a raw typist types a character every 200 ms; each until its
//    text equals the document's exactly (plus the typed letters), its own decoding included. Each
//    stock client's liveness is watched the way its own 30 s check sees it: the longest time
//    since it last received a message (sampled every 20 ms) and every close of its socket. The
//    server's heap and RSS before and after the cold load give the memory per loaded document.
// 2. Isolation. Ten other rooms, each one stock writer typing a character every 10 ms to three
//    raw receivers (measured as in fanout.mjs: keystroke i is the writer's Yjs clock i), type
//    throughout, and a raw client holds the huge room open. Windows, each measured over the
//    keystrokes typed in it: at rest; fresh clients joining the huge room (one a second);
//    someone typing in it every 200 ms; fresh clients joining meanwhile; its text
//    exported through the API (Tandem only); named versions saved, and one restored (Tandem
//    only); 500 keystrokes typed into it by four typists, then the pause after which each server
//    rewrites what it stores of it (Tandem: compaction, once 500 updates are stored and editing
//    has paused for 2 s; Hocuspocus: its debounced store of the whole document; the reference
//    stores each update and rewrites nothing); everyone leaving it (the server saves and unloads
//    it); a fresh client loading it from storage again; at rest again.
//
// Nothing in this process holds a Y.Doc of the huge document during the isolation phase: one
// is over 100 MB of small objects, and every full collection of this process (the one that
// stamps the arrivals) would then take most of a second. So the joiners and the holder are raw
// clients (no Y.Doc): the server sends them the same bytes as it would a stock client.
import { readFileSync } from 'node:fs'
import http from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'
import { latencyPercentiles } from '../lib/stats.mjs'
import { openAll, RawClient, stockProvider, waitFor } from './protocol.mjs'

const ROOT = 'codemirror'
const CONTENT_STRING = 4
const HAS_ORIGIN = 0x80
const AWARENESS = 1

/**
 * @typedef {{ updateFile: string, textFile: string, roomPrefix: string, tandem: boolean,
 *   loadedSamples: number, loadTimeoutMs: number, settleMs: number,
 *   rooms: number, receivers: number, intervalMs: number, typistEveryMs: number,
 *   warmupMs: number, restMs: number, typingMs: number, opMs: number, joinEveryMs: number,
 *   burstTypists: number, burstKeystrokes: number, burstEveryMs: number, quietMs: number,
 *   opTimeoutMs: number, graceMs: number, metricsEveryMs: number, pollEveryMs: number }} HugeParams
 */

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * The Yjs update (v1) of `client`'s keystroke `clock`: one character inserted right after the
 * item `origin` (no right origin), no deletions: what a client makes typing at the end of a text.
 * @param {number} client @param {number} clock @param {string} char
 * @param {{ client: number, clock: number }} origin
 */
export function keystrokeAfter(client, clock, char, origin) {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // one client
  encoding.writeVarUint(e, 1) // one struct
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, clock)
  encoding.writeUint8(e, CONTENT_STRING | HAS_ORIGIN)
  encoding.writeVarUint(e, origin.client)
  encoding.writeVarUint(e, origin.clock)
  encoding.writeVarString(e, char)
  encoding.writeVarUint(e, 0) // empty delete set
  return encoding.toUint8Array(e)
}

/** Throws unless `keystrokeAfter` makes the bytes Yjs makes for the same typing. */
function checkEncoding() {
  const a = new Y.Doc()
  a.clientID = 77
  a.getText(ROOT).insert(0, 'abc')
  const b = new Y.Doc()
  b.clientID = 1_234_567
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
  /** @type {Uint8Array[]} */
  const made = []
  b.on('update', (/** @type {Uint8Array} */ u) => made.push(u))
  b.getText(ROOT).insert(3, 'x')
  b.getText(ROOT).insert(4, 'y')
  const mine = [
    keystrokeAfter(b.clientID, 0, 'x', { client: 77, clock: 2 }),
    keystrokeAfter(b.clientID, 1, 'y', { client: b.clientID, clock: 0 }),
  ]
  made.forEach((update, i) => {
    if (Buffer.compare(Buffer.from(update), Buffer.from(/** @type {Uint8Array} */ (mine[i]))))
      throw new Error(`hand-made keystroke ${i} differs from Yjs's`)
  })
}

/** The id of the last character (deleted or not) of `doc`'s text. @param {Y.Doc} doc */
function lastItemId(doc) {
  let item = doc.getText(ROOT)._start
  /** @type {any} */
  let last = null
  while (item) {
    last = item
    item = item.right
  }
  if (!last) throw new Error('the document has no text')
  return { client: last.id.client, clock: last.id.clock + last.length - 1 }
}

/**
 * A raw connection that types at the end of the huge document: its first character right after
 * the document's last item, each next one after its own previous one.
 */
class Typist {
  /** @param {import('./protocol.mjs').Target} target @param {string} room
   * @param {number} client @param {{ client: number, clock: number }} after */
  constructor(target, room, client, after) {
    this.client = client
    this.after = after
    this.clock = 0
    this.raw = new RawClient(target, room)
    this.ready = this.raw.ready.then(() =>
      keepAlive(this.raw, /** @type {'yws' | 'hocus'} */ (target.protocol), client),
    )
  }

  type() {
    const origin = this.clock === 0 ? this.after : { client: this.client, clock: this.clock - 1 }
    const char = String.fromCharCode(97 + (this.clock % 26))
    this.raw.send(this.raw.frame(keystrokeAfter(this.client, this.clock, char, origin)))
    this.clock++
  }

  close() {
    this.raw.close()
  }
}

/**
 * Sends an awareness renewal for `raw` every 15 s, as a stock client does: Tandem closes a
 * connection that completes no message for IDLE_TIMEOUT_MS (90 s).
 * @param {RawClient} raw @param {'yws' | 'hocus'} protocol @param {number} clientId
 */
function keepAlive(raw, protocol, clientId) {
  let clock = 0
  const renew = () => {
    const update = encoding.createEncoder()
    encoding.writeVarUint(update, 1)
    encoding.writeVarUint(update, clientId)
    encoding.writeVarUint(update, ++clock)
    encoding.writeVarString(update, '{}')
    const frame = encoding.createEncoder()
    if (protocol === 'hocus') encoding.writeVarString(frame, raw.room)
    encoding.writeVarUint(frame, AWARENESS)
    encoding.writeVarUint8Array(frame, encoding.toUint8Array(update))
    if (raw.ws.readyState === raw.ws.OPEN) raw.send(encoding.toUint8Array(frame))
  }
  const timer = setInterval(renew, 15_000)
  timer.unref()
  raw.ws.once('close', () => clearInterval(timer))
}

/**
 * Watches a stock provider as its own liveness check does: the longest time since it last
 * received a message (sampled every 20 ms, so a stall of this process counts too, as it would
 * for the provider) and how often its socket closed.
 * @param {any} provider @param {'yws' | 'hocus'} protocol
 */
function watchLiveness(provider, protocol) {
  const startedMs = Date.now()
  const last = () =>
    (protocol === 'hocus'
      ? provider.configuration?.websocketProvider?.lastMessageReceived
      : provider.wsLastMessageReceived) || 0
  let longestMs = 0
  let closes = 0
  const tick = () => {
    longestMs = Math.max(longestMs, Date.now() - Math.max(last(), startedMs))
  }
  const timer = setInterval(tick, 20)
  provider.on(protocol === 'hocus' ? 'close' : 'connection-close', () => {
    closes++
  })
  return {
    /** Restarts the longest-silence figure (the closes keep counting). */
    reset() {
      longestMs = 0
    },
    read() {
      tick()
      return { longestSilenceMs: longestMs, closes }
    },
    stop() {
      clearInterval(timer)
    },
  }
}

/**
 * When the frames a provider's socket received first add up to `minBytes`, stamped before the
 * provider handles them (its own listener runs first otherwise, and applying 10 MB takes
 * seconds): the server's part of a load, as this client saw it.
 * @param {any} provider @param {'yws' | 'hocus'} protocol @param {number} minBytes
 */
function watchArrival(provider, protocol, minBytes) {
  const state = { bytes: 0, atMs: 0 }
  /** @type {any} */
  let hooked = null
  const hook = () => {
    const ws =
      protocol === 'hocus' ? provider.configuration?.websocketProvider?.webSocket : provider.ws
    if (!ws || ws === hooked || typeof ws.prependListener !== 'function') return
    hooked = ws
    ws.prependListener('message', (/** @type {Buffer | ArrayBuffer} */ data) => {
      state.bytes += data.byteLength
      if (!state.atMs && state.bytes >= minBytes) state.atMs = performance.now()
    })
  }
  hook()
  const timer = setInterval(hook, 1)
  return {
    state,
    stop: () => clearInterval(timer),
  }
}

/**
 * A fresh stock client loads `room`: resolves once its text has `expected`'s length and says
 * whether it equals it exactly (with `typedAfter`: whether it starts with it, followed by
 * typed letters only).
 * @param {import('./protocol.mjs').Target} target @param {string} room @param {string} expected
 * @param {{ timeoutMs: number, minBytes: number, typedAfter?: boolean }} options
 */
async function stockLoad(target, room, expected, { timeoutMs, minBytes, typedAfter = false }) {
  const doc = new Y.Doc()
  const text = doc.getText(ROOT)
  const started = performance.now()
  const stock = stockProvider(target, room, doc)
  const protocol = /** @type {'yws' | 'hocus'} */ (target.protocol)
  const arrival = watchArrival(stock.provider, protocol, minBytes)
  const liveness = watchLiveness(stock.provider, protocol)
  await waitFor(() => text.length >= expected.length, timeoutMs, `a stock client of ${room}`, 1)
  const ms = performance.now() - started
  arrival.stop()
  const { longestSilenceMs, closes } = liveness.read()
  const got = text.toString()
  const exact = typedAfter
    ? got.startsWith(expected) && /^[a-z]*$/.test(got.slice(expected.length))
    : got === expected
  const arrivedMs = arrival.state.atMs ? arrival.state.atMs - started : Number.NaN
  return { stock, doc, liveness, ms, arrivedMs, longestSilenceMs, closes, exact }
}

/**
 * A fresh raw client joins `room`: resolves once `minBytes` of document have arrived.
 * @param {import('./protocol.mjs').Target} target @param {string} room @param {number} minBytes
 * @param {number} timeoutMs @param {boolean} [keep] keep the updates received
 */
async function rawJoin(target, room, minBytes, timeoutMs, keep = false) {
  const started = performance.now()
  let bytes = 0
  let doneAtMs = 0
  /** @type {Uint8Array[]} */
  const updates = []
  const client = new RawClient(target, room)
  client.onUpdate = (update, atMs) => {
    bytes += update.length
    if (keep) updates.push(update.slice())
    if (!doneAtMs && bytes >= minBytes) doneAtMs = atMs
  }
  try {
    await client.ready
    await waitFor(() => doneAtMs > 0, timeoutMs, `the document from ${room}`, 2)
  } catch (err) {
    client.close()
    throw err
  }
  return { client, ms: doneAtMs - started, updates }
}

/**
 * One HTTP request; resolves with its status, duration, body size and (JSON) body.
 * @param {string} method @param {string} url @param {unknown} [json]
 * @param {number} [timeoutMs]
 * @returns {Promise<{ status: number, ms: number, bytes: number, body: any, error?: string }>}
 */
function request(method, url, json, timeoutMs = 60_000) {
  const started = performance.now()
  return new Promise((resolve) => {
    const payload = json === undefined ? null : Buffer.from(JSON.stringify(json))
    const req = http.request(
      url,
      {
        method,
        headers: payload
          ? { 'content-type': 'application/json', 'content-length': payload.length }
          : {},
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = []
        res.on('data', (chunk) => chunks.push(chunk))
        res.on('end', () => {
          const data = Buffer.concat(chunks)
          let body = null
          if (/json/.test(String(res.headers['content-type']))) {
            try {
              body = JSON.parse(data.toString('utf8'))
            } catch {
              // not JSON after all
            }
          }
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - started,
            bytes: data.length,
            body,
          })
        })
        res.on('error', (err) =>
          resolve({
            status: 0,
            ms: performance.now() - started,
            bytes: 0,
            body: null,
            error: err.message,
          }),
        )
      },
    )
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)))
    req.on('error', (err) =>
      resolve({
        status: 0,
        ms: performance.now() - started,
        bytes: 0,
        body: null,
        error: err.message,
      }),
    )
    req.end(payload ?? undefined)
  })
}

/**
 * Tandem's own figures, scraped from /metrics: stored compactions, loaded documents, and the
 * longest event-loop delay since the previous scrape (prom-client resets it at each scrape).
 * @param {string} httpUrl
 */
async function scrape(httpUrl) {
  const answer = await new Promise((resolve) => {
    http
      .get(`${httpUrl}/metrics`, (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (chunk) => {
          text += chunk
        })
        res.on('end', () => resolve(text))
        res.on('error', () => resolve(''))
      })
      .on('error', () => resolve(''))
  })
  const value = (/** @type {string} */ name) => {
    const match = new RegExp(`^${name} ([0-9.e+-]+)`, 'm').exec(/** @type {string} */ (answer))
    return match ? Number(match[1]) : Number.NaN
  }
  return {
    atMs: performance.now(),
    compactions: value('tandem_store_compaction_seconds_count'),
    roomsLoaded: value('tandem_rooms_loaded'),
    lagMaxMs: value('tandem_nodejs_eventloop_lag_max_seconds') * 1000,
  }
}

/** @param {number[]} xs */
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted.length ? /** @type {number} */ (sorted[sorted.length >> 1]) : Number.NaN
}

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {HugeParams} params
 * @param {import('./worker.mjs').Harness & { quiet: () => Promise<unknown> }} harness
 */
export async function run(target, params, harness) {
  checkEncoding()
  const update = new Uint8Array(readFileSync(params.updateFile))
  const expected = readFileSync(params.textFile, 'utf8')
  const hugeRoom = `${params.roomPrefix}-huge`
  const minBytes = Math.floor(update.length * 0.9)
  const protocol = /** @type {'yws' | 'hocus'} */ (target.protocol)

  // --- 1. The huge document ---------------------------------------------------------------
  // Upload: a stock client that has the document syncs it to the server; a raw reader confirms.
  // In a function of its own, so that nothing keeps its Y.Doc (over 100 MB of small objects)
  // alive afterwards: this process's full collections would take most of a second.
  const upload = async () => {
    const uploadDoc = new Y.Doc()
    Y.applyUpdate(uploadDoc, update)
    if (uploadDoc.getText(ROOT).toString() !== expected)
      throw new Error('the update does not read as its text')
    const after = lastItemId(uploadDoc)
    const taken = new Set(uploadDoc.store.clients.keys())
    const uploadStarted = performance.now()
    const writer = stockProvider(target, hugeRoom, uploadDoc)
    await writer.synced
    for (const deadline = performance.now() + params.loadTimeoutMs; ; ) {
      try {
        const check = await rawJoin(target, hugeRoom, minBytes, 5_000)
        check.client.close()
        break
      } catch (err) {
        if (performance.now() > deadline) throw err
        await sleep(200)
      }
    }
    const uploadMs = performance.now() - uploadStarted
    writer.destroy()
    uploadDoc.destroy()
    return { after, taken, uploadMs }
  }
  const { after, taken, uploadMs } = await upload()
  harness.log(`uploaded in ${(uploadMs / 1000).toFixed(1)} s; restarting`)
  // Each server stores on its own schedule (Tandem compacts 2 s after the last edit, Hocuspocus
  // stores when the last client leaves); each also stores on SIGTERM.
  await sleep(params.settleMs)
  const restarted = await harness.restart()
  target = { ...target, wsUrl: restarted.wsUrl }
  const httpUrl = target.wsUrl.replace(/^ws/, 'http')
  await sleep(500)

  const before = await harness.memory()
  const load = { timeoutMs: params.loadTimeoutMs, minBytes }
  /** The cold load, then a raw client that keeps the room loaded; only figures kept. */
  const coldLoad = async () => {
    const one = await stockLoad(target, hugeRoom, expected, load)
    await sleep(200)
    const memory = await harness.memory()
    // From here a raw client keeps the room loaded: a stock client's Y.Doc of the document
    // would make every full collection of this process take most of a second, and this
    // process stamps the arrivals.
    const holder = await rawJoin(target, hugeRoom, minBytes, params.loadTimeoutMs)
    keepAlive(holder.client, protocol, 2999)
    one.liveness.stop()
    one.stock.destroy()
    one.doc.destroy()
    const { ms, arrivedMs, longestSilenceMs, closes } = one
    return {
      figures: { ms, arrivedMs, longestSilenceMs, closes },
      exact: one.exact,
      memory,
      holder,
    }
  }
  const { figures: cold, exact: coldExact, memory: loadedMemory, holder } = await coldLoad()
  harness.log(`cold stock load ${(cold.ms / 1000).toFixed(2)} s (exact: ${coldExact})`)
  let exact = coldExact
  /** Fresh stock clients of the loaded room, one after another. @param {boolean} typedAfter */
  const loadSamples = async (typedAfter) => {
    const out = []
    for (let i = 0; i < params.loadedSamples; i++) {
      const one = await stockLoad(target, hugeRoom, expected, { ...load, typedAfter })
      exact &&= one.exact
      out.push({
        ms: one.ms,
        arrivedMs: one.arrivedMs,
        longestSilenceMs: one.longestSilenceMs,
        closes: one.closes,
      })
      one.liveness.stop()
      one.stock.destroy()
      one.doc.destroy()
      await sleep(100)
    }
    return out
  }
  const loaded = await loadSamples(false)
  const rawLoaded = []
  for (let i = 0; i < params.loadedSamples; i++) {
    const one = await rawJoin(target, hugeRoom, minBytes, params.loadTimeoutMs)
    rawLoaded.push(one.ms)
    one.client.close()
  }

  // Someone types in the huge room at a human rate from here on (until the burst below).
  const freshClient = (/** @type {number} */ from) => {
    let id = from
    while (taken.has(id)) id++
    taken.add(id)
    return id
  }
  const typist = new Typist(target, hugeRoom, freshClient(2001), after)
  await typist.ready
  /** Whether the typist types; `stopTyping` ends its loop for good. */
  let typistOn = true
  let typistDone = false
  let pausedAtMs = 0
  const typistLoop = (async () => {
    while (!typistDone) {
      if (typistOn) typist.type()
      await sleep(params.typistEveryMs)
    }
  })()
  const pauseTypist = () => {
    typistOn = false
    pausedAtMs = performance.now()
  }
  await sleep(500)
  const loadedTyping = await loadSamples(true)
  pauseTypist()
  const all = [cold, ...loaded, ...loadedTyping]
  const hugeResult = {
    updateBytes: update.length,
    textLength: expected.length,
    uploadMs,
    coldMs: cold.ms,
    coldArrivedMs: cold.arrivedMs,
    loadedMs: loaded.map((l) => l.ms),
    loadedArrivedMs: loaded.map((l) => l.arrivedMs),
    loadedTypingMs: loadedTyping.map((l) => l.ms),
    loadedTypingArrivedMs: loadedTyping.map((l) => l.arrivedMs),
    rawLoadedMs: rawLoaded,
    longestSilenceMs: Math.max(...all.map((l) => l.longestSilenceMs)),
    closes: all.reduce((sum, l) => sum + l.closes, 0),
    memoryBefore: before,
    memoryLoaded: loadedMemory,
    heapPerDocMB: (loadedMemory.heapUsed - before.heapUsed) / 2 ** 20,
    arrayBuffersPerDocMB: (loadedMemory.arrayBuffers - before.arrayBuffers) / 2 ** 20,
    rssPerDocMB: (loadedMemory.rss - before.rss) / 2 ** 20,
    exact,
  }

  globalThis.gc?.()
  harness.log(`load generator heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(0)} MB`)
  // --- 2. Isolation ----------------------------------------------------------------------
  const { rooms, receivers: perRoom, intervalMs } = params
  const capacity = Math.ceil(600_000 / intervalMs)
  const sentAt = Array.from({ length: rooms }, () => new Float64Array(capacity))
  const typedCount = new Int32Array(rooms)
  /** Deliveries: when the keystroke was typed, and how long it took. */
  const sampleSent = new Float64Array(capacity * rooms * perRoom)
  const sampleLatency = new Float64Array(capacity * rooms * perRoom)
  let samples = 0
  /** @type {number[]} */
  const writerClient = new Array(rooms).fill(-1)
  let nextAwarenessId = 3000
  const fanRooms = Array.from({ length: rooms }, (_, r) => `${params.roomPrefix}-other-${r}`)
  /** @type {RawClient[]} */
  const fanReceivers = []
  for (let r = 0; r < rooms; r++) {
    const room = /** @type {string} */ (fanRooms[r])
    const opened = await openAll(perRoom, perRoom, async () => {
      const client = new RawClient(target, room)
      client.onUpdate = (bytes, atMs) => {
        const writer = /** @type {number} */ (writerClient[r])
        if (writer < 0) return
        const meta = Y.parseUpdateMeta(bytes)
        const from = meta.from.get(writer) ?? 0
        const to = Math.min(meta.to.get(writer) ?? 0, capacity)
        const sent = /** @type {Float64Array} */ (sentAt[r])
        for (let clock = from; clock < to; clock++) {
          const at = /** @type {number} */ (sent[clock])
          if (at === 0 || samples >= sampleSent.length) continue
          sampleSent[samples] = at
          sampleLatency[samples++] = atMs - at
        }
      }
      await client.ready
      keepAlive(client, protocol, nextAwarenessId++)
      return client
    })
    fanReceivers.push(...opened)
  }
  const writers = []
  for (let r = 0; r < rooms; r++) {
    const doc = new Y.Doc()
    const stock = stockProvider(target, /** @type {string} */ (fanRooms[r]), doc)
    await stock.synced
    writerClient[r] = doc.clientID
    writers.push({
      doc,
      text: doc.getText(ROOT),
      stock,
      liveness: watchLiveness(stock.provider, protocol),
    })
  }

  // Ten rooms typing, each at its own phase.
  let typing = true
  const typedLoops = writers.map(async (w, r) => {
    const start = performance.now() + (r * intervalMs) / rooms
    const sent = /** @type {Float64Array} */ (sentAt[r])
    for (let i = 0; typing && i < capacity; i++) {
      const wait = start + i * intervalMs - performance.now()
      if (wait > 0) await sleep(wait)
      if (!typing) break
      sent[i] = performance.now()
      w.text.insert(i, String.fromCharCode(97 + (i % 26)))
      typedCount[r] = i + 1
    }
  })

  // Tandem: /metrics scraped throughout (also during rest, so every window pays for it alike).
  /** @type {Awaited<ReturnType<typeof scrape>>[]} */
  const scrapes = []
  let scraping = params.tandem
  const scraper = (async () => {
    while (scraping) {
      scrapes.push(await scrape(httpUrl))
      await sleep(params.metricsEveryMs)
    }
  })()
  const latestScrape = async () => {
    const one = await scrape(httpUrl)
    scrapes.push(one)
    return one
  }

  /** @type {{ name: string, startMs: number, endMs: number, cpu: any, ops: any }[]} */
  const windows = []
  // This process's own event-loop delay per window: a late arrival stamp that is the client's.
  const clientLag = monitorEventLoopDelay({ resolution: 5 })
  clientLag.enable()
  /**
   * A measured window: `body` runs from its start and resolves with what the operation did and,
   * optionally, when it was done (`doneMs`); the window ends `endAfterMs` after that, and lasts
   * at least `minMs`.
   * @param {string} name
   * @param {() => Promise<{ doneMs?: number, [key: string]: unknown }>} body
   * Unless `quiet` is false, it first waits (at most 3 s) for a moment in which other processes
   * use little CPU.
   * @param {{ minMs?: number, endAfterMs?: number, quiet?: boolean }} [options]
   */
  const measure = async (name, body, { minMs = 0, endAfterMs = 250, quiet = true } = {}) => {
    // This process's own garbage is collected before the window, not in it.
    globalThis.gc?.()
    if (quiet) await harness.quiet()
    await harness.mark(`start-${name}`)
    const startMs = performance.now()
    // The monotonic clock CPU profiles are stamped with (--cpu-prof), to find the window in them.
    const monoStartUs = Number(process.hrtime.bigint() / 1000n)
    clientLag.reset()
    const ops = await body()
    const doneMs = ops.doneMs ?? performance.now()
    const endMs = Math.max(startMs + minMs, doneMs + endAfterMs)
    if (endMs > performance.now()) await sleep(endMs - performance.now())
    const clientLagMaxMs = clientLag.max / 1e6
    const cpu = await harness.mark(`end-${name}`)
    const monoEndUs = Number(process.hrtime.bigint() / 1000n)
    windows.push({
      name,
      startMs,
      endMs: performance.now(),
      cpu: { ...cpu, clientLagMaxMs, monoStartUs, monoEndUs },
      ops,
    })
    harness.log(`${name}: ${JSON.stringify(ops).slice(0, 160)}`)
  }
  /**
   * Runs `op` back to back (`parallel` at a time), the i-th no sooner than `i × everyMs` after
   * the first, until `opMs` has passed since the first.
   * @param {(i: number) => Promise<number>} op resolves with its duration
   * @param {number} [parallel] @param {number} [everyMs]
   */
  const repeat = async (op, parallel = 1, everyMs = 0) => {
    const started = performance.now()
    /** @type {number[]} */
    const times = []
    let i = 0
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (performance.now() - started < params.opMs) {
          const due = started + i * everyMs
          if (due > performance.now()) await sleep(due - performance.now())
          times.push(await op(i++))
        }
      }),
    )
    return { count: times.length, medianMs: median(times), maxMs: Math.max(...times) }
  }

  // Nobody types in the huge room for a while before "at rest": a server that stores the whole
  // document some time after its last change (Hocuspocus: 2 s) has done so by then.
  await sleep(Math.max(params.warmupMs, pausedAtMs + params.settleMs - performance.now()))
  await measure('rest', async () => ({}), { minMs: params.restMs, endAfterMs: 0 })

  /** (b) Fresh clients join the loaded huge room, one a second (one at a time). */
  const joins = async () => {
    let failed = 0
    const result = await repeat(
      async () => {
        try {
          const one = await rawJoin(target, hugeRoom, minBytes, params.opTimeoutMs)
          one.client.close()
          return one.ms
        } catch {
          failed++
          return Number.POSITIVE_INFINITY
        }
      },
      1,
      params.joinEveryMs,
    )
    return { ...result, ...(failed ? { failed } : {}) }
  }
  await measure('join', joins)

  // Someone types in it at a human rate; then fresh clients join it meanwhile.
  typistOn = true
  await measure('typing', async () => ({}), { minMs: params.typingMs, endAfterMs: 0, quiet: false })
  await measure('join-typing', joins, { quiet: false })
  pauseTypist()
  await sleep(params.settleMs)

  if (params.tandem) {
    // (c) Its text exported through the API, each after a keystroke (a cached text is not read
    // again until the document changes).
    /** @type {number[]} */
    const statuses = []
    await measure('export', async () => {
      const result = await repeat(async () => {
        typist.type()
        await sleep(20)
        const answer = await request(
          'GET',
          `${httpUrl}/api/docs/${hugeRoom}/text`,
          undefined,
          params.opTimeoutMs,
        )
        statuses.push(answer.status)
        if (answer.status === 200 && answer.bytes < expected.length)
          throw new Error(`the exported text has ${answer.bytes} bytes`)
        return answer.ms
      })
      return { ...result, statuses: [...new Set(statuses)] }
    })
    // (d) Named versions saved back to back, then the first one restored back to back.
    /** @type {number[]} */
    const versionIds = []
    await measure('version-save', async () => {
      const result = await repeat(async (i) => {
        const answer = await request(
          'POST',
          `${httpUrl}/api/docs/${hugeRoom}/versions`,
          { label: `bench ${i}` },
          params.opTimeoutMs,
        )
        if (answer.status !== 201)
          throw new Error(`saving a version: ${answer.status} ${JSON.stringify(answer.body)}`)
        versionIds.push(answer.body.version.id)
        return answer.ms
      })
      return result
    })
    await measure('version-restore', async () => {
      const result = await repeat(async () => {
        typist.type() // a change since, so that the restore changes something
        await sleep(20)
        const answer = await request(
          'POST',
          `${httpUrl}/api/docs/${hugeRoom}/versions/${versionIds[0]}/restore`,
          undefined,
          params.opTimeoutMs,
        )
        if (answer.status !== 200)
          throw new Error(`restoring a version: ${answer.status} ${JSON.stringify(answer.body)}`)
        return answer.ms
      })
      return result
    })
  }

  // (a) 500 keystrokes into the huge room (four typists, separate turns, so 500 stored updates),
  // then the pause after which the server rewrites what it stores of the document.
  typistDone = true
  await typistLoop
  const burst = await Promise.all(
    Array.from({ length: params.burstTypists }, async (_, t) => {
      const one = new Typist(target, hugeRoom, freshClient(2101 + t * 10), after)
      await one.ready
      return one
    }),
  )
  const compactionsBefore = params.tandem ? (await latestScrape()).compactions : 0
  await measure(
    'burst',
    async () => {
      const per = Math.ceil(params.burstKeystrokes / params.burstTypists)
      const started = performance.now()
      for (let k = 0; k < per; k++) {
        const wait = started + k * params.burstEveryMs - performance.now()
        if (wait > 0) await sleep(wait)
        for (const one of burst) one.type()
      }
      return { keystrokes: per * burst.length }
    },
    { endAfterMs: 0 },
  )
  const lastKeystrokeMs = performance.now()
  await sleep(Math.max(0, lastKeystrokeMs + params.quietMs - 100 - performance.now()))
  await measure(
    'compact',
    async () => {
      if (!params.tandem) return {}
      for (
        const deadline = performance.now() + params.opTimeoutMs;
        performance.now() < deadline;
      ) {
        const now = await latestScrape()
        if (now.compactions > compactionsBefore) {
          return { doneMs: now.atMs, afterLastKeystrokeMs: now.atMs - lastKeystrokeMs }
        }
        await sleep(params.pollEveryMs)
      }
      return { timedOut: true }
    },
    { minMs: params.opMs, quiet: false },
  )
  for (const one of burst) one.close()

  // Everyone leaves the huge room: the server saves what it owes and unloads it.
  const loadedBefore = params.tandem ? (await latestScrape()).roomsLoaded : 0
  await measure(
    'leave',
    async () => {
      holder.client.close()
      typist.close()
      if (!params.tandem) return {}
      for (
        const deadline = performance.now() + params.opTimeoutMs;
        performance.now() < deadline;
      ) {
        const now = await latestScrape()
        if (now.roomsLoaded < loadedBefore) return { doneMs: now.atMs }
        await sleep(params.pollEveryMs)
      }
      return { timedOut: true }
    },
    { minMs: params.opMs },
  )
  if (!params.tandem) await sleep(2000) // the peers unload on their own schedule

  // (b, cold) A fresh client opens it again: the server loads it from storage.
  /** @type {Uint8Array[]} */
  let coldUpdates = []
  /** @type {RawClient | null} */
  let coldClient = null
  await measure(
    'cold-join',
    async () => {
      try {
        const one = await rawJoin(target, hugeRoom, minBytes, params.opTimeoutMs, true)
        coldUpdates = one.updates
        coldClient = one.client
        return { doneMs: performance.now(), ms: one.ms }
      } catch {
        return { timedOut: true }
      }
    },
    { minMs: params.opMs },
  )
  await measure('rest-after', async () => ({}), { minMs: params.restMs, endAfterMs: 0 })

  typing = false
  await Promise.all(typedLoops)
  scraping = false
  await scraper
  // Deliveries still missing after the grace period count as slower than any.
  const expectedDeliveries = typedCount.reduce((sum, n) => sum + n, 0) * perRoom
  await waitFor(() => samples >= expectedDeliveries, params.graceMs, 'deliveries').catch(() => {})

  const receiversClosed = fanReceivers.filter((c) => c.closedBy !== null).map((c) => c.closedBy)
  const writerLiveness = writers.map((w) => w.liveness.read())
  for (const w of writers) {
    w.liveness.stop()
    w.stock.destroy()
  }
  for (const client of fanReceivers) client.close()
  if (coldClient) /** @type {RawClient} */ (coldClient).close()

  // What the cold joiner got: the document, with the typed characters after it.
  const check = new Y.Doc()
  for (const bytes of coldUpdates) Y.applyUpdate(check, bytes)
  const finalText = check.getText(ROOT).toString()
  const coldJoinExact = coldClient
    ? finalText.startsWith(expected) && /^[a-z]*$/.test(finalText.slice(expected.length))
    : null
  check.destroy()

  // Per window: the deliveries of keystrokes typed in it.
  const results = windows.map((w) => {
    let typed = 0
    for (let r = 0; r < rooms; r++) {
      const sent = /** @type {Float64Array} */ (sentAt[r])
      for (let i = 0; i < /** @type {number} */ (typedCount[r]); i++) {
        const at = /** @type {number} */ (sent[i])
        if (at >= w.startMs && at < w.endMs) typed++
      }
    }
    /** @type {number[]} */
    const latencies = []
    for (let s = 0; s < samples; s++) {
      const at = /** @type {number} */ (sampleSent[s])
      if (at >= w.startMs && at < w.endMs) latencies.push(/** @type {number} */ (sampleLatency[s]))
    }
    // The slowest delivery of the keystrokes typed in each quarter second of the window.
    const timeline = Array.from({ length: Math.ceil((w.endMs - w.startMs) / 250) }, () => 0)
    for (let s = 0; s < samples; s++) {
      const at = /** @type {number} */ (sampleSent[s])
      if (at < w.startMs || at >= w.endMs) continue
      const slot = Math.floor((at - w.startMs) / 250)
      timeline[slot] = Math.max(
        /** @type {number} */ (timeline[slot]),
        /** @type {number} */ (sampleLatency[s]),
      )
    }
    const missing = Math.max(0, typed * perRoom - latencies.length)
    for (let m = 0; m < missing; m++) latencies.push(Number.POSITIVE_INFINITY)
    const lat = latencyPercentiles(latencies)
    const inWindow = scrapes.filter(
      (s) => s.atMs > w.startMs && s.atMs <= w.endMs + params.metricsEveryMs,
    )
    return {
      name: w.name,
      seconds: (w.endMs - w.startMs) / 1000,
      keystrokes: typed,
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      maxMs: lat.max,
      missing,
      serverLagMaxMs: inWindow.length ? Math.max(...inWindow.map((s) => s.lagMaxMs)) : null,
      ...w.cpu,
      ops: w.ops,
      slowestPerQuarterSecondMs: timeline.map((ms) => Math.round(ms)),
    }
  })

  return {
    metrics: {},
    huge: hugeResult,
    windows: results,
    liveness: {
      writersLongestSilenceMs: Math.max(...writerLiveness.map((l) => l.longestSilenceMs)),
      writersCloses: writerLiveness.reduce((sum, l) => sum + l.closes, 0),
      receiversClosed,
    },
    coldJoinExact,
    converged: exact && coldJoinExact !== false,
  }
}
