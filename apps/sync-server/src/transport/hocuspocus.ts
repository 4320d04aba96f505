import {
  CloseCode,
  closeReason,
  decodeHocuspocusFrame,
  decodeMessage,
  encodeHocuspocusAuthenticated,
  encodeHocuspocusClose,
  encodeHocuspocusPermissionDenied,
  encodeHocuspocusStateless,
  encodeHocuspocusSyncStatus,
  encodeHocuspocusYjs,
  encodeSavedRequest,
  HOCUSPOCUS_PONG,
  type HocuspocusMessage,
  MessageType,
  ProtocolError,
  SyncStep,
  validateDocName,
  validateUpdate,
} from '@tandem/protocol'
import type { Access, AuthorizeToken } from '../auth/access.js'
import type { HttpErrorCode } from '../errors.js'
import type { Logger } from '../log.js'
import { isEmptyUpdate } from '../rooms/doc-state.js'
import type { Identity, Peer } from '../rooms/peer.js'
import type { Rooms } from '../rooms/rooms.js'
import { RoomSession } from '../rooms/session.js'
import type { Connection, WireProtocol } from './connection.js'

/**
 * Bounds on what one socket may send for documents it has not authenticated yet, as Hocuspocus
 * has them since GHSA-xwhh-v746-pj9m: bytes and messages queued over all of them, and how many
 * documents may wait at once. Past one, the socket is closed with 1008 (SPEC Y4).
 */
export const MAX_UNAUTHENTICATED_BYTES = 5 * 1024 * 1024
export const MAX_UNAUTHENTICATED_MESSAGES = 1_000
export const MAX_PENDING_DOCUMENTS = 100

/** The longest delay `setTimeout` honours. */
const MAX_TIMER_MS = 2 ** 31 - 1

/** The per-document checks of the transport: caps and cooldowns (see `websocket.ts`). */
export interface DocumentGate {
  /** The access rule, asked with the token of an auth message. */
  authorize: AuthorizeToken
  /**
   * Why `name` may not be opened now by `userKey` (a catalogue code), or `null`: then it is
   * counted open until {@link DocumentGate.closed}.
   */
  open(name: string, userKey: string, identified: boolean): HttpErrorCode | null
  closed(name: string): void
}

export interface HocuspocusOptions {
  /** Bounds what waits for a document to load (SPEC T14), as for a y-websocket connection. */
  maxMessageBytes: number
  /** Stands in for the user of a document opened without a token. */
  ip: string
}

/**
 * The Hocuspocus peers of each document on this server: where a stateless message goes (SPEC
 * Y8). Shared by every Hocuspocus socket of a transport.
 */
export class StatelessHub {
  readonly #byName = new Map<string, Set<DocumentPeer>>()

  add(peer: DocumentPeer): void {
    let peers = this.#byName.get(peer.name)
    if (!peers) {
      peers = new Set()
      this.#byName.set(peer.name, peers)
    }
    peers.add(peer)
  }

  remove(peer: DocumentPeer): void {
    const peers = this.#byName.get(peer.name)
    if (!peers?.delete(peer)) return
    if (peers.size === 0) this.#byName.delete(peer.name)
  }

  /** Sends `payload` to every other Hocuspocus peer of `from`'s document. */
  relay(from: DocumentPeer, payload: string): void {
    for (const peer of this.#byName.get(from.name) ?? []) {
      if (peer !== from) peer.sendStateless(payload)
    }
  }
}

/**
 * One document opened over a Hocuspocus socket: the room's {@link Peer}. It puts the document's
 * address before every frame the room sends, turns the room's `saved` counts into sync status
 * frames (one per newly stored update frame, SPEC Y5) and never forwards a Tandem extension
 * frame; it holds the room's sync step 1 until the room's step 2 has gone (SPEC Y6). Closing it
 * ends this document only.
 */
export class DocumentPeer implements Peer {
  readonly id: string
  readonly address: string
  readonly name: string
  readonly readOnly: boolean
  readonly userKey: string
  readonly identity: Identity | undefined
  readonly linkId: string | undefined
  readonly #connection: Connection
  readonly #ended: (peer: DocumentPeer, reason: string) => void
  readonly #applied: Uint8Array
  /** Update frames the room has told this peer are stored, all acknowledged. */
  #stored = 0
  #step2Sent = false
  #heldStep1: Uint8Array | null = null

  constructor(
    id: string,
    address: string,
    name: string,
    access: Extract<Access, { ok: true }>,
    userKey: string,
    connection: Connection,
    ended: (peer: DocumentPeer, reason: string) => void,
  ) {
    this.id = id
    this.address = address
    this.name = name
    this.readOnly = access.mode === 'view'
    this.userKey = userKey
    this.identity = access.user
    this.linkId = access.linkId
    this.#connection = connection
    this.#ended = ended
    this.#applied = encodeHocuspocusSyncStatus(address, true)
  }

  send(frame: Uint8Array): void {
    const type = frame[0]
    if (type === MessageType.Saved) {
      const message = decodeMessage(frame)
      if (message.type !== 'saved') return
      for (; this.#stored < message.updateFrames; this.#stored++) {
        this.#connection.send(this.#applied)
      }
      return
    }
    if (type === MessageType.Sync && frame[1] === SyncStep.Step1 && !this.#step2Sent) {
      // The provider counts itself synced at its first sync status: the server's step 2 must
      // reach it before the step 1 that makes it send (and us acknowledge) its own step 2.
      this.#heldStep1 = frame
      return
    }
    if (
      type !== MessageType.Sync &&
      type !== MessageType.Awareness &&
      type !== MessageType.QueryAwareness
    ) {
      return
    }
    this.#connection.send(encodeHocuspocusYjs(this.address, frame))
    if (type === MessageType.Sync && frame[1] === SyncStep.Step2 && !this.#step2Sent) {
      this.#step2Sent = true
      const held = this.#heldStep1
      this.#heldStep1 = null
      if (held) this.#connection.send(encodeHocuspocusYjs(this.address, held))
    }
  }

  /** Sends the sync status of one update frame the room never sees (a read-only peer's). */
  sendSyncStatus(applied: boolean): void {
    this.#connection.send(applied ? this.#applied : encodeHocuspocusSyncStatus(this.address, false))
  }

  sendStateless(payload: string): void {
    this.#connection.send(encodeHocuspocusStateless(this.address, payload))
  }

  /** Ends this document (not the socket): it leaves the room and the client is told why. */
  close(code: number, reason: string): void {
    this.#ended(this, reason || closeReason[code as CloseCode] || 'closed')
  }
}

/** A document whose auth message has not been answered yet, and what it sent meanwhile. */
interface Pending {
  state: 'pending'
  queue: HocuspocusMessage[]
  bytes: number
  authorizing: boolean
}

/** An authenticated document. */
interface Open {
  state: 'open'
  peer: DocumentPeer
  session: RoomSession
  expiry: NodeJS.Timeout | undefined
}

/**
 * The `@hocuspocus/provider` protocol over one connection: many documents, each addressed by
 * name (or `name\0session`) in every frame and each authenticated on its own by an auth message
 * that must come first (SPEC Y1–Y3). Every frame was already charged to the connection's rate.
 */
export class HocuspocusProtocol implements WireProtocol {
  readonly #connection: Connection
  readonly #rooms: Rooms
  readonly #gate: DocumentGate
  readonly #hub: StatelessHub
  readonly #options: HocuspocusOptions
  readonly #log: Logger
  readonly #docs = new Map<string, Pending | Open>()
  #pending = 0
  #queuedBytes = 0
  #queuedMessages = 0
  #nextId = 1
  #closed = false

  constructor(
    connection: Connection,
    rooms: Rooms,
    gate: DocumentGate,
    hub: StatelessHub,
    options: HocuspocusOptions,
    log: Logger,
  ) {
    this.#connection = connection
    this.#rooms = rooms
    this.#gate = gate
    this.#hub = hub
    this.#options = options
    this.#log = log
  }

  /** The users of this socket's documents that a token names (held to a cooldown on abuse). */
  identifiedUsers(): string[] {
    const users: string[] = []
    for (const entry of this.#docs.values()) {
      if (entry.state === 'open' && entry.peer.identity) users.push(entry.peer.userKey)
    }
    return users
  }

  /** Closes every document opened with one of the share links `ids`; returns how many. */
  closeLinks(ids: ReadonlySet<string>): number {
    let closed = 0
    for (const entry of [...this.#docs.values()]) {
      if (entry.state !== 'open' || entry.peer.linkId === undefined) continue
      if (!ids.has(entry.peer.linkId)) continue
      this.#log.info(
        { doc: entry.peer.name, link: entry.peer.linkId },
        'closing document: link revoked',
      )
      this.#end(entry.peer, closeReason[CloseCode.AccessRevoked])
      closed++
    }
    return closed
  }

  receive(frame: Uint8Array): void {
    if (this.#closed) return
    let decoded: ReturnType<typeof decodeHocuspocusFrame>
    try {
      decoded = decodeHocuspocusFrame(frame)
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err
      this.#log.warn({ kind: err.kind, err: err.message }, 'closing connection: bad message')
      this.#connection.closeFor('malformed_message')
      this.closed()
      return
    }
    if (decoded.kind === 'ping') {
      this.#connection.send(HOCUSPOCUS_PONG)
      return
    }
    if (decoded.kind === 'pong') return
    const { address, name, message } = decoded
    let entry = this.#docs.get(address)
    if (!entry) {
      if (this.#pending >= MAX_PENDING_DOCUMENTS) {
        this.#shutOut('too many documents waiting for authentication')
        return
      }
      entry = { state: 'pending', queue: [], bytes: 0, authorizing: false }
      this.#docs.set(address, entry)
      this.#pending++
    }
    if (entry.state === 'open') {
      this.#deliver(entry, message)
      return
    }
    if (message.type === 'token' && !entry.authorizing) {
      entry.authorizing = true
      void this.#authorize(address, name, message.token)
      return
    }
    if (message.type === 'close') {
      this.#forget(address, entry)
      return
    }
    if (
      this.#queuedBytes + frame.length > MAX_UNAUTHENTICATED_BYTES ||
      this.#queuedMessages + 1 > MAX_UNAUTHENTICATED_MESSAGES
    ) {
      this.#shutOut('too much sent for documents not authenticated')
      return
    }
    entry.queue.push(message)
    entry.bytes += frame.length
    this.#queuedBytes += frame.length
    this.#queuedMessages++
  }

  /** The connection is gone: every document leaves its room now. Idempotent. */
  closed(): void {
    if (this.#closed) return
    this.#closed = true
    for (const [address, entry] of [...this.#docs]) {
      if (entry.state === 'open') this.#leave(entry)
      this.#docs.delete(address)
    }
    this.#pending = 0
    this.#queuedBytes = 0
    this.#queuedMessages = 0
  }

  async #authorize(address: string, given: string, token: string): Promise<void> {
    const checked = validateDocName(given)
    let access: Access | null = null
    let refused: string | null = checked.ok ? null : 'invalid_name'
    if (checked.ok) {
      try {
        access = await this.#gate.authorize(token, checked.name)
      } catch (err) {
        this.#log.error({ err }, 'authorizing a document failed')
        refused = 'internal'
      }
    }
    const entry = this.#docs.get(address)
    if (this.#closed || entry?.state !== 'pending') return
    if (access && !access.ok) refused = access.code
    const name = checked.ok ? checked.name : given
    const userKey = (access?.ok && access.subject) || `ip:${this.#options.ip}`
    if (!refused && access?.ok) refused = this.#gate.open(name, userKey, access.user !== undefined)
    if (refused || !access?.ok) {
      this.#log.info({ doc: name, reason: refused }, 'document refused')
      this.#forget(address, entry)
      this.#connection.send(encodeHocuspocusPermissionDenied(address, refused ?? 'internal'))
      return
    }
    this.#unqueue(entry)
    const id = `${this.#connection.id}.${this.#nextId++}`
    const peer = new DocumentPeer(id, address, name, access, userKey, this.#connection, (p, r) =>
      this.#end(p, r),
    )
    const log = this.#log.child({ doc: name, conn: id })
    this.#connection.send(
      encodeHocuspocusAuthenticated(address, peer.readOnly ? 'readonly' : 'read-write'),
    )
    const open: Open = {
      state: 'open',
      peer,
      session: new RoomSession(this.#rooms, name, peer, this.#options.maxMessageBytes, log),
      expiry: undefined,
    }
    this.#docs.set(address, open)
    this.#hub.add(peer)
    if (access.expiresAtMs !== undefined) this.#watchExpiry(open, access.expiresAtMs)
    log.debug({ readOnly: peer.readOnly }, 'document opened')
    // Acknowledgements come from the room's `saved` counts, which it sends only when asked.
    if (!peer.readOnly) open.session.receive(encodeSavedRequest())
    for (const message of entry.queue) {
      if (this.#docs.get(address) !== open) break
      this.#deliver(open, message)
    }
  }

  #deliver(entry: Open, message: HocuspocusMessage): void {
    const { peer, session } = entry
    switch (message.type) {
      case 'yjs': {
        const inner = message.message
        if (peer.readOnly && (inner.type === 'sync-step-2' || inner.type === 'sync-update')) {
          // Never reaches the room (SPEC Y7): refused at once, unless it changes nothing.
          try {
            validateUpdate(inner.update)
          } catch (err) {
            this.#log.warn(
              { conn: peer.id, err: (err as Error).message },
              'closing document: bad update',
            )
            this.#end(peer, closeReason[CloseCode.InvalidPayload])
            return
          }
          peer.sendSyncStatus(isEmptyUpdate(inner.update))
          return
        }
        session.receive(message.frame)
        return
      }
      case 'stateless':
        if (!peer.readOnly) this.#hub.relay(peer, message.payload)
        return
      case 'close':
        this.#end(peer, null)
        return
      default:
        // A second token, or a message only a server sends: ignored, as Hocuspocus does.
        return
    }
  }

  /** Ends document `peer` (if it is still open): it leaves, and is told `reason` if given. */
  #end(peer: DocumentPeer, reason: string | null): void {
    const entry = this.#docs.get(peer.address)
    if (entry?.state !== 'open' || entry.peer !== peer) return
    this.#docs.delete(peer.address)
    this.#leave(entry)
    if (reason !== null && !this.#closed) {
      this.#connection.send(encodeHocuspocusClose(peer.address, reason))
    }
  }

  #leave(entry: Open): void {
    clearTimeout(entry.expiry)
    entry.session.leave()
    this.#hub.remove(entry.peer)
    this.#gate.closed(entry.peer.name)
  }

  #unqueue(entry: Pending): void {
    this.#pending--
    this.#queuedBytes -= entry.bytes
    this.#queuedMessages -= entry.queue.length
  }

  /** Drops a pending document and what it queued: a later frame of it starts afresh. */
  #forget(address: string, entry: Pending): void {
    this.#unqueue(entry)
    this.#docs.delete(address)
  }

  #watchExpiry(entry: Open, atMs: number): void {
    // setTimeout fires at once for delays past 2^31 - 1 ms (24.8 days): wait in steps.
    const delayMs = Math.min(Math.max(0, atMs - Date.now()), MAX_TIMER_MS)
    entry.expiry = setTimeout(() => {
      if (Date.now() < atMs) {
        this.#watchExpiry(entry, atMs)
        return
      }
      this.#log.info({ doc: entry.peer.name }, 'closing document: token expired')
      this.#end(entry.peer, closeReason[CloseCode.TokenExpired])
    }, delayMs)
    entry.expiry.unref()
  }

  #shutOut(why: string): void {
    this.#log.warn(`closing connection: ${why}`)
    this.#connection.closeFor('unauthenticated_flood')
    this.closed()
  }
}
