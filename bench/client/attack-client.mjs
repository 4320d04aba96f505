// A raw connection for the attack scenarios: it frames any payload for a server's protocol
// (y-websocket's, or Hocuspocus's with its document-name prefix and authentication message),
// connects from a chosen loopback address (so that per-address limits see the attacker as
// someone else), counts what it receives without decoding more than the message type, and
// remembers how and when it ended (refused upgrade, close code, server gone).
import http from 'node:http'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'

export const SYNC = 0
export const AWARENESS = 1
const HOCUS_AUTH = 2
export const QUERY_AWARENESS = 3
const HOCUS_SYNC_REPLY = 4
export const STEP1 = 0
export const STEP2 = 1
export const UPDATE = 2
const EMPTY_STATE_VECTOR = new Uint8Array([0])
const EMPTY_UPDATE = new Uint8Array([0, 0])

/**
 * @typedef {import('./protocol.mjs').Target} Target
 * @typedef {{ localAddress?: string, token?: string, keepUpdates?: boolean,
 *   handshake?: boolean }} AttackClientOptions
 */

export class AttackClient {
  /** @type {WebSocket} */ ws
  /** Resolves when the server's sync step 2 arrived; rejects if refused or closed first. */
  synced
  /** performance.now() when the socket opened, and when step 2 arrived. */
  openedAtMs = Number.NaN
  syncedAtMs = Number.NaN
  bytesIn = 0
  framesIn = 0
  step2s = 0
  awarenessFrames = 0
  /** Sync step 2 payload and later updates, in order, if `keepUpdates`. @type {Uint8Array[]} */
  updates = []
  /** How it ended: `refused 429`, `closed 4400 update refused`, `error …`; null while open. */
  /** @type {string | null} */ ended = null
  endedAtMs = Number.NaN
  #protocol
  /** @type {Uint8Array} */ #prefix
  #keepUpdates

  /**
   * @param {Target} target
   * @param {string} room
   * @param {AttackClientOptions} [options]
   */
  constructor(target, room, { localAddress, token, keepUpdates = false, handshake = true } = {}) {
    this.#protocol = target.protocol
    this.#keepUpdates = keepUpdates
    const prefix = encoding.createEncoder()
    if (target.protocol === 'hocus') encoding.writeVarString(prefix, room)
    this.#prefix = encoding.toUint8Array(prefix)
    const query = token && target.protocol === 'yws' ? `?token=${encodeURIComponent(token)}` : ''
    const url = target.protocol === 'yws' ? `${target.wsUrl}/${room}${query}` : target.wsUrl
    this.ws = new WebSocket(url, { perMessageDeflate: false, localAddress })
    this.ws.binaryType = 'nodebuffer'
    /** @type {(value?: unknown) => void} */
    let markSynced = () => {}
    /** @type {(err: Error) => void} */
    let failSync = () => {}
    this.synced = new Promise((resolve, reject) => {
      markSynced = resolve
      failSync = reject
    })
    this.synced.catch(() => {})
    this.ws.on('error', (err) => {
      const status = /Unexpected server response: (\d+)/.exec(err.message)?.[1]
      this.#end(status ? `refused ${status}` : `error ${err.message.slice(0, 80)}`)
      failSync(new Error(this.ended ?? 'error'))
    })
    this.ws.on('close', (code, reason) => {
      this.#end(code === 1006 ? 'connection lost (1006)' : `closed ${code} ${reason}`.trim())
      failSync(new Error(this.ended ?? 'closed'))
    })
    this.ws.on('open', () => {
      this.openedAtMs = performance.now()
      if (this.#protocol === 'hocus') {
        const auth = this.#encoder(HOCUS_AUTH)
        encoding.writeVarUint(auth, 0)
        encoding.writeVarString(auth, token ?? '')
        this.ws.send(encoding.toUint8Array(auth))
      }
      if (handshake) this.send(this.syncFrame(STEP1, EMPTY_STATE_VECTOR))
    })
    this.ws.on('message', (/** @type {Buffer} */ data) => {
      const atMs = performance.now()
      this.bytesIn += data.length
      this.framesIn++
      const decoder = decoding.createDecoder(data)
      if (this.#protocol === 'hocus') decoding.readVarString(decoder)
      const type = decoding.readVarUint(decoder)
      if (type === AWARENESS) this.awarenessFrames++
      if (type !== SYNC && !(this.#protocol === 'hocus' && type === HOCUS_SYNC_REPLY)) return
      const step = decoding.readVarUint(decoder)
      if (step === STEP1) {
        // Answer the server's own step 1 as a client with nothing to offer.
        this.send(this.syncFrame(STEP2, EMPTY_UPDATE))
        return
      }
      if (step === STEP2) {
        this.step2s++
        if (Number.isNaN(this.syncedAtMs)) {
          this.syncedAtMs = atMs
          markSynced()
        }
      }
      if (this.#keepUpdates && (step === STEP2 || step === UPDATE)) {
        this.updates.push(decoding.readVarUint8Array(decoder).slice())
      }
    })
  }

  /** @param {string} how */
  #end(how) {
    if (this.ended !== null) return
    this.ended = how
    this.endedAtMs = performance.now()
  }

  /** @param {number} type */
  #encoder(type) {
    const encoder = encoding.createEncoder()
    encoding.writeUint8Array(encoder, this.#prefix)
    encoding.writeVarUint(encoder, type)
    return encoder
  }

  /** A sync message: step 1 (a state vector), step 2 or update (an update). */
  syncFrame(/** @type {number} */ step, /** @type {Uint8Array} */ payload) {
    const encoder = this.#encoder(SYNC)
    encoding.writeVarUint(encoder, step)
    encoding.writeVarUint8Array(encoder, payload)
    return encoding.toUint8Array(encoder)
  }

  /** An awareness message carrying `update` (y-protocols' awareness encoding). */
  awarenessFrame(/** @type {Uint8Array} */ update) {
    const encoder = this.#encoder(AWARENESS)
    encoding.writeVarUint8Array(encoder, update)
    return encoding.toUint8Array(encoder)
  }

  /** A query-awareness message: one byte for y-websocket. */
  queryAwarenessFrame() {
    return encoding.toUint8Array(this.#encoder(QUERY_AWARENESS))
  }

  /** Sends unless the connection has ended. @param {Uint8Array} frame */
  send(frame) {
    if (this.ended === null && this.ws.readyState === WebSocket.OPEN) this.ws.send(frame)
  }

  /** Resolves once open (false if refused or closed first). */
  opened() {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.OPEN) return resolve(true)
      if (this.ended !== null) return resolve(false)
      this.ws.once('open', () => resolve(true))
      this.ws.once('close', () => resolve(false))
      this.ws.once('error', () => resolve(false))
    })
  }

  /** Resolves once every queued frame has left the socket (or it ended). */
  async flushed() {
    while (this.ended === null && this.ws.bufferedAmount > 0) {
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  }

  close() {
    this.ws.removeAllListeners('close')
    this.ws.on('error', () => {})
    this.#end('closed by the client')
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate()
    else this.ws.close()
  }
}

/**
 * One HTTP GET, resolving with status and latency (status 0 and the error if it failed or took
 * longer than `timeoutMs`).
 * @param {string} url
 * @param {{ localAddress?: string, headers?: Record<string, string>, timeoutMs?: number,
 *   agent?: http.Agent }} [options]
 * @returns {Promise<{ status: number, ms: number, bytes: number, error?: string }>}
 */
export function httpGet(url, { localAddress, headers, timeoutMs = 10_000, agent } = {}) {
  const started = performance.now()
  return new Promise((resolve) => {
    const req = http.get(url, { localAddress, headers, agent }, (res) => {
      let bytes = 0
      res.on('data', (chunk) => {
        bytes += chunk.length
      })
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, ms: performance.now() - started, bytes }),
      )
      res.on('error', (err) =>
        resolve({ status: 0, ms: performance.now() - started, bytes, error: err.message }),
      )
    })
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)))
    req.on('error', (err) =>
      resolve({ status: 0, ms: performance.now() - started, bytes: 0, error: err.message }),
    )
  })
}

/**
 * One HTTP POST with an empty body, resolving with the status and the parsed JSON answer.
 * @param {string} url
 * @returns {Promise<{ status: number, body: any }>}
 */
export function httpPostJson(url) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST' }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => {
        text += chunk
      })
      res.on('end', () => {
        let body = null
        try {
          body = JSON.parse(text)
        } catch {
          // not JSON
        }
        resolve({ status: res.statusCode ?? 0, body })
      })
    })
    req.on('error', reject)
    req.end()
  })
}
