// The client side of the three wire protocols: the stock providers (y-websocket's for Tandem and
// the reference server, Hocuspocus's for Hocuspocus) and a raw receiver/sender that frames and
// decodes messages without a Y.Doc, for the server-bound scenarios.
import { HocuspocusProvider } from '@hocuspocus/provider'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'

const SYNC = 0
const STEP1 = 0
const STEP2 = 1
const UPDATE = 2
const AWARENESS = 1
const HOCUS_AUTH = 2
const HOCUS_SYNC_REPLY = 4
const EMPTY_STATE_VECTOR = new Uint8Array([0])
const EMPTY_UPDATE = new Uint8Array([0, 0])

/**
 * @typedef {'yws' | 'hocus' | 'relay'} Protocol
 * @typedef {{ protocol: Protocol, wsUrl: string }} Target
 */

/**
 * A stock provider for `doc` in `room`, as an application would create it in Node.
 * @param {Target} target
 * @param {string} room
 * @param {import('yjs').Doc} doc
 * @returns {{ synced: Promise<void>, destroy: () => void, provider: any }}
 */
export function stockProvider(target, room, doc) {
  if (target.protocol === 'hocus') {
    const provider = new HocuspocusProvider({
      url: target.wsUrl,
      name: room,
      document: doc,
      WebSocketPolyfill: WebSocket,
    })
    const synced = new Promise((resolve) => {
      if (provider.synced) resolve(undefined)
      else provider.on('synced', () => resolve(undefined))
    })
    return { provider, synced, destroy: () => provider.destroy() }
  }
  if (target.protocol !== 'yws') throw new Error(`no stock provider for ${target.protocol}`)
  // disableBc: Node has BroadcastChannel, and providers of one room in one process would
  // otherwise exchange updates without the server.
  const provider = new WebsocketProvider(target.wsUrl, room, doc, {
    WebSocketPolyfill: /** @type {any} */ (WebSocket),
    disableBc: true,
  })
  const synced = new Promise((resolve) => {
    if (provider.synced) resolve(undefined)
    else provider.once('sync', () => resolve(undefined))
  })
  return { provider, synced, destroy: () => provider.destroy() }
}

/**
 * A connection that speaks just enough of the protocol to sync with an empty state and then
 * receive updates, without applying them. `onUpdate(update, receivedAtMs)` gets each document
 * update (sync step 2 or update; for the raw relay, each frame).
 */
export class RawClient {
  /** @type {WebSocket} */ ws
  /** Resolves once the server's sync step 2 arrived (at once for the relay). */
  ready
  /** @type {(update: Uint8Array, atMs: number) => void} */
  onUpdate = () => {}
  /** The close code and reason if the server closed the connection. @type {string | null} */
  closedBy = null
  #room
  #protocol
  /** @type {Uint8Array} */ #prefix

  /**
   * @param {Target} target
   * @param {string} room
   */
  constructor(target, room) {
    this.#room = room
    this.#protocol = target.protocol
    const url =
      target.protocol === 'yws'
        ? `${target.wsUrl}/${room}`
        : target.protocol === 'relay'
          ? `${target.wsUrl}/room/${room}`
          : target.wsUrl
    const prefix = encoding.createEncoder()
    if (target.protocol === 'hocus') encoding.writeVarString(prefix, room)
    this.#prefix = encoding.toUint8Array(prefix)
    this.ws = new WebSocket(url, { perMessageDeflate: false })
    this.ws.binaryType = 'nodebuffer'
    /** @type {(value?: unknown) => void} */
    let markReady = () => {}
    this.ready = new Promise((resolve, reject) => {
      markReady = resolve
      this.ws.once('error', reject)
      this.ws.once('close', (code) => reject(new Error(`closed with ${code} before sync`)))
    })
    this.ws.on('close', (code, reason) => {
      this.closedBy = `${code} ${reason}`
    })
    this.ws.on('open', () => {
      if (this.#protocol === 'relay') {
        markReady()
        return
      }
      if (this.#protocol === 'hocus') {
        const auth = this.#encoder(HOCUS_AUTH)
        encoding.writeVarUint(auth, 0) // token
        encoding.writeVarString(auth, '')
        this.ws.send(encoding.toUint8Array(auth))
      }
      const step1 = this.#encoder(SYNC)
      encoding.writeVarUint(step1, STEP1)
      encoding.writeVarUint8Array(step1, EMPTY_STATE_VECTOR)
      this.ws.send(encoding.toUint8Array(step1))
    })
    this.ws.on('message', (/** @type {Buffer} */ data) => {
      const atMs = performance.now()
      if (this.#protocol === 'relay') {
        this.onUpdate(data, atMs)
        return
      }
      const decoder = decoding.createDecoder(data)
      if (this.#protocol === 'hocus') decoding.readVarString(decoder)
      const type = decoding.readVarUint(decoder)
      if (type !== SYNC && !(this.#protocol === 'hocus' && type === HOCUS_SYNC_REPLY)) return
      const step = decoding.readVarUint(decoder)
      const payload = decoding.readVarUint8Array(decoder)
      if (step === STEP1) {
        const reply = this.#encoder(SYNC)
        encoding.writeVarUint(reply, STEP2)
        encoding.writeVarUint8Array(reply, EMPTY_UPDATE)
        this.ws.send(encoding.toUint8Array(reply))
        return
      }
      if (step === STEP2) markReady()
      if (step === STEP2 || step === UPDATE) this.onUpdate(payload, atMs)
    })
  }

  /** @param {number} type */
  #encoder(type) {
    const encoder = encoding.createEncoder()
    encoding.writeUint8Array(encoder, this.#prefix)
    encoding.writeVarUint(encoder, type)
    return encoder
  }

  /**
   * The frame that carries `update` as a sync update (for the relay: the bytes themselves).
   * @param {Uint8Array} update
   */
  frame(update) {
    if (this.#protocol === 'relay') return update
    const encoder = this.#encoder(SYNC)
    encoding.writeVarUint(encoder, UPDATE)
    encoding.writeVarUint8Array(encoder, update)
    return encoding.toUint8Array(encoder)
  }

  /**
   * The frame that announces this client's presence once, as an open tab does: an awareness
   * update of one state (client `clientId`, clock 1) holding `state` as JSON.
   * @param {number} clientId
   * @param {unknown} state
   */
  awarenessFrame(clientId, state) {
    const update = encoding.createEncoder()
    encoding.writeVarUint(update, 1)
    encoding.writeVarUint(update, clientId)
    encoding.writeVarUint(update, 1)
    encoding.writeVarString(update, JSON.stringify(state))
    const encoder = this.#encoder(AWARENESS)
    encoding.writeVarUint8Array(encoder, encoding.toUint8Array(update))
    return encoding.toUint8Array(encoder)
  }

  /** @param {Uint8Array} frame */
  send(frame) {
    this.ws.send(frame)
  }

  get room() {
    return this.#room
  }

  close() {
    this.closedBy ??= 'by the client'
    this.ws.removeAllListeners('close')
    this.ws.on('error', () => {})
    this.ws.close()
  }
}

/**
 * Opens `count` things with `open` at most `parallel` at a time.
 * @template T
 * @param {number} count
 * @param {number} parallel
 * @param {(index: number) => Promise<T>} open
 * @returns {Promise<T[]>}
 */
export async function openAll(count, parallel, open) {
  /** @type {T[]} */
  const out = new Array(count)
  let next = 0
  const workers = Array.from({ length: Math.min(parallel, count) }, async () => {
    while (next < count) {
      const index = next++
      out[index] = await open(index)
    }
  })
  await Promise.all(workers)
  return out
}

/**
 * Resolves when `check()` is true, polling every `everyMs`; rejects after `timeoutMs`.
 * @param {() => boolean} check
 * @param {number} timeoutMs
 * @param {string} what
 */
export async function waitFor(check, timeoutMs, what, everyMs = 5) {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
    await new Promise((resolve) => setTimeout(resolve, everyMs))
  }
}
