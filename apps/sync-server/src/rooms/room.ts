import {
  type AwarenessEntry,
  CloseCode,
  closeReason,
  decodeAwarenessUpdate,
  decodeMessage,
  encodeAwareness,
  encodeAwarenessUpdate,
  encodeSaved,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  ProtocolError,
  validateStateVector,
  validateUpdate,
} from '@tandem/protocol'
import * as Y from 'yjs'
import type { Identity } from '../auth/access.js'
import { TokenBucket } from '../limits/token-bucket.js'
import type { Logger } from '../log.js'
import { recordSetAside } from '../persistence/set-aside.js'
import type { DocStore } from '../persistence/store.js'
import { AwarenessTable } from './awareness.js'
import { DocState, isEmptyUpdate } from './doc-state.js'
import { History, type HistoryOptions } from './history.js'
import { RemoteOwner, type RoomLink } from './link.js'
import type { Peer } from './peer.js'
import { Sequencer } from './sequencer.js'
import { DocStructure, type UpdateLimits, type Verdict } from './structure.js'

/** Defaults of the room's bounds on hostile input (the configuration's defaults too). */
export const defaultRoomLimits = {
  maxAwarenessClientsPerConnection: 4,
  maxAwarenessClientsPerRoom: 1_000,
  updateLimits: { maxTypeDepth: 64, maxDeleteRanges: 100_000, rootTypes: null },
  pendingTimeoutMs: 10_000,
  maxPendingBytes: 4 * 1024 * 1024,
} as const satisfies Partial<RoomOptions>

export interface RoomOptions extends Partial<HistoryOptions> {
  /** Largest awareness state of one client, in bytes of JSON. */
  maxAwarenessStateBytes: number
  /**
   * Awareness client ids one peer may own (a browser tab has one), and the room may hold; a
   * message naming more than the room may hold closes its peer with 1008 (SPEC U5).
   */
  maxAwarenessClientsPerConnection: number
  maxAwarenessClientsPerRoom: number
  /** What a well-formed update may do to the document (SPEC U1–U3). */
  updateLimits: UpdateLimits
  /**
   * How long an update whose dependencies the document lacks is held for them (SPEC U4), and
   * how many bytes of such updates a room holds at most.
   */
  pendingTimeoutMs: number
  maxPendingBytes: number
  /**
   * Stored updates after which the room compacts its log into a snapshot, once editing pauses
   * for `compactQuietMs`; at 20 times as many (or 20 times the bytes) it compacts at once.
   */
  compactAfterUpdates: number
  /**
   * How long editing must pause before a room compacts (default 2 s): compaction applies the
   * whole log to a document model, work best done between bursts rather than in them.
   */
  compactQuietMs?: number
  /**
   * A peer that has been sent nothing for this long gets its own awareness renewals echoed,
   * so that a lone client still hears from the server before its 30 s liveness timeout.
   */
  quietEchoMs: number
  /**
   * How long an update stored out of turn (another server's update before it has not arrived)
   * waits for the missing ones before the room reads them from the store. Default 20 ms.
   */
  catchUpDelayMs?: number
  /**
   * Called after an edit of this server's is stored: by `peer`, or by the server itself
   * (`null`) on behalf of `author`, e.g. the user of an HTTP API call. Must not throw.
   */
  onChange?: (room: Room, peer: Peer | null, author?: string) => void
}

/** An update of this server's: the frame to relay, and the peer it came from (not sent to). */
interface OwnUpdate {
  frame: Uint8Array
  from: Peer | null
}

/** An update frame received from a peer in this event-loop turn, not yet handed to the store. */
interface Received {
  /** The update: a view into `frame`. */
  update: Uint8Array
  /** The frame to relay it in: as received for a sync update, re-encoded for a step 2. */
  frame: Uint8Array
  /** Which of the peer's update frames it is (see {@link PeerInfo.updateFrames}). */
  index: number
}

/** An applied update waiting to be relayed: its frame if received as one, and its sender. */
interface Relayed {
  update: Uint8Array
  frame: Uint8Array | null
  from: Peer | null
}

/**
 * Fewest updates of one turn that are merged: stored as one (a peer's, SPEC S9) or relayed in
 * one frame (S8). Below, merging costs the room more than the rows and frames it saves
 * (Y.mergeUpdates takes about 8 µs per update in small batches, 2 µs in batches of a hundred).
 */
const MERGE_MIN_UPDATES = 16

/** Most updates merged into one: beyond a few hundred, merging grows faster than linear. */
const MERGE_MAX_UPDATES = 256

/** `items` in runs of at most {@link MERGE_MAX_UPDATES}. */
function* mergeRuns<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += MERGE_MAX_UPDATES)
    yield items.slice(i, i + MERGE_MAX_UPDATES)
}

/** The frame that relays `r` alone: as received if it came as a sync update frame. */
function frameOf(r: Relayed): Uint8Array {
  return r.frame ?? encodeSyncUpdate(r.update)
}

/** One sync update frame holding every update of `batch`. */
function mergedFrame(batch: readonly Relayed[]): Uint8Array {
  if (batch.length === 1) return frameOf(batch[0]!)
  return encodeSyncUpdate(Y.mergeUpdates(batch.map((r) => r.update)))
}

/**
 * Resolves once the updates applied so far are relayed: their relay is queued for the end of
 * the tick ({@link Room}'s `#relay`), and this comes after it.
 */
function afterRelay(): Promise<void> {
  return new Promise((resolve) => process.nextTick(resolve))
}

/** The stored state of a document cannot be decoded; it is left untouched. */
export class CorruptDocumentError extends Error {
  override readonly name = 'CorruptDocumentError'
}

interface PeerInfo {
  /** `Date.now()` when the peer was last sent a frame. */
  lastSentMs: number
  /** Update frames (sync step 2 and sync update) received from the peer. */
  updateFrames: number
  /** How many of those are stored: every one up to this count. */
  storedFrames: number
  /** This peer's update frames not yet committed (received this turn, or being stored). */
  appending: number
  /** The last empty update frame received while appends were pending (stored with them). */
  emptyFrame: number
  /** Whether the peer asked for `saved` acknowledgements, and the count it was last sent. */
  wantsSaved: boolean
  savedSent: number
  /**
   * Update frames held until the document has what the first depends on (SPEC U4), in the
   * order received: once one is held, the peer's later ones wait behind it.
   */
  held: Held[]
  /** Sync step 1 answers with a diff, and query-awareness answers, the peer may still have. */
  diffs: TokenBucket
  queries: TokenBucket
}

/**
 * Costly answers (a diff of the whole document, everyone's presence) a connection gets at
 * once, and how often one more is allowed after those. A client asks once per connection.
 */
const COSTLY_ANSWERS_PER_CONNECTION = 4
const COSTLY_ANSWERS_PER_SECOND = 0.1

/** An update frame held for its dependencies. */
interface Held extends Received {
  receivedMs: number
}

/** A `#rrggbb` colour, the only form of colour the server passes on in a stamped state. */
const HEX_COLOR = /^#[0-9a-f]{6}$/i

/**
 * `entry` with the user's presence replaced by what `identity` (a token) vouches for: its name,
 * its colour (or the client's own if it is a `#rrggbb` colour) and a light variant derived from
 * it; every other field of `user` is dropped, so a client cannot add what others would render.
 */
function stampIdentity(entry: AwarenessEntry, identity: Identity): AwarenessEntry {
  if (entry.state === null) return entry
  const state: unknown = JSON.parse(entry.state)
  if (typeof state !== 'object' || state === null || Array.isArray(state)) return entry
  const user = (state as { user?: { color?: unknown } }).user
  const own = typeof user?.color === 'string' && HEX_COLOR.test(user.color) ? user.color : null
  const color = identity.color ?? own
  const stamped = {
    name: identity.name,
    ...(color ? { color, colorLight: `${color}33` } : {}),
  }
  return { ...entry, state: JSON.stringify({ ...state, user: stamped }) }
}

/**
 * One loaded document and the peers editing it. A room validates every message before it
 * touches anything, stores every update before relaying it (so whatever a peer has seen is
 * durable), encodes each outgoing message once for all peers, and never echoes a peer's own
 * update back to it.
 */
export class Room {
  readonly name: string
  readonly #store: DocStore
  readonly #options: RoomOptions
  readonly #log: Logger
  readonly #state: DocState
  readonly #awareness: AwarenessTable<Peer | RemoteOwner>
  readonly #peers = new Map<Peer, PeerInfo>()
  readonly #link: RoomLink | undefined
  /** Applies updates in sequence order, whichever server stored them. */
  readonly #sequencer: Sequencer<OwnUpdate>
  /**
   * Update frames received in this turn and not yet handed to the store, by sender in the order
   * they first sent, kept even if they have left since (see {@link #storeReceived}).
   */
  #received = new Map<Peer, { info: PeerInfo; frames: Received[] }>()
  /** Updates applied in this tick and not relayed yet (see {@link #relay}). */
  #relaying: Relayed[] = []
  /** Peers with an acknowledgement to send at the end of the current commit. */
  readonly #acks = new Set<Peer>()
  /** What the document holds, by client: judges each update before it is accepted. */
  readonly #structure: DocStructure
  /** Peers with held update frames, and the bytes held in all. */
  readonly #holding = new Set<Peer>()
  #heldBytes = 0
  #heldTimer: NodeJS.Timeout | null = null
  #inflight = 0
  #drained: (() => void)[] = []
  #compacting: Promise<void> | null = null
  /** Fires once editing has paused long enough to compact; see {@link #compactWhenQuiet}. */
  #quietTimer: NodeJS.Timeout | null = null
  #lastEditMs = 0
  #closed = false
  /** Versions of this document: automatic ones, and those the HTTP API asks for. */
  readonly history: History

  private constructor(
    name: string,
    state: DocState,
    structure: DocStructure,
    store: DocStore,
    options: RoomOptions,
    log: Logger,
    link: RoomLink | undefined,
  ) {
    this.name = name
    this.#state = state
    this.#structure = structure
    this.#awareness = new AwarenessTable(options.maxAwarenessClientsPerRoom)
    this.#store = store
    this.#options = options
    this.#log = log
    this.#link = link
    this.history = new History(this, store, options, log)
    this.#sequencer = new Sequencer<OwnUpdate>(
      {
        get lastSeq() {
          return state.lastSeq
        },
        apply: (seq, update, own) => this.#apply(seq, update, own),
        applySnapshot: (seq, snapshot) => {
          const missing = Y.diffUpdate(snapshot, state.stateVector)
          state.push(missing, seq)
          this.#structure.add(missing)
          if (this.#peers.size > 0) this.#broadcast(encodeSyncUpdate(missing))
          this.#releaseHeld()
        },
        alreadyApplied: (own) => this.history.edited(own.from),
        loadSince: (afterSeq) => store.loadSince(name, afterSeq),
      },
      {
        catchUpDelayMs: options.catchUpDelayMs ?? 20,
        retryMs: 1_000,
        maxHeldRemoteBytes: 8 * 1024 * 1024,
      },
      log,
    )
  }

  /**
   * Loads `name` from `store` (an unknown name is an empty document; nothing is written until
   * the first edit). Throws {@link CorruptDocumentError} if the stored bytes do not decode.
   * With a `link`, the room receives the other servers' messages from before it reads the
   * store, so that it misses none.
   */
  static async load(
    name: string,
    store: DocStore,
    options: RoomOptions,
    log: Logger,
    link?: RoomLink,
  ): Promise<Room> {
    let state: DocState
    let structure: DocStructure
    try {
      await link?.ready
      const stored = await store.load(name)
      try {
        state = new DocState(
          stored?.snapshot ?? null,
          stored?.updates ?? [],
          stored?.lastSeq ?? 0,
          {
            // A stored update that throws when applied is kept apart, never dropped (SPEC Q2).
            onSetAside: (entries) => void recordSetAside(store, name, entries, log),
          },
        )
        // Decode all of it now (a single stored update is not even parsed by merging), so that
        // a corrupt document is refused here instead of failing a client later.
        state.validate()
        structure = DocStructure.of(state.update)
      } catch (err) {
        throw new CorruptDocumentError(
          `stored state of ${JSON.stringify(name)} does not decode: ${(err as Error).message}`,
        )
      }
    } catch (err) {
      link?.close()
      throw err
    }
    const room = new Room(name, state, structure, store, options, log, link)
    link?.attach(room)
    return room
  }

  /** Number of connected peers. */
  get size(): number {
    return this.#peers.size
  }

  /** The whole document as one Yjs update (committed edits only). */
  get update(): Uint8Array {
    return this.#state.update
  }

  /** Sequence number of the last stored update the room holds; it holds every one before. */
  get lastSeq(): number {
    return this.#state.lastSeq
  }

  /** Adds `peer` and starts the sync handshake: our state vector, then who is present. */
  join(peer: Peer): void {
    if (this.#closed) {
      peer.close(CloseCode.GoingAway, closeReason[CloseCode.GoingAway])
      return
    }
    // Computed before the peer is added: if it throws, the join leaves nothing behind.
    const step1 = encodeSyncStep1(this.#state.stateVector)
    const now = Date.now()
    const info: PeerInfo = {
      lastSentMs: 0,
      updateFrames: 0,
      storedFrames: 0,
      appending: 0,
      emptyFrame: 0,
      wantsSaved: false,
      savedSent: 0,
      held: [],
      diffs: new TokenBucket(COSTLY_ANSWERS_PER_CONNECTION, COSTLY_ANSWERS_PER_SECOND, now),
      queries: new TokenBucket(COSTLY_ANSWERS_PER_CONNECTION, COSTLY_ANSWERS_PER_SECOND, now),
    }
    this.#peers.set(peer, info)
    this.#send(peer, info, step1, now)
    const present = this.#awareness.present()
    if (present.length > 0) {
      this.#send(peer, info, encodeAwareness(encodeAwarenessUpdate(present)), now)
    }
  }

  /** Removes `peer`; its awareness states are removed for everyone else. */
  leave(peer: Peer): void {
    const info = this.#peers.get(peer)
    if (!info) return
    this.#dropHeld(peer, info)
    this.#peers.delete(peer)
    const removed = this.#awareness.removeOwner(peer)
    if (removed.length > 0) {
      this.#broadcast(encodeAwareness(encodeAwarenessUpdate(removed)))
      this.#link?.publishAwareness(peer.userKey, removed)
    }
    if (this.#peers.size === 0) this.history.emptied()
  }

  /**
   * Handles one binary frame from `peer`. A frame that is not a valid message closes that
   * peer's connection with the error's close code and changes nothing.
   */
  receive(peer: Peer, frame: Uint8Array): void {
    if (!this.#peers.has(peer)) return
    try {
      this.#handle(peer, frame)
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.#log.warn(
          { conn: peer.id, kind: err.kind, err: err.message },
          'closing connection: bad message',
        )
        this.#reject(peer, err.closeCode)
      } else {
        this.#log.error({ conn: peer.id, err }, 'closing connection: message handling failed')
        this.#reject(peer, CloseCode.InternalError)
      }
    }
  }

  #handle(peer: Peer, frame: Uint8Array): void {
    const message = decodeMessage(frame)
    switch (message.type) {
      case 'sync-step-1': {
        validateStateVector(message.stateVector)
        const info = this.#peers.get(peer)!
        const now = Date.now()
        // A diff costs the whole document; a client needs one per connection. Beyond a few,
        // the peer gets the whole state, which the room keeps encoded (SPEC U6).
        const diff = info.diffs.take(1, now)
          ? this.#state.diff(message.stateVector)
          : this.#state.update
        this.#send(peer, info, encodeSyncStep2(diff), now)
        return
      }
      case 'sync-step-2':
      case 'sync-update': {
        if (peer.readOnly) {
          // Never applied, stored or relayed: a read-only peer cannot change the document.
          validateUpdate(message.update)
          return
        }
        const info = this.#peers.get(peer)!
        if (isEmptyUpdate(message.update)) {
          const index = ++info.updateFrames
          // Nothing to store: it counts as stored once everything before it is.
          if (info.appending === 0) this.#stored(peer, info, index)
          else info.emptyFrame = index
          return
        }
        // Judged (and validated) before anything is counted: a refused update changes nothing.
        const verdict = info.held.length > 0 ? null : this.#judge(message.update)
        if (verdict?.kind === 'refused') {
          this.#refuse(peer, verdict.reason)
          return
        }
        const index = ++info.updateFrames
        info.appending++
        // A sync update frame holds exactly its update (decodeMessage refuses trailing bytes),
        // so it is relayed as received; a step 2 is re-encoded as an update once.
        const relay = message.type === 'sync-update' ? frame : encodeSyncUpdate(message.update)
        const received = { update: message.update, frame: relay, index }
        if (verdict?.kind === 'ready') {
          this.#structure.record(verdict)
          this.#accept(peer, info, received)
          this.#releaseHeld()
        } else {
          // Waiting for what it depends on, or behind an update of the peer's that is.
          if (!verdict) validateUpdate(message.update)
          this.#hold(peer, info, received)
        }
        return
      }
      case 'saved-request': {
        const info = this.#peers.get(peer)!
        info.wantsSaved = true
        info.savedSent = info.storedFrames
        this.#send(peer, info, encodeSaved(info.storedFrames), Date.now())
        return
      }
      case 'awareness': {
        const decoded = decodeAwarenessUpdate(
          message.update,
          this.#options.maxAwarenessStateBytes,
          this.#options.maxAwarenessClientsPerRoom,
        )
        const { identity } = peer
        const entries = identity ? decoded.map((e) => stampIdentity(e, identity)) : decoded
        const applied = this.#awareness.apply(
          entries,
          peer,
          (owner) =>
            (owner instanceof RemoteOwner ? owner.gone : !this.#peers.has(owner)) ||
            (owner.userKey !== undefined && owner.userKey === peer.userKey),
          this.#options.maxAwarenessClientsPerConnection,
        )
        if (applied.length === 0) return
        this.#link?.publishAwareness(peer.userKey, applied)
        this.history.sawAwareness(peer, applied)
        const out =
          applied.length === decoded.length && !identity
            ? frame
            : encodeAwareness(encodeAwarenessUpdate(applied))
        this.#broadcast(out, peer, true)
        return
      }
      case 'query-awareness': {
        const info = this.#peers.get(peer)!
        const now = Date.now()
        // Everyone's presence, for one byte: answered a few times per connection (SPEC U6).
        if (!info.queries.take(1, now)) return
        this.#send(
          peer,
          info,
          encodeAwareness(encodeAwarenessUpdate(this.#awareness.present())),
          now,
        )
        return
      }
      case 'auth-denied':
      case 'saved':
        // Only servers send these; a client's is ignored, as the reference server does.
        return
    }
  }

  /** `update` judged against the document and the room's limits. */
  #judge(update: Uint8Array): Verdict {
    return this.#structure.judge(update, this.#options.updateLimits)
  }

  /** Closes `peer` for an update the document refuses (SPEC U1–U3); nothing of it is kept. */
  #refuse(peer: Peer, reason: string): void {
    this.#log.warn({ conn: peer.id, reason }, 'closing connection: update refused')
    this.#reject(peer, CloseCode.UpdateRefused)
  }

  /**
   * Takes a received update frame of `from` (counted in `info.appending`) to be stored at the
   * end of the turn with the others `from` sends in it (see {@link #storeReceived}).
   */
  #accept(from: Peer, info: PeerInfo, received: Received): void {
    if (this.#received.size === 0) process.nextTick(this.#storeReceived)
    let pending = this.#received.get(from)
    if (!pending) {
      pending = { info, frames: [] }
      this.#received.set(from, pending)
    }
    pending.frames.push(received)
  }

  /**
   * Holds an update frame of `peer` until the document has what it depends on (SPEC U4): an
   * edit made on another server that has not arrived yet, typically. Past the room's byte
   * budget the peer is closed with 4512 and resyncs when it reconnects.
   */
  #hold(peer: Peer, info: PeerInfo, received: Received): void {
    if (this.#heldBytes + received.update.length > this.#options.maxPendingBytes) {
      this.#log.warn(
        { conn: peer.id },
        'closing connection: too many updates wait for dependencies',
      )
      this.#reject(peer, CloseCode.DependenciesMissing)
      return
    }
    info.held.push({ ...received, receivedMs: Date.now() })
    this.#heldBytes += received.update.length
    this.#holding.add(peer)
    if (!this.#heldTimer) {
      this.#heldTimer = setTimeout(this.#expireHeld, this.#options.pendingTimeoutMs)
      this.#heldTimer.unref()
    }
  }

  /** Accepts the held frames whose dependencies have arrived, each peer's in order. */
  #releaseHeld(): void {
    if (this.#holding.size === 0) return
    for (const peer of this.#holding) {
      const info = this.#peers.get(peer)!
      while (info.held.length > 0) {
        const head = info.held[0]!
        const verdict = this.#judge(head.update)
        if (verdict.kind === 'pending') break
        info.held.shift()
        this.#heldBytes -= head.update.length
        if (verdict.kind === 'refused') {
          this.#refuse(peer, verdict.reason)
          break
        }
        this.#structure.record(verdict)
        this.#accept(peer, info, head)
      }
      if (info.held.length === 0) this.#holding.delete(peer)
    }
  }

  /** Drops the held frames of `peer`. */
  #dropHeld(peer: Peer, info: PeerInfo): void {
    for (const held of info.held) this.#heldBytes -= held.update.length
    info.held = []
    this.#holding.delete(peer)
  }

  /** Closes, with 4512, the peers whose oldest held frame has waited out the timeout. */
  readonly #expireHeld = (): void => {
    this.#heldTimer = null
    const now = Date.now()
    const timeoutMs = this.#options.pendingTimeoutMs
    let nextDueMs = Number.POSITIVE_INFINITY
    for (const peer of [...this.#holding]) {
      const head = this.#peers.get(peer)!.held[0]!
      if (now - head.receivedMs >= timeoutMs) {
        this.#log.warn(
          { conn: peer.id },
          'closing connection: an update waited too long for its dependencies',
        )
        this.#reject(peer, CloseCode.DependenciesMissing)
      } else {
        nextDueMs = Math.min(nextDueMs, head.receivedMs + timeoutMs)
      }
    }
    if (Number.isFinite(nextDueMs) && !this.#closed) {
      this.#heldTimer = setTimeout(this.#expireHeld, nextDueMs - now)
      this.#heldTimer.unref()
    }
  }

  /**
   * Hands the updates received in this turn to the store, each peer's in the order it sent
   * them. A peer's burst of {@link MERGE_MIN_UPDATES} or more is merged and stored as one
   * update (at most {@link MERGE_MAX_UPDATES} per merge, SPEC S9): one row, one sequence
   * number, one frame to relay, and one update for compaction to apply instead of hundreds.
   * Fewer are stored one by one, as received.
   */
  readonly #storeReceived = (): void => {
    if (this.#received.size === 0) return
    const received = this.#received
    this.#received = new Map()
    for (const [from, { info, frames }] of received) {
      const runs = frames.length < MERGE_MIN_UPDATES ? frames.map((r) => [r]) : mergeRuns(frames)
      for (const run of runs) {
        const merged = run.length > 1 ? this.#merge(run) : null
        if (merged) this.#storeFrom(from, info, run, merged, encodeSyncUpdate(merged))
        else for (const r of run) this.#storeFrom(from, info, [r], r.update.slice(), r.frame)
      }
    }
  }

  /** The merge of `run`'s updates, or `null` (logged) if they do not merge. */
  #merge(run: readonly { update: Uint8Array }[]): Uint8Array | null {
    try {
      return Y.mergeUpdates(run.map((r) => r.update))
    } catch (err) {
      // Every update was validated, so this is not expected; the caller goes one by one.
      this.#log.error({ err, updates: run.length }, 'merging updates failed')
      return null
    }
  }

  /**
   * Stores `update` (owned bytes holding the updates of `frames`, frames of `from`), then adds
   * it to the state, relays `frame` to everyone but `from` and acknowledges `frames` to `from`
   * if asked.
   */
  #storeFrom(
    from: Peer,
    info: PeerInfo,
    frames: readonly Received[],
    update: Uint8Array,
    frame: Uint8Array,
  ): void {
    const index = frames[frames.length - 1]!.index
    this.#commit(update, frame, from).then(
      () => {
        info.appending -= frames.length
        this.#stored(from, info, info.appending === 0 ? Math.max(index, info.emptyFrame) : index)
        this.#options.onChange?.(this, from)
      },
      (err: unknown) => {
        this.#log.error({ err, conn: from.id }, 'storing an update failed; connection closed')
        // The sender still holds the edit and offers it again when it resyncs.
        this.#reject(from, CloseCode.StorageUnavailable)
      },
    )
  }

  /**
   * Applies an edit made by the server itself (an import, a restore): stored, then relayed to
   * every peer. Resolves once it is stored; rejects if `update` does not decode or cannot be
   * stored. `author` names whom the edit is made for, in change notifications.
   */
  async applyUpdate(update: Uint8Array, author?: string): Promise<void> {
    if (this.#closed) throw new Error('room is closed')
    if (isEmptyUpdate(update)) return
    const verdict = this.#judge(update)
    if (verdict.kind !== 'ready') {
      throw new Error(
        verdict.kind === 'refused'
          ? `update refused: ${verdict.reason}`
          : 'update lacks dependencies',
      )
    }
    this.#structure.record(verdict)
    await this.#commit(update.slice(), encodeSyncUpdate(update), null)
    this.#options.onChange?.(this, null, author)
  }

  /**
   * Stores `owned` (bytes nothing else holds: the state keeps them), then adds it to the state
   * and sends `frame` to every peer but `from`. Resolves once the update is in the state: if
   * other servers stored updates before it that have not arrived yet, after those.
   */
  #commit(owned: Uint8Array, frame: Uint8Array, from: Peer | null): Promise<void> {
    this.#inflight++
    return this.#store
      .append(this.name, owned)
      .then((seq) => {
        this.#link?.publishUpdate(seq, owned)
        return this.#sequencer.own(seq, owned, { frame, from })
      })
      .then(() => {
        this.#lastEditMs = Date.now()
        this.#compactWhenQuiet()
      })
      .finally(() => {
        if (--this.#inflight === 0) for (const resolve of this.#drained.splice(0)) resolve()
      })
  }

  /**
   * Applies update `seq` that another server stored: at once if it is the next one, after the
   * missing ones if some are (read from the store if they do not arrive), never twice.
   */
  receiveRemoteUpdate(seq: number, update: Uint8Array): void {
    if (seq <= this.#state.lastSeq) return
    try {
      validateUpdate(update)
    } catch (err) {
      this.#log.warn({ seq, err: (err as Error).message }, 'a remote update does not decode')
      this.#sequencer.missing()
      return
    }
    this.#sequencer.remote(seq, update.slice())
  }

  /**
   * Reads what the store holds beyond the room's state and applies it in order, relaying it to
   * the peers: how a room catches up after missing other servers' messages. Never rejects.
   */
  catchUp(): Promise<void> {
    return this.#sequencer.catchUp().then(afterRelay)
  }

  /** Adds update `seq` (the next one) to the state and relays it. */
  #apply(seq: number, update: Uint8Array, own: OwnUpdate | undefined): void {
    this.#state.push(update, seq)
    if (!own) {
      // Another server's (it judged it): what the room's held frames may have waited for.
      this.#structure.add(update)
      this.#releaseHeld()
    }
    if (this.#peers.size > 0) {
      if (this.#relaying.length === 0) process.nextTick(this.#relay)
      this.#relaying.push({ update, frame: own?.frame ?? null, from: own?.from ?? null })
    }
    if (own) this.history.edited(own.from)
  }

  /**
   * Relays the updates applied in this tick, in order, when it ends: one by one if they are
   * few, else merged so that each peer gets one frame holding every update it did not send
   * (a receiver applies one update instead of hundreds, and the room sends one frame per peer).
   */
  readonly #relay = (): void => {
    const batch = this.#relaying
    if (batch.length === 0) return
    this.#relaying = []
    if (batch.length < MERGE_MIN_UPDATES) {
      this.#broadcastEach(batch)
      return
    }
    for (const run of mergeRuns(batch)) this.#broadcastMerged(run)
  }

  /** Sends each peer the merge of the updates of `batch` that it did not send itself. */
  #broadcastMerged(batch: Relayed[]): void {
    const senders = new Set<Peer>()
    for (const r of batch) if (r.from && this.#peers.has(r.from)) senders.add(r.from)
    let merged: Uint8Array | null = null
    try {
      const now = Date.now()
      for (const [peer, info] of this.#peers) {
        if (senders.has(peer)) continue
        merged ??= mergedFrame(batch)
        this.#send(peer, info, merged, now)
      }
      for (const sender of senders) {
        const others = batch.filter((r) => r.from !== sender)
        if (others.length > 0)
          this.#send(sender, this.#peers.get(sender)!, mergedFrame(others), now)
      }
    } catch (err) {
      // Every update was validated, so this is not expected; relay them one by one instead.
      this.#log.error({ err, updates: batch.length }, 'merging updates to relay failed')
      this.#broadcastEach(batch)
    }
  }

  /** Relays each update of `batch` in its own frame, to every peer but its sender. */
  #broadcastEach(batch: readonly Relayed[]): void {
    for (const r of batch) this.#broadcast(frameOf(r), r.from)
  }

  /**
   * Applies an awareness update from the connection(s) of a user on another server, and relays
   * what changed to the peers. A client id owned by a peer here is taken over only by the same
   * user; only its owner removes a client.
   */
  receiveRemoteAwareness(owner: RemoteOwner, update: Uint8Array): void {
    if (this.#closed) return
    let entries: AwarenessEntry[]
    try {
      entries = decodeAwarenessUpdate(update, this.#options.maxAwarenessStateBytes)
    } catch (err) {
      this.#log.warn({ node: owner.node, err: (err as Error).message }, 'bad remote awareness')
      return
    }
    const applied = this.#awareness.apply(
      entries,
      owner,
      (current, entry) =>
        entry.state !== null &&
        (current instanceof RemoteOwner ||
          !this.#peers.has(current) ||
          (current.userKey !== undefined && current.userKey === owner.userKey)),
    )
    if (applied.length > 0) this.#broadcast(encodeAwareness(encodeAwarenessUpdate(applied)))
  }

  /** Removes the awareness states of every user of server `node` (it is gone). */
  removeRemoteNode(node: string): void {
    const removed = this.#awareness.removeWhere((o) => o instanceof RemoteOwner && o.node === node)
    if (removed.length > 0) this.#broadcast(encodeAwareness(encodeAwarenessUpdate(removed)))
  }

  /** The present awareness states that this server's peers sent, by user. */
  localAwareness(): { userKey: string | undefined; entries: AwarenessEntry[] }[] {
    const local: { userKey: string | undefined; entries: AwarenessEntry[] }[] = []
    for (const [owner, entries] of this.#awareness.presentByOwner()) {
      if (!(owner instanceof RemoteOwner)) local.push({ userKey: owner.userKey, entries })
    }
    return local
  }

  /** Records that `peer`'s first `frames` update frames are stored; acknowledges if asked. */
  #stored(peer: Peer, info: PeerInfo, frames: number): void {
    info.storedFrames = Math.max(info.storedFrames, frames)
    if (!info.wantsSaved || info.storedFrames === info.savedSent) return
    // One acknowledgement per peer per commit, however many of its updates the commit held.
    if (this.#acks.size === 0) queueMicrotask(() => this.#sendAcks())
    this.#acks.add(peer)
  }

  #sendAcks(): void {
    const now = Date.now()
    for (const peer of this.#acks) {
      const info = this.#peers.get(peer)
      if (!info || info.storedFrames === info.savedSent) continue
      info.savedSent = info.storedFrames
      this.#send(peer, info, encodeSaved(info.storedFrames), now)
    }
    this.#acks.clear()
  }

  #send(peer: Peer, info: PeerInfo, frame: Uint8Array, now: number): void {
    info.lastSentMs = now
    peer.send(frame)
  }

  /**
   * Sends `frame` to every peer but `from`; to `from` too if `echoIfQuiet` and it is quiet.
   * Updates of this tick not yet relayed go first, so that peers see messages in order.
   */
  #broadcast(frame: Uint8Array, from?: Peer | null, echoIfQuiet = false): void {
    if (this.#relaying.length > 0) this.#relay()
    const now = Date.now()
    for (const [peer, info] of this.#peers) {
      if (peer === from && !(echoIfQuiet && now - info.lastSentMs >= this.#options.quietEchoMs)) {
        continue
      }
      this.#send(peer, info, frame, now)
    }
  }

  #reject(peer: Peer, code: CloseCode): void {
    this.leave(peer)
    peer.close(code, closeReason[code])
  }

  /** Resolves once every update received so far is stored (or has failed) and relayed. */
  flush(): Promise<void> {
    this.#storeReceived()
    if (this.#inflight === 0) return afterRelay()
    return new Promise<void>((resolve) => this.#drained.push(resolve)).then(afterRelay)
  }

  /**
   * After an edit or a compaction: compacts at once if the log has grown too long to wait,
   * otherwise arms a timer that compacts once no edit has come for `compactQuietMs` (one timer
   * per room, not one per edit: when it fires early it waits for the rest of the pause).
   */
  #compactWhenQuiet(): void {
    const { compactAfterUpdates } = this.#options
    const quietMs = this.#options.compactQuietMs ?? 2_000
    if (this.#state.mustCompact(compactAfterUpdates)) {
      void this.compact()
      return
    }
    if (this.#quietTimer || !this.#state.shouldCompact(compactAfterUpdates)) return
    const arm = (delayMs: number) => {
      this.#quietTimer = setTimeout(() => {
        this.#quietTimer = null
        if (this.#closed) return
        const quietForMs = Date.now() - this.#lastEditMs
        if (quietForMs < quietMs) arm(quietMs - quietForMs)
        else if (this.#state.shouldCompact(compactAfterUpdates)) void this.compact()
      }, delayMs)
      this.#quietTimer.unref()
    }
    arm(quietMs)
  }

  /** Folds the stored update log into one compact snapshot. Edits may continue meanwhile. */
  compact(): Promise<void> {
    if (this.#compacting) return this.#compacting
    if (this.#state.updatesSinceSnapshot === 0) return Promise.resolve()
    this.#compacting = (async () => {
      const snapshot = this.#state.snapshot()
      const done = await this.#store.compact(
        this.name,
        snapshot.bytes,
        snapshot.throughSeq,
        snapshot.setAside,
      )
      // If another server is compacting the log, it is folding these same updates.
      this.#state.snapshotStored(snapshot)
      if (done) {
        this.#log.debug(
          { bytes: snapshot.bytes.length, updates: snapshot.updateCount },
          'compacted',
        )
      } else {
        this.#log.debug('compaction skipped: another server is compacting this document')
      }
      return true
    })()
      .catch((err: unknown) => {
        this.#log.error({ err }, 'compaction failed; log kept as is')
        return false
      })
      .then((compacted) => {
        this.#compacting = null
        // Updates committed while it ran may already call for the next one.
        if (compacted && !this.#closed) this.#compactWhenQuiet()
      })
    return this.#compacting
  }

  /**
   * Closes every peer with `code`, waits until everything received is stored, and compacts.
   * The room accepts nothing afterwards.
   */
  async close(code: CloseCode = CloseCode.GoingAway): Promise<void> {
    this.#closed = true
    if (this.#quietTimer) clearTimeout(this.#quietTimer)
    if (this.#heldTimer) clearTimeout(this.#heldTimer)
    await this.flush()
    // What was applied last reaches the peers before their close frames.
    this.#relay()
    for (const peer of [...this.#peers.keys()]) this.#reject(peer, code)
    await this.history.close()
    await this.compact()
    this.#sequencer.close()
    this.#link?.close()
  }
}
