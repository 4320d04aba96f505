import { closeOf } from '../errors.js'
import type { Logger } from '../log.js'
import type { Peer } from './peer.js'
import { CorruptDocumentError, type Room } from './room.js'
import type { Rooms } from './rooms.js'

/**
 * One peer's place in a document, from the moment its connection is accepted: the room may
 * still be loading. Nothing reaches the room before its stored state is loaded (SPEC T14):
 * frames that arrive meanwhile wait here, in order, bounded by `maxQueuedBytes` (more closes
 * the peer with 1008). If the document cannot be opened, the peer is closed with 4422 (its
 * stored state does not decode) or 1013 (try again later).
 */
export class RoomSession {
  readonly #rooms: Rooms
  readonly #peer: Peer
  readonly #log: Logger
  readonly #maxQueuedBytes: number
  #room: Room | null = null
  /** Frames received before the room loaded; `null` once it has, or once the peer is gone. */
  #queue: Uint8Array[] | null = []
  #queuedBytes = 0
  #left = false

  constructor(rooms: Rooms, name: string, peer: Peer, maxQueuedBytes: number, log: Logger) {
    this.#rooms = rooms
    this.#peer = peer
    this.#log = log
    this.#maxQueuedBytes = maxQueuedBytes
    rooms.join(name, peer).then(
      (room) => this.#loaded(room),
      (err: unknown) => this.#failed(err),
    )
  }

  /** Hands `frame` to the room, or keeps it until the room has loaded. */
  receive(frame: Uint8Array): void {
    if (this.#room) {
      this.#room.receive(this.#peer, frame)
      return
    }
    if (!this.#queue) return
    this.#queuedBytes += frame.length
    if (this.#queuedBytes > this.#maxQueuedBytes) {
      this.#log.warn('closing connection: too much sent before the document loaded')
      this.#queue = null
      const { code, reason } = closeOf('rate_abused')
      this.#peer.close(code, reason)
      return
    }
    this.#queue.push(frame)
  }

  /** The peer is gone (or shut out): it leaves the room now, or as soon as it has joined. */
  leave(): void {
    if (this.#left) return
    this.#left = true
    this.#queue = null
    if (this.#room) this.#rooms.leave(this.#room, this.#peer)
  }

  #loaded(room: Room): void {
    if (this.#left) {
      this.#rooms.leave(room, this.#peer)
      return
    }
    this.#room = room
    const waiting = this.#queue ?? []
    this.#queue = null
    for (const frame of waiting) room.receive(this.#peer, frame)
  }

  #failed(err: unknown): void {
    this.#queue = null
    if (err instanceof CorruptDocumentError) {
      this.#log.error({ err: err.message }, 'document quarantined: stored state does not decode')
      const { code, reason } = closeOf('document_corrupt')
      this.#peer.close(code, reason)
    } else {
      this.#log.error({ err }, 'could not open document')
      const { code, reason } = closeOf('try_again_later')
      this.#peer.close(code, reason)
    }
  }
}
