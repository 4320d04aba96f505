import { validateUpdate, validateUpdateWithStateVector } from '@tandem/protocol'
import * as Y from 'yjs'
import type { Logger } from '../log.js'
import { recordSetAside } from '../persistence/set-aside.js'
import type { DocStore, SetAsideUpdate } from '../persistence/store.js'

/** The encoding of an empty document: no structs, no deletions. */
export const EMPTY_UPDATE = new Uint8Array([0, 0])

/**
 * Whether `update` is {@link EMPTY_UPDATE}: what an up-to-date peer answers a step 1 with, and
 * the state of a document nothing was ever written to.
 */
export function isEmptyUpdate(update: Uint8Array): boolean {
  return update.length === 2 && update[0] === 0 && update[1] === 0
}

/** A compacted snapshot of a {@link DocState}, to be stored. */
export interface Snapshot {
  bytes: Uint8Array
  /** Sequence number of the last update it covers. */
  throughSeq: number
  /** How many stored updates it replaces, and their bytes. */
  updateCount: number
  updateBytes: number
  /**
   * Stored updates (or the stored snapshot) it leaves out because applying them threw: the
   * compaction that stores it must keep them apart in the same transaction.
   */
  setAside: readonly SetAsideUpdate[]
}

/** What {@link fold} folds: a base and the updates after it, with their sequence numbers. */
export interface FoldInput {
  base: Uint8Array
  /** The last sequence number the base covers (0 for none). */
  baseSeq: number
  updates: readonly Uint8Array[]
  /** `seqs[i]` is the sequence number of `updates[i]`. */
  seqs: readonly number[]
}

/** Thrown by {@link fold} when a stored update (or the base) does not decode at all. */
export class UndecodableUpdateError extends Error {
  override readonly name = 'UndecodableUpdateError'
  constructor(
    readonly seq: number,
    readonly kind: SetAsideUpdate['kind'],
    message: string,
  ) {
    super(`stored ${kind} ${seq} does not decode: ${message}`)
  }
}

/**
 * Folds stored updates into one document: applies `input.base`, then each update in order, to
 * a scratch `Y.Doc` that lives for this call only, and returns what `read` takes from it (it is
 * also told what was set aside). This is the one place where stored updates are applied.
 *
 * An update that decodes but throws when applied (Yjs deletes and garbage-collects nested types
 * recursively, so deleting a type thousands of levels deep overflows the stack) is set aside
 * and everything else is kept: as a throw can leave the document half-changed, it is rebuilt
 * from a fresh `Y.Doc` without that update, and the fold goes on. Only this fallback costs
 * anything extra, and only after a throw. An update that does not decode at all throws
 * {@link UndecodableUpdateError} (the document is corrupt, not poisoned).
 */
export function fold<T>(
  input: FoldInput,
  read: (doc: Y.Doc, setAside: readonly SetAsideUpdate[]) => T,
): { value: T; setAside: SetAsideUpdate[] } {
  const { base, baseSeq, updates, seqs } = input
  // Part -1 is the base, part i >= 0 is updates[i].
  const part = (i: number) => (i < 0 ? base : updates[i]!)
  const setAside: SetAsideUpdate[] = []
  let doc = new Y.Doc({ gc: true })
  try {
    // Once a part was set aside: the document before part `from`. Parts `from` to the current
    // one were all applied without a throw, so a rebuild applies `checkpoint` and those only.
    let checkpoint: Uint8Array | null = null
    let from = -1
    for (let i = -1; i < updates.length; i++) {
      try {
        Y.applyUpdate(doc, part(i))
      } catch (err) {
        const kind = i < 0 ? 'snapshot' : 'update'
        const seq = i < 0 ? baseSeq : seqs[i]!
        try {
          validateUpdate(part(i))
        } catch (invalid) {
          throw new UndecodableUpdateError(seq, kind, (invalid as Error).message)
        }
        setAside.push({ seq, kind, bytes: part(i), reason: String(err), setAsideAtMs: Date.now() })
        doc.destroy()
        doc = new Y.Doc({ gc: true })
        if (checkpoint) Y.applyUpdate(doc, checkpoint)
        for (let j = from; j < i; j++) Y.applyUpdate(doc, part(j))
        checkpoint = Y.encodeStateAsUpdate(doc)
        from = i + 1
      }
    }
    return { value: read(doc, setAside), setAside }
  } finally {
    doc.destroy()
  }
}

/** Below this many bytes of log, a document is not compacted for its size alone. */
const MIN_LOG_BYTES_TO_COMPACT = 1024

/** How far past the quiet-time thresholds a log may grow while editing goes on. */
const FORCE_COMPACT_FACTOR = 20

/** The byte floor of {@link DocState.mustCompact}: 20 × 64 KiB, 1.25 MiB of log. */
const MIN_LOG_BYTES_TO_FORCE = 64 * 1024

/** Work for a {@link Folder}: the updates to apply after `base`, and what to give back. */
export interface FoldRequest {
  base: Uint8Array
  updates: readonly Uint8Array[]
  /** The root type whose text to give back. */
  textName?: string
  /** A state vector to give back the diff against (what a peer that has it lacks). */
  diffAgainst?: Uint8Array
  /** A document to compare with: whether both hold the same content (`Y.equalSnapshots`). */
  compareWith?: Uint8Array
}

/** What a {@link Folder} gives back: the document's compact encoding and state vector, and the
 * text or the diff asked for. */
export interface FoldResult {
  state: Uint8Array
  stateVector: Uint8Array
  text?: string | undefined
  diff?: Uint8Array | undefined
  sameAs?: boolean | undefined
}

/** Folds update bytes somewhere other than the event loop (a worker thread): bytes in, bytes out. */
export interface Folder {
  /** Applies the updates after the base to a fresh document; rejects if one throws. */
  fold(request: FoldRequest): Promise<FoldResult>
}

/**
 * The stored state of document `name`, as a room loads it: a stored update that throws when
 * applied is logged and stored apart when a fold meets it (`recordSetAside`). `null` if
 * nothing was ever stored under the name.
 */
export async function loadDocState(
  store: DocStore,
  name: string,
  log: Logger,
): Promise<DocState | null> {
  const stored = await store.load(name)
  if (!stored) return null
  return new DocState(stored.snapshot, stored.updates, stored.lastSeq, {
    onSetAside: (entries) => recordSetAside(store, name, entries, log),
  })
}

/** Answers to sync step 1 that a document keeps while it does not change. */
const CACHED_DIFFS = 4

/** Below this size, a document is diffed on the event loop: a worker would cost more. */
const SMALL_DOCUMENT_BYTES = 64 * 1024

/** A state vector as a map key. */
function diffKey(stateVector: Uint8Array): string {
  return Buffer.from(stateVector.buffer, stateVector.byteOffset, stateVector.length).toString(
    'latin1',
  )
}

/**
 * A document held as Yjs update bytes rather than as a live `Y.Doc`: a compact base plus the
 * updates committed since. Relaying and storing need no document model, so a loaded room costs
 * about the size of its encoding. When a joining client needs the whole state, the pending
 * updates are folded into the base by applying them, in commit order, to a `Y.Doc` that lives
 * for that call only: the same integration every client performs, linear in the number of
 * updates (unlike `Y.mergeUpdates`, whose cost grows with their square), and its encoding
 * garbage-collects deleted content. A stored update that throws when applied is set aside (see
 * {@link fold}); the state goes on without it.
 */
export class DocState {
  /** Recent answers of {@link diff}, by state vector, valid while `lastSeq` is `#diffsSeq`. */
  readonly #diffs = new Map<string, Uint8Array>()
  #diffsSeq = -1
  #base: Uint8Array
  /** The last sequence number {@link #base} covers. */
  #baseSeq: number
  #pending: Uint8Array[]
  /** `#pendingSeqs[i]` is the sequence number of `#pending[i]`. */
  #pendingSeqs: number[]
  /** Set aside since the snapshot in storage: the next compaction must keep them apart. */
  #setAside: SetAsideUpdate[] = []
  readonly #onSetAside: ((entries: readonly SetAsideUpdate[]) => Promise<void> | void) | undefined
  /** Settles once what {@link #onSetAside} was given is handled. */
  #recorded: Promise<void> = Promise.resolve()
  #stateVector: Uint8Array | null = null
  /** Sequence number of the last stored update this state includes. */
  lastSeq: number
  /** Stored updates not yet folded into a snapshot in storage, and their bytes. */
  updatesSinceSnapshot: number
  bytesSinceSnapshot: number
  /** Bytes of the snapshot in storage. */
  #snapshotBytes: number

  /**
   * Builds the state from stored bytes (see `Room.load` for their validation): `updates` are
   * numbered up to `lastSeq`, the snapshot covers the numbers before them. `onSetAside` is told
   * of what a fold sets aside, once each, to store it apart (see `recordSetAside`).
   */
  constructor(
    snapshot: Uint8Array | null,
    updates: Uint8Array[],
    lastSeq: number,
    options: { onSetAside?: (entries: readonly SetAsideUpdate[]) => Promise<void> | void } = {},
  ) {
    this.#base = snapshot ?? EMPTY_UPDATE
    this.#baseSeq = lastSeq - updates.length
    this.#pending = [...updates]
    this.#pendingSeqs = updates.map((_, i) => this.#baseSeq + 1 + i)
    this.#onSetAside = options.onSetAside
    this.lastSeq = lastSeq
    this.updatesSinceSnapshot = updates.length
    this.bytesSinceSnapshot = updates.reduce((sum, u) => sum + u.length, 0)
    this.#snapshotBytes = snapshot?.length ?? 0
  }

  /**
   * Whether the stored log should be folded into a snapshot when editing pauses: once it holds
   * `maxUpdates` updates, or more bytes than the snapshot itself, so that what is stored stays
   * within about twice the document's compact size however many keystrokes made it.
   */
  shouldCompact(maxUpdates: number): boolean {
    return (
      this.updatesSinceSnapshot >= maxUpdates ||
      this.bytesSinceSnapshot > Math.max(this.#snapshotBytes, MIN_LOG_BYTES_TO_COMPACT)
    )
  }

  /**
   * Whether the log has grown too long to wait for editing to pause before it is compacted:
   * {@link FORCE_COMPACT_FACTOR} times the thresholds of {@link shouldCompact}, with a floor
   * under the byte threshold so that small documents are not compacted mid-burst.
   */
  mustCompact(maxUpdates: number): boolean {
    return (
      this.updatesSinceSnapshot >= FORCE_COMPACT_FACTOR * maxUpdates ||
      this.bytesSinceSnapshot >
        FORCE_COMPACT_FACTOR * Math.max(this.#snapshotBytes, MIN_LOG_BYTES_TO_FORCE)
    )
  }

  /** Adds an update that storage has committed with sequence number `seq`. */
  push(update: Uint8Array, seq: number): void {
    this.#pending.push(update)
    this.#pendingSeqs.push(seq)
    this.#stateVector = null
    this.lastSeq = seq
    this.updatesSinceSnapshot++
    this.bytesSinceSnapshot += update.length
  }

  /**
   * The whole document as one compact update, without the stored updates set aside (see
   * {@link fold}). Throws {@link UndecodableUpdateError} if a stored update does not decode.
   */
  get update(): Uint8Array {
    if (this.#pending.length > 0) {
      const { value, setAside } = fold(
        {
          base: this.#base,
          baseSeq: this.#baseSeq,
          updates: this.#pending,
          seqs: this.#pendingSeqs,
        },
        (doc) => [Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc)] as const,
      )
      ;[this.#base, this.#stateVector] = value
      this.#baseSeq = this.#pendingSeqs.at(-1)!
      this.#pending = []
      this.#pendingSeqs = []
      if (setAside.length > 0) {
        this.#setAside.push(...setAside)
        const recording = this.#onSetAside?.(setAside)
        if (recording) this.#recorded = this.#recorded.then(() => recording)
      }
    }
    return this.#base
  }

  /**
   * The text of root type `textName`, folded by `folder` (off the event loop); the fold is kept
   * if nothing was folded here meanwhile. If the folder fails (it is busy, or an update throws)
   * the state is folded here, where an update that throws is set aside.
   */
  async text(folder: Folder, textName: string): Promise<string> {
    const result = await this.#foldOff(folder, { textName })
    if (result?.text !== undefined) return result.text
    const doc = new Y.Doc()
    try {
      Y.applyUpdate(doc, this.update)
      return doc.getText(textName).toString()
    } finally {
      doc.destroy()
    }
  }

  /**
   * {@link diff}, with the document folded and diffed by `folder` (off the event loop) when
   * that is worth it: the answer is not cached and the document is not small. Falls back to
   * {@link diff} if the folder fails.
   */
  async diffOff(stateVector: Uint8Array, folder: Folder): Promise<Uint8Array> {
    const cached = this.#cachedDiff(stateVector)
    if (cached) return cached
    if (this.#pending.length === 0 && this.#base.length < SMALL_DOCUMENT_BYTES) {
      return this.diff(stateVector)
    }
    const seq = this.lastSeq
    const result = await this.#foldOff(folder, { diffAgainst: stateVector })
    if (!result?.diff) return this.diff(stateVector)
    if (this.lastSeq === seq) this.#cacheDiff(stateVector, result.diff)
    return result.diff
  }

  /**
   * What a version of the document needs, folded by `folder` off the event loop: its compact
   * encoding, the length of root type `textName`, and whether it holds the same content as
   * `compareWith` (the latest version) if given. `null` if the folder failed.
   */
  async versionOff(
    folder: Folder,
    textName: string,
    compareWith: Uint8Array | undefined,
  ): Promise<{ bytes: Uint8Array; textLength: number; sameAs: boolean } | null> {
    const result = await this.#foldOff(folder, {
      textName,
      ...(compareWith ? { compareWith } : {}),
    })
    if (!result || result.text === undefined) return null
    return { bytes: result.state, textLength: result.text.length, sameAs: result.sameAs === true }
  }

  /**
   * Has `folder` fold the state (and give back what `ask` asks for); keeps the fold if nothing
   * was folded here meanwhile. `null` if the folder failed.
   */
  async #foldOff(
    folder: Folder,
    ask: Pick<FoldRequest, 'textName' | 'diffAgainst' | 'compareWith'>,
  ): Promise<FoldResult | null> {
    const baseSeq = this.#baseSeq
    const updates = [...this.#pending]
    const throughSeq = this.#pendingSeqs.at(-1)
    let result: FoldResult
    try {
      result = await folder.fold({ base: this.#base, updates, ...ask })
    } catch {
      return null
    }
    if (
      throughSeq !== undefined &&
      this.#baseSeq === baseSeq &&
      this.#pendingSeqs[updates.length - 1] === throughSeq
    ) {
      this.#base = result.state
      this.#baseSeq = throughSeq
      this.#pending.splice(0, updates.length)
      this.#pendingSeqs.splice(0, updates.length)
      this.#stateVector = this.#pending.length === 0 ? result.stateVector : null
    }
    return result
  }

  /** Settles once every update set aside so far is recorded (see `recordSetAside`). */
  recorded(): Promise<void> {
    return this.#recorded
  }

  /** Stored updates set aside since the snapshot in storage (see {@link Snapshot.setAside}). */
  get setAside(): readonly SetAsideUpdate[] {
    return this.#setAside
  }

  /**
   * Reads the whole state once, throwing `ProtocolError` if it does not decode, and learns its
   * state vector in the same pass (cheaper than `Y.encodeStateVectorFromUpdate`, which builds
   * every struct of a large document again).
   */
  validate(): void {
    const update = this.update
    const stateVector = validateUpdateWithStateVector(update)
    this.#stateVector ??= stateVector
  }

  /** The document's state vector. */
  get stateVector(): Uint8Array {
    this.#stateVector ??= Y.encodeStateVectorFromUpdate(this.update)
    return this.#stateVector
  }

  /**
   * What a peer whose state vector is `stateVector` lacks. The last few answers are kept until
   * the document changes: peers that reconnect together (after a restart or a network blip)
   * often ask with the same state vector, and a repeated question costs no second diff.
   */
  diff(stateVector: Uint8Array): Uint8Array {
    // A peer that has nothing (a new tab, a cold load) lacks all of it: no need to re-encode.
    if (stateVector.length === 1 && stateVector[0] === 0) return this.update
    const cached = this.#cachedDiff(stateVector)
    if (cached) return cached
    const diff = Y.diffUpdate(this.update, stateVector)
    this.#cacheDiff(stateVector, diff)
    return diff
  }

  #cachedDiff(stateVector: Uint8Array): Uint8Array | undefined {
    if (this.#diffsSeq !== this.lastSeq) {
      this.#diffs.clear()
      this.#diffsSeq = this.lastSeq
    }
    return this.#diffs.get(diffKey(stateVector))
  }

  #cacheDiff(stateVector: Uint8Array, diff: Uint8Array): void {
    if (this.#diffs.size >= CACHED_DIFFS) this.#diffs.delete(this.#diffs.keys().next().value!)
    this.#diffs.set(diffKey(stateVector), diff)
  }

  /** The document's compact encoding, to store in place of the log up to `lastSeq`. */
  snapshot(): Snapshot {
    return {
      bytes: this.update,
      throughSeq: this.lastSeq,
      updateCount: this.updatesSinceSnapshot,
      updateBytes: this.bytesSinceSnapshot,
      setAside: [...this.#setAside],
    }
  }

  /**
   * {@link snapshot}, folded by `folder` off the event loop: it covers the log as it was when
   * asked (edits that come meanwhile stay in the log for the next one). `null` if the folder
   * failed (an update that throws, for one): then take {@link snapshot}, which sets it aside.
   */
  async snapshotOff(folder: Folder): Promise<Snapshot | null> {
    const throughSeq = this.lastSeq
    const updateCount = this.updatesSinceSnapshot
    const updateBytes = this.bytesSinceSnapshot
    const setAside = [...this.#setAside]
    const result = await this.#foldOff(folder, {})
    if (!result) return null
    return { bytes: result.state, throughSeq, updateCount, updateBytes, setAside }
  }

  /** Records that `snapshot` (from {@link snapshot} or {@link snapshotOff}) is stored. */
  snapshotStored(snapshot: Snapshot): void {
    this.updatesSinceSnapshot -= snapshot.updateCount
    this.bytesSinceSnapshot -= snapshot.updateBytes
    this.#snapshotBytes = snapshot.bytes.length
    if (snapshot.setAside.length > 0) {
      const stored = new Set(snapshot.setAside)
      this.#setAside = this.#setAside.filter((e) => !stored.has(e))
    }
  }
}
