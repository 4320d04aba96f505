// Capacity (issue 17): rooms of `perRoom` typists, each typing one character every
// `keystrokeEveryMs` (5 a second) and moving their cursor (an awareness update) with every
// keystroke, are added step by step until the p99 from a keystroke to the room's other typists
// passes `maxP99Ms` or deliveries fall behind. Every typist is a raw connection (no Y.Doc): its
// keystrokes are encoded by hand as the one-character Yjs updates a real client makes when it
// types at the end of its own run (checked against Yjs at the start), and arrivals are decoded
// only as far as the typist and clock they carry, so the load generator stays far below its core.
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import * as Y from 'yjs'
import { latencyPercentiles } from '../lib/stats.mjs'
import { openAll } from './protocol.mjs'

const SYNC = 0
const AWARENESS = 1
const HOCUS_AUTH = 2
const HOCUS_SYNC_REPLY = 4
const STEP1 = 0
const STEP2 = 1
const UPDATE = 2
const CONTENT_STRING = 4
const HAS_ORIGIN = 0x80
const ROOT = 'codemirror'

/**
 * The Yjs update (v1) of typist `client`'s keystroke `clock`: one character inserted after its
 * own previous one (the first at the start of the root text `codemirror`), no deletions.
 * @param {number} client @param {number} clock @param {string} char
 */
export function keystrokeUpdate(client, clock, char) {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1) // one client
  encoding.writeVarUint(e, 1) // one struct
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, clock)
  if (clock === 0) {
    encoding.writeUint8(e, CONTENT_STRING)
    encoding.writeVarUint(e, 1) // parent is a root type, named:
    encoding.writeVarString(e, ROOT)
  } else {
    encoding.writeUint8(e, CONTENT_STRING | HAS_ORIGIN)
    encoding.writeVarUint(e, client)
    encoding.writeVarUint(e, clock - 1)
  }
  encoding.writeVarString(e, char)
  encoding.writeVarUint(e, 0) // empty delete set
  return encoding.toUint8Array(e)
}

/** Throws unless `keystrokeUpdate` makes the bytes Yjs makes for the same typing. */
function checkEncoding() {
  const doc = new Y.Doc()
  doc.clientID = 1_234_567_891
  /** @type {Uint8Array[]} */
  const made = []
  doc.on('update', (/** @type {Uint8Array} */ u) => made.push(u))
  const text = doc.getText(ROOT)
  for (let i = 0; i < 3; i++) text.insert(i, String.fromCharCode(97 + i))
  made.forEach((update, i) => {
    const mine = keystrokeUpdate(doc.clientID, i, String.fromCharCode(97 + i))
    if (Buffer.compare(Buffer.from(update), Buffer.from(mine)) !== 0) {
      throw new Error(`hand-made keystroke ${i} differs from Yjs's`)
    }
  })
}

/**
 * If `payload` is exactly one keystroke as `keystrokeUpdate` makes it, its [client, clock];
 * otherwise null (a merged update: the caller falls back to Y.parseUpdateMeta).
 * @param {Uint8Array} payload
 */
function singleKeystroke(payload) {
  if (payload[0] !== 1 || payload[1] !== 1) return null
  const d = decoding.createDecoder(payload)
  d.pos = 2
  const client = decoding.readVarUint(d)
  const clock = decoding.readVarUint(d)
  const info = decoding.readUint8(d)
  if ((info & 0x1f) !== CONTENT_STRING || (info & 0x60) !== 0) return null
  if (info & HAS_ORIGIN) {
    decoding.readVarUint(d)
    decoding.readVarUint(d)
  } else {
    if (decoding.readVarUint(d) !== 1) return null
    decoding.readVarString(d)
  }
  if (decoding.readVarString(d).length !== 1) return null
  if (decoding.readVarUint(d) !== 0 || d.pos !== payload.length) return null
  return [client, clock]
}

/**
 * @typedef {{ perRoom: number, keystrokeEveryMs: number, maxP99Ms: number, firstRooms: number,
 *   stepRooms: number, stepGrowth: number, maxRooms: number, stepMs: number, settleMs: number,
 *   graceMs: number, budgetMs: number, maxOthersPct: number, maxClientCpuPct: number, warmupMs: number,
 *   roomPrefix: string }} CapacityParams
 */

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {CapacityParams} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  checkEncoding()
  const t0 = performance.now()
  const hocus = target.protocol === 'hocus'
  const maxKeystrokes = Math.ceil(params.budgetMs / params.keystrokeEveryMs) + 50
  /** @type {Map<number, Typist>} by Yjs client id */
  const byClient = new Map()
  /** @type {Typist[]} */
  const typists = []
  /** Latencies (ms) of deliveries of keystrokes sent inside the current window. */
  /** @type {number[]} */
  let windowLatencies = []
  let windowStart = Number.POSITIVE_INFINITY
  let windowEnd = Number.POSITIVE_INFINITY
  let nextClient = 1_000_000_001
  let typing = true

  /**
   * One person: a raw connection that types and moves its cursor, and records when the other
   * typists' keystrokes reach it.
   */
  class Typist {
    clock = 0
    awarenessClock = 0
    /** performance.now() of each keystroke sent. */
    sentAt = new Float64Array(maxKeystrokes)
    /** How many of each keystroke's receivers have it (perRoom - 1 when complete). */
    arrived = new Uint8Array(maxKeystrokes)
    nextDueMs = 0
    /** @type {WebSocket} */ ws
    ready
    /** @param {string} room @param {number} client */
    constructor(room, client) {
      this.room = room
      this.client = client
      const prefix = encoding.createEncoder()
      if (hocus) encoding.writeVarString(prefix, room)
      this.prefix = encoding.toUint8Array(prefix)
      this.name = `typist ${client - 1_000_000_000}`
      this.ws = new WebSocket(hocus ? target.wsUrl : `${target.wsUrl}/${room}`, {
        perMessageDeflate: false,
      })
      this.ws.binaryType = 'nodebuffer'
      /** @type {(v?: unknown) => void} */
      let markReady = () => {}
      this.ready = new Promise((resolve, reject) => {
        markReady = resolve
        this.ws.once('error', reject)
        this.ws.once('close', (code) => reject(new Error(`closed with ${code} before sync`)))
      })
      this.ws.on('open', () => {
        if (hocus) {
          const auth = this.#encoder(HOCUS_AUTH)
          encoding.writeVarUint(auth, 0)
          encoding.writeVarString(auth, '')
          this.ws.send(encoding.toUint8Array(auth))
        }
        const step1 = this.#encoder(SYNC)
        encoding.writeVarUint(step1, STEP1)
        encoding.writeVarUint8Array(step1, new Uint8Array([0]))
        this.ws.send(encoding.toUint8Array(step1))
      })
      this.ws.on('message', (/** @type {Buffer} */ data) => {
        const atMs = performance.now()
        const d = decoding.createDecoder(data)
        if (hocus) decoding.readVarString(d)
        const type = decoding.readVarUint(d)
        if (type !== SYNC && !(hocus && type === HOCUS_SYNC_REPLY)) return
        const step = decoding.readVarUint(d)
        const payload = decoding.readVarUint8Array(d)
        if (step === STEP1) {
          const reply = this.#encoder(SYNC)
          encoding.writeVarUint(reply, STEP2)
          encoding.writeVarUint8Array(reply, new Uint8Array([0, 0]))
          this.ws.send(encoding.toUint8Array(reply))
          return
        }
        if (step === STEP2) markReady()
        if (step !== STEP2 && step !== UPDATE) return
        const one = singleKeystroke(payload)
        if (one) {
          this.#arrival(one[0], one[1], one[1] + 1, atMs)
          return
        }
        const meta = Y.parseUpdateMeta(payload)
        for (const [client, to] of meta.to) {
          this.#arrival(client, meta.from.get(client) ?? 0, to, atMs)
        }
      })
    }

    /** @param {number} client @param {number} from @param {number} to @param {number} atMs */
    #arrival(client, from, to, atMs) {
      if (client === this.client) return // the reference server and Hocuspocus echo
      const writer = byClient.get(client)
      if (!writer || writer.room !== this.room) return
      for (let clock = from; clock < to && clock < maxKeystrokes; clock++) {
        const sentAt = /** @type {number} */ (writer.sentAt[clock])
        writer.arrived[clock] = /** @type {number} */ (writer.arrived[clock]) + 1
        if (sentAt >= windowStart && sentAt < windowEnd) windowLatencies.push(atMs - sentAt)
      }
    }

    /** @param {number} type */
    #encoder(type) {
      const e = encoding.createEncoder()
      encoding.writeUint8Array(e, this.prefix)
      encoding.writeVarUint(e, type)
      return e
    }

    /** One keystroke, then the cursor after it (as y-codemirror.next publishes it). */
    type() {
      if (this.clock >= maxKeystrokes || this.ws.readyState !== WebSocket.OPEN) return
      const clock = this.clock++
      const update = this.#encoder(SYNC)
      encoding.writeVarUint(update, UPDATE)
      encoding.writeVarUint8Array(
        update,
        keystrokeUpdate(this.client, clock, String.fromCharCode(97 + (clock % 26))),
      )
      this.sentAt[clock] = performance.now()
      this.ws.send(encoding.toUint8Array(update))
      const at = { type: null, tname: null, item: { client: this.client, clock }, assoc: 0 }
      const state = JSON.stringify({
        user: { name: this.name, color: '#30bced', colorLight: '#30bced33' },
        cursor: { anchor: at, head: at },
      })
      const states = encoding.createEncoder()
      encoding.writeVarUint(states, 1)
      encoding.writeVarUint(states, this.client)
      encoding.writeVarUint(states, ++this.awarenessClock)
      encoding.writeVarString(states, state)
      const awareness = this.#encoder(AWARENESS)
      encoding.writeVarUint8Array(awareness, encoding.toUint8Array(states))
      this.ws.send(encoding.toUint8Array(awareness))
    }

    close() {
      this.ws.removeAllListeners('close')
      this.ws.on('error', () => {})
      this.ws.terminate()
    }
  }

  // One ticker types for everyone whose keystroke is due; each typist has its own phase.
  const ticker = setInterval(() => {
    if (!typing) return
    const now = performance.now()
    for (const t of typists) {
      if (t.nextDueMs <= now) {
        t.type()
        t.nextDueMs += params.keystrokeEveryMs
        if (t.nextDueMs < now) t.nextDueMs = now + params.keystrokeEveryMs
      }
    }
  }, 5)

  /** @param {number} count */
  const addRooms = async (count) => {
    const first = typists.length / params.perRoom
    await openAll(count, 20, async (r) => {
      const room = `${params.roomPrefix}-${first + r}`
      const members = Array.from({ length: params.perRoom }, () => {
        const t = new Typist(room, nextClient++)
        byClient.set(t.client, t)
        return t
      })
      await Promise.all(members.map((t) => t.ready))
      const now = performance.now()
      for (const t of members) {
        t.nextDueMs = now + Math.random() * params.keystrokeEveryMs
        typists.push(t)
      }
    })
  }

  /** Keystrokes sent in [from, to) and how many (keystroke, receiver) pairs are still missing. */
  const missingIn = (/** @type {number} */ from, /** @type {number} */ to) => {
    let sent = 0
    let missing = 0
    for (const t of typists) {
      for (let c = 0; c < t.clock; c++) {
        const at = /** @type {number} */ (t.sentAt[c])
        if (at < from || at >= to) continue
        sent++
        missing += params.perRoom - 1 - /** @type {number} */ (t.arrived[c])
      }
    }
    return { sent, missing }
  }

  /** @type {any[]} */
  const steps = []
  /** @type {string | null} */
  let stopReason = null
  try {
    // Warm-up (not measured): the first rooms type for a while, so that no step times a
    // server's first pass through its code.
    await addRooms(params.firstRooms)
    await new Promise((resolve) => setTimeout(resolve, params.warmupMs))
    let rooms = params.firstRooms
    let repeat = false
    for (let index = 0; ; index++) {
      if (index > 0 && !repeat) {
        const add = Math.min(
          params.maxRooms - rooms,
          Math.max(params.stepRooms, Math.round(rooms * params.stepGrowth)),
        )
        if (add <= 0) {
          stopReason = `reached ${params.maxRooms} rooms without breaking`
          break
        }
        if (performance.now() - t0 > params.budgetMs) {
          stopReason = `time budget (${params.budgetMs / 1000} s) used before breaking`
          break
        }
        await addRooms(add)
        rooms += add
      }
      await new Promise((resolve) => setTimeout(resolve, params.settleMs))
      windowLatencies = []
      await harness.mark(`start-${index}`)
      const cpu = process.cpuUsage()
      windowStart = performance.now()
      windowEnd = Number.POSITIVE_INFINITY
      await new Promise((resolve) => setTimeout(resolve, params.stepMs))
      windowEnd = performance.now()
      const used = process.cpuUsage(cpu)
      /** @type {any} */
      const window = await harness.mark(`end-${index}`)
      const clientCpuPct = ((used.user + used.system) / 1000 / (windowEnd - windowStart)) * 100
      // Deliveries still missing `graceMs` after the window count as later than any limit.
      await new Promise((resolve) => setTimeout(resolve, params.graceMs))
      const { sent, missing } = missingIn(windowStart, windowEnd)
      const lat = latencyPercentiles(windowLatencies)
      const pairs = lat.samples + missing
      const p99 = p99WithMissing(windowLatencies, pairs)
      const step = {
        index,
        rooms,
        typists: rooms * params.perRoom,
        keystrokes: sent,
        keystrokesPerS: (sent / (windowEnd - windowStart)) * 1000,
        deliveries: lat.samples,
        missing,
        p50Ms: lat.p50,
        p99Ms: p99,
        maxMs: lat.max,
        clientCpuPct,
        othersPct: window?.othersPct ?? Number.NaN,
        repeated: repeat,
        passed: p99 <= params.maxP99Ms,
      }
      steps.push(step)
      harness.log(
        `${step.typists} typists: p50 ${fmt(step.p50Ms)} ms, p99 ${fmt(step.p99Ms)} ms, ${missing} missing, load generator ${clientCpuPct.toFixed(0)}%`,
      )
      if (!step.passed && !repeat && step.othersPct > params.maxOthersPct) {
        harness.log(`other processes used ${step.othersPct.toFixed(0)}% of a core: this step again`)
        repeat = true
        continue
      }
      repeat = false
      if (!step.passed) {
        stopReason =
          missing > pairs * 0.01
            ? `deliveries fell behind: ${missing} of ${pairs} missing ${params.graceMs} ms after the window`
            : `p99 ${fmt(p99)} ms > ${params.maxP99Ms} ms`
        break
      }
      if (clientCpuPct > params.maxClientCpuPct) {
        stopReason = `load generator at ${clientCpuPct.toFixed(0)}% of its core: the client would be the bottleneck`
        break
      }
    }
  } finally {
    typing = false
    clearInterval(ticker)
    for (const t of typists) t.close()
  }
  const passed = steps.filter((s) => s.passed)
  const last = passed[passed.length - 1]
  return {
    metrics: { typists: last?.typists ?? 0 },
    bounded: stopReason?.startsWith('deliveries') || stopReason?.startsWith('p99') || false,
    stopReason,
    steps,
  }
}

/**
 * The p99 (nearest rank) over `pairs` deliveries of which only `delivered` arrived: the missing
 * ones count as slower than any that arrived (infinite once they are more than 1%).
 * @param {number[]} delivered @param {number} pairs
 */
function p99WithMissing(delivered, pairs) {
  if (pairs === 0) return Number.NaN
  const sorted = Float64Array.from(delivered).sort()
  const rank = Math.ceil(0.99 * pairs)
  return rank <= sorted.length ? /** @type {number} */ (sorted[rank - 1]) : Number.POSITIVE_INFINITY
}

/** @param {number} ms */
const fmt = (ms) => (Number.isFinite(ms) ? ms.toFixed(2) : '∞')
