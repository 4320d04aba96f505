import {
  type AttributedSpan,
  type AttributionRecord,
  CloseCode,
  closeReason,
  type DocStructure,
  decodeMessage,
  encodeSyncStep1,
  encodeSyncStep2,
  encodeSyncUpdate,
  type IdRanges,
  normalizeRanges,
  ProtocolError,
  TEXT_NAME,
  type UpdateLimits,
  type Verdict,
  validateStateVector,
  validateUpdate,
} from '@tandem/protocol'
import * as Y from 'yjs'
import { TokenBucket } from '../limits/token-bucket.js'
import type { Logger } from '../log.js'
import type { Author, DocStore, UpdateAttribution } from '../persistence/store.js'
import { type CompactionOptions, Compactor } from './compaction.js'
import { DocState, type Folder, isEmptyUpdate, loadDocState } from './doc-state.js'
import { type HeldOptions, HeldUpdates, type Received } from './held.js'
import { History, type HistoryHost, type HistoryOptions, presenceUser } from './history.js'
import type { RemoteOwner, RoomLink } from './link.js'
import type { Peer } from './peer.js'
import { Presence, type PresenceOptions } from './presence.js'
import { MERGE_MIN_UPDATES, mergeRuns, Relay } from './relay.js'
import { SavedAcks, SavedLedger } from './saved.js'
import { Sequencer } from './sequencer.js'
import { endOfTurn, TurnBatch } from './turn.js'

/** Defaults of the room's bounds on hostile input (the configuration's defaults too). */
export const defaultRoomLimits = {
  maxAwarenessClientsPerConnection: 4,
  maxAwarenessClientsPerRoom: 1_000,
  updateLimits: { maxTypeDepth: 64, maxDeleteRanges: 100_000, rootTypes: null },
  pendingTimeoutMs: 10_000,
  maxPendingBytes: 4 * 1024 * 1024,
} as const satisfies Partial<RoomOptions>

export interface RoomOptions
  extends Partial<HistoryOptions>,
    PresenceOptions,
    CompactionOptions,
    HeldOptions {
  /** What a well-formed update may do to the document (SPEC U1–U3). */
  updateLimits: UpdateLimits
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
   * Whether each stored update records who sent it, when, and which ids it inserted and
   * deleted (SPEC B). Default `true`.
   */
  attribution?: boolean
  /**
   * Whether folds keep deleted content, so that the stored document still holds deleted text
   * for the timeline (SPEC B4). Default: as {@link attribution}.
   */
  keepDeletedText?: boolean
  /**
   * Called after an edit of this server's is stored: by `peer`, or by the server itself
   * (`null`) on behalf of `author`, e.g. the user of an HTTP API call. Must not throw.
   */
  onChange?: (room: Room, peer: Peer | null, author?: string) => void
}

/** The stored state of a document cannot be decoded; it is left untouched. */
export class CorruptDocumentError extends Error {
  override readonly name = 'CorruptDocumentError'
}

/** What the room keeps of each connected peer. */
interface PeerInfo {
  /** `Date.now()` when the peer was last sent a frame. */
  lastSentMs: number
  saved: SavedLedger
  /** Sync step 1 answers computed as a diff that the peer may still have (SPEC U6). */
  diffs: TokenBucket
  /** The latest sync step 1 waiting for that allowance, if one is. */
  step1: Uint8Array | null
  /** The author its edits are attributed to, and the presence state it was read from. */
  author: { author: Author; from: string | undefined } | null
  /** How many authors its edits were attributed to (a name changed this many times). */
  authors: number
}

/**
 * Names a connection's edits are attributed to, at most: past them, a connection that keeps
 * renaming itself keeps its last name (each author is a row kept for good; SPEC B1).
 */
const MAX_AUTHORS_PER_CONNECTION = 16

/**
 * Diffs of the whole document a connection gets at once for a 9-byte sync step 1, and how
 * often one more is allowed after those; a client asks once per connection (SPEC U6).
 */
const DIFFS_PER_CONNECTION = 2
const DIFFS_PER_SECOND = 0.1

/** An update frame of this turn, to be stored at its end (see {@link Room}'s `#store`). */
interface Incoming {
  from: Peer
  saved: SavedLedger
  received: Received
  /** Who sent it, when, and what it inserted and deleted; absent with attribution off. */
  attribution: UpdateAttribution | undefined
}

/** Whether two authors are the same person as the store numbers them, with the same colour. */
function sameAuthor(a: Author, b: Author): boolean {
  return (
    a.name === b.name && a.verified === b.verified && a.subject === b.subject && a.color === b.color
  )
}

/** The ids of a ready verdict's new structs. */
function insertedIds(verdict: Extract<Verdict, { kind: 'ready' }>): IdRanges {
  const ids: IdRanges = []
  for (const { client, from, to } of verdict.structs)
    if (to > from) ids.push(client, from, to - from)
  return ids
}

/** One attribution for updates stored as one (a merged burst of one peer). */
function mergedAttribution(
  parts: readonly (UpdateAttribution | undefined)[],
): UpdateAttribution | undefined {
  const first = parts[0]
  if (!first || parts.length === 1) return first
  return {
    author: first.author,
    timeMs: first.timeMs,
    inserts: normalizeRanges(parts.flatMap((p) => p?.inserts ?? [])),
    deletes: normalizeRanges(parts.flatMap((p) => p?.deletes ?? [])),
  }
}

/** An update of this server's: the frame to relay, and the peer it came from (not sent to). */
interface OwnUpdate {
  frame: Uint8Array
  from: Peer | null
}

/**
 * One loaded document and the peers editing it. The data path of an update, in order:
 *
 * 1. `receive` decodes the frame and judges the update against the document's structure
 *    (`DocStructure`): refused (4413), held until what it depends on arrives (`HeldUpdates`),
 *    or accepted;
 * 2. at the end of the turn (`TurnBatch`), the accepted updates are handed to the store, each
 *    peer's in the order sent, a peer's burst of 16 or more merged into one (SPEC S9);
 * 3. once committed, the `Sequencer` applies them in sequence order, with other servers'
 *    updates, to the state (`DocState`, update bytes, no `Y.Doc`);
 * 4. `Relay` sends them to every other peer at the end of that turn (SPEC S8), and the
 *    sender's `SavedLedger` acknowledges them if asked (SPEC V).
 *
 * So whatever a peer has seen is durable, nothing a client's Yjs would keep pending or fail
 * on is stored or relayed, every frame is encoded once for all peers, and no peer gets its own
 * update back. Presence, compaction and versions each have a file of their own.
 */
export class Room {
  readonly name: string
  readonly #store: DocStore
  readonly #options: RoomOptions
  readonly #log: Logger
  readonly #state: DocState
  readonly #structure: DocStructure
  readonly #peers = new Map<Peer, PeerInfo>()
  readonly #link: RoomLink | undefined
  readonly #sequencer: Sequencer<OwnUpdate>
  readonly #held: HeldUpdates
  readonly #incoming = new TurnBatch<Incoming>((items) => this.#storeTurn(items))
  /** Clients written by the updates in {@link #incoming}: by which peer, from which clock. */
  readonly #turnWriters = new Map<number, { peer: Peer; fromClock: number }>()
  readonly #relay: Relay
  readonly #acks: SavedAcks
  readonly #presence: Presence
  readonly #compactor: Compactor
  /** Appends in flight, and who waits for none to be. */
  #inflight = 0
  #drained: (() => void)[] = []
  #closed = false
  /** Versions of this document: automatic ones, and those the HTTP API asks for. */
  readonly history: History
  /** For the history: a version's state, folded off the event loop when it is large. */
  readonly versionState: HistoryHost['versionState']

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
    this.#store = store
    this.#options = options
    this.#log = log
    this.#link = link
    this.versionState = (compareWith) => state.versionOff(options.folder, TEXT_NAME, compareWith)
    this.history = new History(this, store, options, log)
    const send = (peer: Peer, frame: Uint8Array, nowMs = Date.now()) => {
      const info = this.#peers.get(peer)
      if (info) info.lastSentMs = nowMs
      peer.send(frame)
    }
    this.#relay = new Relay({ peers: this.#peers, send }, options.quietEchoMs, log)
    this.#acks = new SavedAcks((peer) => this.#peers.get(peer)?.saved, send)
    this.#presence = new Presence(
      {
        has: (peer) => this.#peers.has(peer),
        send,
        broadcast: (frame, from, echoIfQuiet) => this.#relay.broadcast(frame, from, echoIfQuiet),
        sawAwareness: (peer, entries) => this.history.sawAwareness(peer, entries),
      },
      link,
      options,
      log,
    )
    this.#compactor = new Compactor(name, state, store, options, log)
    this.#held = new HeldUpdates(
      {
        judge: (update) => this.#judge(update),
        satisfies: (needs) => this.#structure.satisfies(needs),
        accept: (peer, verdict, received) => {
          const info = this.#peers.get(peer)
          if (info) this.#admit(peer, info.saved, verdict, received)
        },
        refuse: (peer, reason) => this.#refuse(peer, reason),
        giveUp: (peer, why) => {
          this.#log.warn({ conn: peer.id, reason: why }, 'closing connection: update held too long')
          this.#reject(peer, CloseCode.DependenciesMissing)
        },
      },
      options,
      log,
    )
    // Another server's snapshot, and what it holds that the state lacks, diffed off the event
    // loop while the state was at `atSeq` (see `loadSince` below).
    let caughtUp: { snapshot: Uint8Array; missing: Uint8Array; atSeq: number } | null = null
    this.#sequencer = new Sequencer<OwnUpdate>(
      {
        get lastSeq() {
          return state.lastSeq
        },
        apply: (seq, update, own) => this.#apply(seq, update, own),
        applySnapshot: (seq, snapshot) => {
          const missing =
            caughtUp?.snapshot === snapshot && caughtUp.atSeq === state.lastSeq
              ? caughtUp.missing
              : state.missingFrom(snapshot)
          caughtUp = null
          state.push(missing, seq)
          this.#structure.add(missing)
          this.#relay.broadcast(encodeSyncUpdate(missing))
          this.#held.release()
        },
        alreadyApplied: (own) => this.history.edited(own.from),
        loadSince: async (afterSeq) => {
          const since = await store.loadSince(name, afterSeq)
          const { snapshot } = since ?? {}
          if (snapshot) {
            // If that fails, applySnapshot diffs on the event loop.
            const off = await state.missingFromOff(options.folder, snapshot).catch(() => null)
            caughtUp = off && { snapshot, ...off }
          }
          return since
        },
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
      const stored = await loadDocState(store, name, log)
      try {
        // An unknown name is an empty document; nothing is written until the first edit.
        state = stored ?? new DocState(null, [], 0)
        // With attribution, folds keep deleted text: the timeslider plays it back (SPEC B4).
        state.keepDeleted = options.keepDeletedText ?? options.attribution !== false
        // Read all of it now, so that a corrupt document is refused here instead of failing a
        // client later, off the event loop when a folder is at hand. A log that Yjs integrates
        // whole is served as stored (a cold load sends the stored bytes); anything else is
        // folded first, setting aside what throws.
        const { folder } = options
        const log = await state.structure(folder, true)
        if (log) {
          structure = log
          state.adoptLog()
        } else {
          await state.validateOff(folder)
          structure = await state.structure(folder, false)
        }
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

  /** The text of root type `textName`, folded off the event loop by `folder` when it can be. */
  text(folder: Folder | undefined, textName: string): Promise<string> {
    return this.#state.text(folder, textName)
  }

  /** The shared text and who wrote each span of it, per `records` (folded as {@link text}). */
  attributed(
    records: readonly AttributionRecord[],
  ): Promise<{ text: string; spans: AttributedSpan[] }> {
    return this.#state.attributed(this.#options.folder, TEXT_NAME, records)
  }

  /**
   * The committed document as one update, deleted content kept as far as the room kept it
   * (SPEC B4); folded off the event loop when the document is large.
   */
  state(): Promise<Uint8Array> {
    return this.#state.stateOff(this.#options.folder)
  }

  /** The length of the shared text, folded off the event loop when the document is large. */
  textLength(): Promise<number> {
    return this.#state.textLength(this.#options.folder, TEXT_NAME)
  }

  /**
   * An update that makes the shared text equal to `target` (see `DocState.replaceText`), computed
   * off the event loop when the document is large; to apply with {@link applyUpdate}.
   */
  replaceText(target: string): Promise<Uint8Array> {
    return this.#state.replaceText(this.#options.folder, TEXT_NAME, target)
  }

  /** Whether the room holds nothing: no stored update, and an empty snapshot or none. */
  get isEmpty(): boolean {
    return this.#state.isEmpty
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
    // Computed before the peer is added: if it throws, the join leaves nothing behind (U8).
    // From the structure, so that a join never folds the document on the event loop.
    const step1 = encodeSyncStep1(this.#structure.stateVector())
    const nowMs = Date.now()
    const info: PeerInfo = {
      lastSentMs: nowMs,
      saved: new SavedLedger(),
      diffs: new TokenBucket(DIFFS_PER_CONNECTION, DIFFS_PER_SECOND, nowMs),
      step1: null,
      author: null,
      authors: 0,
    }
    this.#peers.set(peer, info)
    peer.send(step1)
    const present = this.#presence.presentFrame()
    if (present) peer.send(present)
  }

  /** Removes `peer`; its awareness states are removed for everyone else. */
  leave(peer: Peer): void {
    if (!this.#peers.delete(peer)) return
    this.#held.drop(peer)
    this.#presence.leave(peer)
    if (this.#peers.size === 0) this.history.emptied()
  }

  /**
   * Handles one binary frame from `peer`. A frame that is not a valid message closes that
   * peer's connection with the error's close code and changes nothing.
   */
  receive(peer: Peer, frame: Uint8Array): void {
    const info = this.#peers.get(peer)
    if (!info) return
    try {
      this.#handle(peer, info, frame)
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

  #handle(peer: Peer, info: PeerInfo, frame: Uint8Array): void {
    const message = decodeMessage(frame)
    switch (message.type) {
      case 'sync-step-1':
        validateStateVector(message.stateVector)
        this.#answerStep1(peer, info, message.stateVector)
        return
      case 'sync-step-2':
      case 'sync-update': {
        // A sync update frame holds exactly its update (decodeMessage refuses trailing bytes),
        // so it is relayed as received; a step 2 is re-encoded as an update once.
        const relay = message.type === 'sync-update' ? frame : null
        this.#receiveUpdate(peer, info, message.update, relay)
        return
      }
      case 'saved-request':
        info.lastSentMs = Date.now()
        peer.send(info.saved.request())
        return
      case 'awareness':
        this.#presence.receive(peer, frame, message.update)
        return
      case 'query-awareness':
        this.#presence.query(peer)
        return
      case 'auth-denied':
      case 'saved':
        // Only servers send these; a client's is ignored, as the reference server does.
        return
    }
  }

  /**
   * Answers a sync step 1 with what the peer lacks (SPEC U6). A diff costs the whole document
   * and a client needs one per connection: beyond its allowance, the answer waits until the
   * allowance refills (only the peer's latest question is kept). With a folder, a large
   * document is folded and diffed off the event loop.
   */
  #answerStep1(peer: Peer, info: PeerInfo, stateVector: Uint8Array): void {
    const nowMs = Date.now()
    if (!info.diffs.take(1, nowMs)) {
      const waiting = info.step1 !== null
      info.step1 = stateVector
      if (!waiting) {
        setTimeout(
          () => {
            const latest = info.step1
            info.step1 = null
            if (latest && this.#peers.get(peer) === info) this.#answerStep1(peer, info, latest)
          },
          info.diffs.waitMs(1, nowMs),
        ).unref()
      }
      return
    }
    const send = (diff: Uint8Array) => {
      if (this.#peers.get(peer) !== info) return
      info.lastSentMs = Date.now()
      peer.send(encodeSyncStep2(diff))
    }
    const { folder } = this.#options
    if (!folder) {
      send(this.#state.diff(stateVector))
      return
    }
    this.#state.diffOff(stateVector, folder).then(send, (err: unknown) => {
      this.#log.error({ conn: peer.id, err }, 'closing connection: the state could not be diffed')
      this.#reject(peer, CloseCode.InternalError)
    })
  }

  /** Step 1 of the data path: judge the update, then accept, hold or refuse it. */
  #receiveUpdate(peer: Peer, info: PeerInfo, update: Uint8Array, frame: Uint8Array | null): void {
    if (peer.readOnly) {
      // Never applied, stored or relayed: a read-only peer cannot change the document. An
      // empty one (a step 2 with nothing new) is honestly "stored"; anything else never is.
      validateUpdate(update)
      if (isEmptyUpdate(update)) this.#ackIfDue(peer, info.saved.empty())
      else info.saved.dropped()
      return
    }
    if (isEmptyUpdate(update)) {
      this.#ackIfDue(peer, info.saved.empty())
      return
    }
    // Judged (and validated) before anything is counted: a refused update changes nothing.
    // Once the peer has a frame held, its later ones wait behind it (validated only).
    const waiting = this.#held.holds(peer)
    const verdict = waiting ? null : this.#judge(update)
    if (verdict?.kind === 'refused') {
      this.#refuse(peer, verdict.reason)
      return
    }
    if (!verdict) validateUpdate(update)
    const received = {
      update,
      frame: frame ?? encodeSyncUpdate(update),
      index: info.saved.appending(),
    }
    if (verdict?.kind === 'ready') {
      this.#admit(peer, info.saved, verdict, received)
      this.#held.release()
    } else {
      this.#held.hold(peer, received, verdict?.kind === 'pending' ? verdict.needs : null)
    }
  }

  /**
   * Records an update judged ready and queues it to be stored at the end of the turn. One that
   * builds on another peer's update of the same turn (rare: the two clients share updates some
   * other way, such as tabs of one browser) hands the turn's updates so far to the store first,
   * so that grouping each peer's updates (S9) never stores an update before one it needs.
   */
  #admit(
    peer: Peer,
    saved: SavedLedger,
    verdict: Extract<Verdict, { kind: 'ready' }>,
    received: Received,
  ): void {
    const { refs } = verdict
    for (let i = 0; i < refs.length; i += 2) {
      const writer = this.#turnWriters.get(refs[i]!)
      if (writer && writer.peer !== peer && refs[i + 1]! >= writer.fromClock) {
        this.#incoming.flushNow()
        break
      }
    }
    this.#structure.record(verdict)
    for (const { client, from } of verdict.structs) {
      if (!this.#turnWriters.has(client)) this.#turnWriters.set(client, { peer, fromClock: from })
    }
    const attribution = this.#attribute(this.#authorOf(peer), verdict)
    this.#incoming.add({ from: peer, saved, received, attribution })
  }

  /** What to store of who made an update judged `verdict`, now; nothing with attribution off. */
  #attribute(
    author: Author | null,
    verdict: Extract<Verdict, { kind: 'ready' }>,
  ): UpdateAttribution | undefined {
    if (author === null) return undefined
    return {
      author,
      timeMs: Date.now(),
      inserts: insertedIds(verdict),
      deletes: normalizeRanges(verdict.deletes.slice()),
    }
  }

  /**
   * Whom `peer`'s edits are attributed to: the name its token vouches for, or else the name its
   * presence gives, unverified (SPEC B1). `null` with attribution off.
   */
  #authorOf(peer: Peer): Author | null {
    if (this.#options.attribution === false) return null
    const info = this.#peers.get(peer)
    const state = this.history.stateOf(peer)
    const cached = info?.author
    if (cached) {
      // A token's user is known once its colour is (or never will be from presence).
      const settled = peer.identity && (cached.author.color !== undefined || state === undefined)
      if (settled || cached.from === state || info.authors >= MAX_AUTHORS_PER_CONNECTION) {
        return cached.author
      }
    }
    const presence = presenceUser(state)
    const { identity } = peer
    const author: Author = identity
      ? {
          name: identity.name,
          verified: true,
          subject: identity.subject,
          color: identity.color ?? presence.color,
        }
      : { name: presence.name ?? 'Anonymous', verified: false, color: presence.color }
    if (!info) return author
    if (cached && sameAuthor(cached.author, author)) {
      cached.from = state
      return cached.author
    }
    info.author = { author, from: state }
    info.authors++
    return author
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
   * Step 2: hands the updates accepted in this turn to the store, each peer's in the order it
   * sent them (see {@link #admit} for why no update can precede one it needs). A peer's burst
   * of {@link MERGE_MIN_UPDATES} or more is merged and stored as one update (at most 256 per
   * merge, SPEC S9): one row, one sequence number, one frame to relay, and one update for
   * compaction to apply instead of hundreds. Updates of a peer that left in the turn are
   * stored all the same.
   */
  #storeTurn(items: Incoming[]): void {
    this.#turnWriters.clear()
    const byPeer = new Map<
      Peer,
      { saved: SavedLedger; frames: Received[]; attributions: Map<Received, UpdateAttribution> }
    >()
    for (const { from, saved, received, attribution } of items) {
      let group = byPeer.get(from)
      if (!group) {
        group = { saved, frames: [], attributions: new Map() }
        byPeer.set(from, group)
      }
      group.frames.push(received)
      if (attribution) group.attributions.set(received, attribution)
    }
    for (const [from, { saved, frames, attributions }] of byPeer) {
      const runs = frames.length < MERGE_MIN_UPDATES ? frames.map((r) => [r]) : mergeRuns(frames)
      for (const run of runs) {
        const merged = run.length > 1 ? this.#merge(run) : null
        if (merged) {
          const attribution = mergedAttribution(run.map((r) => attributions.get(r)))
          this.#storeFrom(from, saved, run, merged, encodeSyncUpdate(merged), attribution)
        } else {
          for (const r of run) {
            this.#storeFrom(from, saved, [r], r.update.slice(), r.frame, attributions.get(r))
          }
        }
      }
    }
  }

  /** The merge of `run`'s updates, or `null` (logged) if they do not merge. */
  #merge(run: readonly Received[]): Uint8Array | null {
    try {
      return Y.mergeUpdates(run.map((r) => r.update))
    } catch (err) {
      // Every update was validated, so this is not expected; the caller goes one by one.
      this.#log.error({ err, updates: run.length }, 'merging updates failed')
      return null
    }
  }

  /**
   * Stores `update` (owned bytes holding the updates of `frames`, frames of `from`), then
   * acknowledges `frames` to `from` if asked.
   */
  #storeFrom(
    from: Peer,
    saved: SavedLedger,
    frames: readonly Received[],
    update: Uint8Array,
    frame: Uint8Array,
    attribution: UpdateAttribution | undefined,
  ): void {
    this.#commit(update, frame, from, attribution).then(
      () => {
        this.#ackIfDue(from, saved.committed(frames.length, frames[frames.length - 1]!.index))
        this.#options.onChange?.(this, from)
      },
      (err: unknown) => {
        this.#log.error({ err, conn: from.id }, 'storing an update failed; connection closed')
        // The sender still holds the edit and offers it again when it resyncs.
        this.#reject(from, CloseCode.StorageUnavailable)
      },
    )
  }

  #ackIfDue(peer: Peer, due: boolean): void {
    if (due) this.#acks.add(peer)
  }

  /**
   * Applies an edit made by the server itself (an import, a restore): stored, then relayed to
   * every peer. Resolves once it is stored; rejects if `update` does not decode, is refused or
   * lacks dependencies, or cannot be stored. `author` is whom the edit is made for: it is
   * attributed to them, and named in change notifications.
   */
  async applyUpdate(update: Uint8Array, author?: Author): Promise<void> {
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
    const attribution =
      this.#options.attribution === false
        ? undefined
        : this.#attribute(author ?? { name: 'Server', verified: true }, verdict)
    await this.#commit(update.slice(), encodeSyncUpdate(update), null, attribution)
    this.#options.onChange?.(this, null, author?.name)
  }

  /**
   * Stores `owned` (bytes nothing else holds: the state keeps them) and hands it to the
   * sequencer. Resolves once the update is in the state: if other servers stored updates
   * before it that have not arrived yet, after those.
   */
  #commit(
    owned: Uint8Array,
    frame: Uint8Array,
    from: Peer | null,
    attribution: UpdateAttribution | undefined,
  ): Promise<void> {
    this.#inflight++
    return this.#store
      .append(this.name, owned, attribution)
      .then((seq) => {
        this.#link?.publishUpdate(seq, owned)
        return this.#sequencer.own(seq, owned, { frame, from })
      })
      .then(() => this.#compactor.edited())
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
    return this.#sequencer.catchUp().then(endOfTurn)
  }

  /** Steps 3 and 4: adds update `seq` (the next one) to the state and relays it. */
  #apply(seq: number, update: Uint8Array, own: OwnUpdate | undefined): void {
    this.#state.push(update, seq)
    if (!own) {
      // Another server's (it judged it): what the room's held frames may have waited for.
      this.#structure.add(update)
      this.#held.release()
    }
    this.#relay.applied({ update, frame: own?.frame ?? null, from: own?.from ?? null })
    if (own) this.history.edited(own.from)
  }

  /** Applies presence from the connection(s) of a user on another server. */
  receiveRemoteAwareness(owner: RemoteOwner, update: Uint8Array): void {
    if (!this.#closed) this.#presence.receiveRemote(owner, update)
  }

  /** Removes the awareness states of every user of server `node` (it is gone). */
  removeRemoteNode(node: string): void {
    this.#presence.removeRemoteNode(node)
  }

  /** The present awareness states that this server's peers sent, by user. */
  localAwareness(): ReturnType<Presence['local']> {
    return this.#presence.local()
  }

  #reject(peer: Peer, code: CloseCode): void {
    this.leave(peer)
    peer.close(code, closeReason[code])
  }

  /**
   * Resolves once every update accepted so far is stored (or has failed) and relayed. Held
   * updates are not waited for.
   */
  flush(): Promise<void> {
    this.#incoming.flushNow()
    if (this.#inflight === 0) return endOfTurn()
    return new Promise<void>((resolve) => this.#drained.push(resolve)).then(endOfTurn)
  }

  /** Folds the stored update log into one compact snapshot. Edits may continue meanwhile. */
  compact(): Promise<void> {
    return this.#compactor.compact()
  }

  /**
   * Closes every peer with `code`, waits until everything received is stored, and compacts.
   * The room accepts nothing afterwards.
   */
  async close(code: CloseCode = CloseCode.GoingAway): Promise<void> {
    this.#closed = true
    this.#compactor.close()
    this.#held.close()
    await this.flush()
    // What was applied last reaches the peers before their close frames.
    this.#relay.flush()
    for (const peer of [...this.#peers.keys()]) this.#reject(peer, code)
    await this.history.close()
    // Waits for a compaction that runs, then compacts what it did not cover (see `compact`).
    await this.#compactor.compact()
    await this.#state.recorded()
    this.#sequencer.close()
    this.#link?.close()
  }
}
