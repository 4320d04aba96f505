import type { IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { CloseCode, closeReason, parseDocName } from '@tandem/protocol'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import type { Logger } from '../log.js'
import type { Peer } from '../rooms/peer.js'
import { CorruptDocumentError, type Room } from '../rooms/room.js'
import type { Rooms } from '../rooms/rooms.js'

export interface WebSocketOptions {
  maxMessageBytes: number
  maxBufferedBytes: number
  heartbeatIntervalMs: number
}

/** Adapts a `ws` socket to the room's {@link Peer}. */
class SocketPeer implements Peer {
  alive = true
  readonly #ws: WebSocket
  readonly #maxBufferedBytes: number

  constructor(
    readonly id: string,
    ws: WebSocket,
    maxBufferedBytes: number,
  ) {
    this.#ws = ws
    this.#maxBufferedBytes = maxBufferedBytes
  }

  send(frame: Uint8Array): void {
    if (this.#ws.readyState !== WebSocket.OPEN) return
    if (this.#ws.bufferedAmount + frame.length > this.#maxBufferedBytes) {
      // A reader this slow would make us hold unbounded memory; it resyncs when it reconnects.
      this.close(CloseCode.PolicyViolation, 'reader too slow')
      return
    }
    this.#ws.send(frame)
  }

  close(code: number, reason: string): void {
    if (this.#ws.readyState === WebSocket.OPEN || this.#ws.readyState === WebSocket.CONNECTING) {
      this.#ws.close(code, reason)
    }
  }
}

function rejectUpgrade(socket: Duplex, status: number, reason: string): void {
  const body = `${reason}\n`
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  )
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data)
  if (data instanceof ArrayBuffer) return new Uint8Array(data)
  return data
}

/**
 * The WebSocket side of the server: checks each upgrade before a socket exists, then connects
 * the socket to its document's room. The endpoint is `/<document name>`, as for y-websocket.
 */
export class WebSocketTransport {
  readonly #wss: WebSocketServer
  readonly #rooms: Rooms
  readonly #log: Logger
  readonly #options: WebSocketOptions
  readonly #heartbeat: NodeJS.Timeout
  readonly #peers = new Map<WebSocket, SocketPeer>()
  #nextId = 1

  constructor(rooms: Rooms, options: WebSocketOptions, log: Logger) {
    this.#rooms = rooms
    this.#log = log
    this.#options = options
    this.#wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      clientTracking: false,
    })
    this.#heartbeat = setInterval(() => this.#ping(), options.heartbeatIntervalMs)
    this.#heartbeat.unref()
  }

  /** Number of open connections. */
  get size(): number {
    return this.#peers.size
  }

  /** The `upgrade` handler of the HTTP server. */
  readonly handleUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', (err) => this.#log.debug({ err }, 'upgrade socket error'))
    const { pathname } = new URL(req.url ?? '/', 'http://localhost')
    const parsed = parseDocName(pathname.slice(1))
    if (!parsed.ok) {
      this.#log.info({ problem: parsed.problem }, 'upgrade refused: invalid document name')
      rejectUpgrade(socket, 400, 'Bad Request')
      return
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#connect(ws, parsed.name))
  }

  #connect(ws: WebSocket, name: string): void {
    const peer = new SocketPeer(`c${this.#nextId++}`, ws, this.#options.maxBufferedBytes)
    const log = this.#log.child({ doc: name, conn: peer.id })
    this.#peers.set(ws, peer)
    log.debug('connected')

    // Frames that arrive while the room loads wait here; bounded by one maximum-size message.
    let queue: Uint8Array[] | null = []
    let queuedBytes = 0
    let room: Room | null = null
    let closed = false

    ws.on('pong', () => {
      peer.alive = true
    })
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        log.warn('closing connection: text frame')
        peer.close(CloseCode.UnsupportedData, closeReason[CloseCode.UnsupportedData])
        return
      }
      const frame = toBytes(data)
      if (room) {
        room.receive(peer, frame)
      } else if (queue) {
        queuedBytes += frame.length
        if (queuedBytes > this.#options.maxMessageBytes) {
          log.warn('closing connection: too much sent before the document loaded')
          peer.close(CloseCode.PolicyViolation, closeReason[CloseCode.PolicyViolation])
          queue = null
          return
        }
        queue.push(frame)
      }
    })
    ws.on('error', (err) => log.debug({ err }, 'socket error'))
    ws.on('close', (code) => {
      closed = true
      this.#peers.delete(ws)
      if (room) this.#rooms.leave(room, peer)
      log.debug({ code }, 'disconnected')
    })

    this.#rooms.join(name, peer).then(
      (joined) => {
        if (closed) {
          this.#rooms.leave(joined, peer)
          return
        }
        room = joined
        const waiting = queue ?? []
        queue = null
        for (const frame of waiting) joined.receive(peer, frame)
      },
      (err: unknown) => {
        if (err instanceof CorruptDocumentError) {
          log.error({ err: err.message }, 'document quarantined: stored state does not decode')
          peer.close(CloseCode.DocumentCorrupt, closeReason[CloseCode.DocumentCorrupt])
        } else {
          log.error({ err }, 'could not open document')
          peer.close(CloseCode.TryAgainLater, closeReason[CloseCode.TryAgainLater])
        }
      },
    )
  }

  #ping(): void {
    for (const [ws, peer] of this.#peers) {
      if (!peer.alive) {
        this.#log.info({ conn: peer.id }, 'dropping connection: no pong')
        ws.terminate()
        continue
      }
      peer.alive = false
      ws.ping()
    }
  }

  /** Stops the heartbeat and terminates any socket still open (rooms close theirs first). */
  close(): void {
    clearInterval(this.#heartbeat)
    for (const ws of this.#peers.keys()) ws.terminate()
    this.#wss.close()
  }
}
