import {
  type AttributedSpan,
  type AttributionRecord,
  DocStructure,
  validateUpdate,
  validateUpdateWithStateVector,
} from '@tandem/protocol'
import * as Y from 'yjs'
import type { Logger } from '../log.js'
import { recordSetAside } from '../persistence/set-aside.js'
import type { DocStore, SetAsideUpdate } from '../persistence/store.js'
import {
  type Folder,
  type FoldRequest,
  type FoldResult,
  foldHere,
  inSharedMemory,
  UndecodablePartError,
} from '../workers/jobs.js'

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
  /** Keep deleted content (a `Y.Doc` without garbage collection), for playing history back. */
  keepDeleted?: boolean | undefined
}

/** Thrown by {@link fold} when a stored update (or the base) does not decode at all. */
export class UndecodableUpdateError extends Error {
  override readonly name = 'UndecodableUpdateError'
  constructor(
    readonly seq: number,
    readonly kind: SetAsideUpdate['kind'],
    /** Why it does not decode. */
    readonly reason: string,
  ) {
    super(`stored ${kind} ${seq} does not decode: ${reason}`)
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
  const gc = !input.keepDeleted
  // Part -1 is the base, part i >= 0 is updates[i].
  const part = (i: number) => (i < 0 ? base : updates[i]!)
  const setAside: SetAsideUpdate[] = []
  let doc = new Y.Doc({ gc })
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
        doc = new Y.Doc({ gc })
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

export type { Folder, FoldRequest, FoldResult } from '../workers/jobs.js'

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

/**
 * The text of root type `textName` in `state`, one whole state (a version), read by `folder`
 * off the event loop when it is large. Throws if `state` does not apply.
 */
export function textOfState(
  folder: Folder | undefined,
  state: Uint8Array,
  textName: string,
): Promise<string> {
  return new DocState(state, [], 0).text(folder, textName)
}

/** Answers to sync step 1 that a document keeps while it does not change. */
const CACHED_DIFFS = 4

/** Below this size, a document is diffed on the event loop: a worker would cost more. */
const SMALL_DOCUMENT_BYTES = 64 * 1024

/** The state vector of a peer that has nothing (a new tab, a first visit). */
function isEmptyStateVector(stateVector: Uint8Array): boolean {
  return stateVector.length === 1 && stateVector[0] === 0
}

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
   * Whether folds keep deleted content (no garbage collection), so that the stored snapshot
   * still holds deleted text for the timeslider (SPEC B4). Set by the room.
   */
  keepDeleted = false

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
    this.#base = inSharedMemory(snapshot ?? EMPTY_UPDATE)
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

  /** What is stored, in commit order: the snapshot (if there is one), then the updates. */
  get parts(): Uint8Array[] {
    return isEmptyUpdate(this.#base) ? [...this.#pending] : [this.#base, ...this.#pending]
  }

  /**
   * The structure of the state as it stands ({@link parts}, unfolded): with `whole`, as
   * `DocStructure.ofLog` reads it (`null` if a part does not integrate whole), else what Yjs
   * integrates of it (`DocStructure.integrated`). Read by `folder`, off the event loop, unless
   * the state is small or the folder fails. Throws `ProtocolError` if a part is malformed.
   */
  async structure(folder: Folder | undefined, whole: true): Promise<DocStructure | null>
  async structure(folder: Folder | undefined, whole: false): Promise<DocStructure>
  async structure(folder: Folder | undefined, whole: boolean): Promise<DocStructure | null> {
    const bytes = this.#pending.reduce((sum, u) => sum + u.length, this.#base.length)
    if (folder && bytes >= SMALL_DOCUMENT_BYTES) {
      const request: FoldRequest = {
        base: this.#base,
        updates: [...this.#pending],
        structure: whole ? 'whole' : 'integrated',
      }
      const result = await folder.fold(request).catch(() => null)
      // A malformed part fails the worker's job: read here, it throws what a corrupt log throws.
      if (result?.structure !== undefined) {
        return result.structure && DocStructure.fromRuns(result.structure)
      }
    }
    return whole ? DocStructure.ofLog(this.parts) : DocStructure.integrated(this.parts)
  }

  /**
   * Told that the stored parts integrate whole (see `DocStructure.ofLog`): a single part is
   * then the document's encoding as it stands and becomes the base without a fold, so that a
   * cold load answers with the stored bytes as they are.
   */
  adoptLog(): void {
    if (this.#pending.length === 1 && isEmptyUpdate(this.#base)) {
      this.#base = inSharedMemory(this.#pending[0]!)
      this.#baseSeq = this.#pendingSeqs[0]!
      this.#pending = []
      this.#pendingSeqs = []
    }
  }

  /** Whether nothing is stored: no update, and an empty snapshot or none. */
  get isEmpty(): boolean {
    return this.#pending.length === 0 && isEmptyUpdate(this.#base)
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
          keepDeleted: this.keepDeleted,
        },
        (doc) => [Y.encodeStateAsUpdate(doc), Y.encodeStateVector(doc)] as const,
      )
      ;[this.#base, this.#stateVector] = value
      this.#base = inSharedMemory(this.#base)
      this.#baseSeq = this.#pendingSeqs.at(-1)!
      this.#pending = []
      this.#pendingSeqs = []
      this.#noteSetAside(setAside)
    }
    return this.#base
  }

  /** Keeps and records what a fold set aside, each stored part once. */
  #noteSetAside(found: readonly SetAsideUpdate[]): void {
    const known = new Set(this.#setAside.map((e) => `${e.kind} ${e.seq}`))
    const fresh = found.filter((e) => !known.has(`${e.kind} ${e.seq}`))
    if (fresh.length === 0) return
    this.#setAside.push(...fresh)
    const recording = this.#onSetAside?.(fresh)
    if (recording) this.#recorded = this.#recorded.then(() => recording)
  }

  /**
   * The text of root type `textName`, folded by `folder` off the event loop (see
   * {@link #foldOff}).
   */
  async text(folder: Folder | undefined, textName: string): Promise<string> {
    const { result } = await this.#foldOff(folder, { textName })
    return result.text ?? ''
  }

  /** The whole state as one update (folded by `folder` off the event loop when large). */
  async stateOff(folder: Folder | undefined): Promise<Uint8Array> {
    if (this.#pending.length === 0) return this.#base
    const { result, base } = await this.#foldOff(folder, {})
    return result.state ?? base
  }

  /**
   * The text of root type `textName` and who wrote each span of it, per `records` (see
   * `attributeText`), folded by `folder` off the event loop.
   */
  async attributed(
    folder: Folder | undefined,
    textName: string,
    records: readonly AttributionRecord[],
  ): Promise<{ text: string; spans: AttributedSpan[] }> {
    const { result } = await this.#foldOff(folder, { attribute: { textName, records } })
    return result.attributed ?? { text: '', spans: [] }
  }

  /** The length of the text of root type `textName`, folded by `folder` off the event loop. */
  async textLength(folder: Folder | undefined, textName: string): Promise<number> {
    const { result } = await this.#foldOff(folder, { textLengthOf: textName })
    return result.textLength ?? 0
  }

  /**
   * An update that makes the text of root type `textName` equal to `target`, computed by
   * `folder` off the event loop against the state as it is now: the smallest replacement, by a
   * new client id ({@link EMPTY_UPDATE} if the text already equals `target`). Edits committed
   * meanwhile merge with it as any concurrent edit does.
   */
  async replaceText(
    folder: Folder | undefined,
    textName: string,
    target: string,
  ): Promise<Uint8Array> {
    const { result } = await this.#foldOff(folder, { replaceText: { textName, target } })
    return result.edit ?? EMPTY_UPDATE
  }

  /**
   * {@link diff}, with the document folded and diffed by `folder` off the event loop when that
   * is worth it (see {@link #foldOff}); the answer is cached as {@link diff} caches it.
   */
  async diffOff(stateVector: Uint8Array, folder: Folder | undefined): Promise<Uint8Array> {
    const cached = this.#cachedDiff(stateVector)
    if (cached) return cached
    const seq = this.lastSeq
    if (isEmptyStateVector(stateVector)) {
      // A peer that has nothing lacks all of it: the fold, without a diff.
      if (this.#pending.length === 0) return this.#base
      const { result, base } = await this.#foldOff(folder, {})
      return result.state ?? base
    }
    const { result } = await this.#foldOff(folder, { diffAgainst: stateVector })
    const diff = result.diff!
    if (this.lastSeq === seq) this.#cacheDiff(stateVector, diff)
    return diff
  }

  /**
   * What a version of the document needs, folded by `folder` off the event loop: its compact
   * encoding, the length of root type `textName`, and whether it holds the same content as
   * `compareWith` (the latest version) if given.
   */
  async versionOff(
    folder: Folder | undefined,
    textName: string,
    compareWith: Uint8Array | undefined,
  ): Promise<{ bytes: Uint8Array; textLength: number; sameAs: boolean }> {
    // A version holds the text as it stands: deleted content kept for the timeline is dropped.
    const { result, base } = await this.#foldOff(folder, {
      textLengthOf: textName,
      ...(compareWith ? { compareWith } : {}),
      ...(this.keepDeleted ? { collect: true } : {}),
    })
    return {
      bytes: result.collected ?? result.state ?? base,
      textLength: result.textLength ?? 0,
      sameAs: result.sameAs === true,
    }
  }

  /**
   * What `snapshot` (a whole state: another server's compaction) holds that this state lacks,
   * as {@link missingFrom} answers it, computed by `folder` off the event loop (see
   * {@link #foldOff}) against the state as it is at sequence number `atSeq`: valid while
   * `lastSeq` is still `atSeq`.
   */
  async missingFromOff(
    folder: Folder | undefined,
    snapshot: Uint8Array,
  ): Promise<{ missing: Uint8Array; atSeq: number }> {
    const atSeq = this.lastSeq
    let stateVector = this.#pending.length === 0 ? this.#stateVector : null
    if (!stateVector) {
      const { result } = await this.#foldOff(folder, { validate: true })
      const { validated } = result
      if (validated && 'invalid' in validated) throw new Error(validated.invalid)
      stateVector = result.stateVector ?? validated?.stateVector ?? null
    }
    if (!stateVector) throw new Error('the state has no state vector')
    // The state may have moved on meanwhile: then the answer is for `atSeq` all the same.
    const request = { base: snapshot, updates: [], diffAgainst: stateVector }
    const big = snapshot.length + this.#base.length >= SMALL_DOCUMENT_BYTES
    const result =
      folder && big ? await folder.fold(request).catch(() => foldHere(request)) : foldHere(request)
    return { missing: result.diff!, atSeq }
  }

  /** What `snapshot` (a whole state: another server's compaction) holds that this state lacks. */
  missingFrom(snapshot: Uint8Array): Uint8Array {
    return Y.diffUpdate(snapshot, this.stateVector)
  }

  /**
   * Reads the whole state as {@link validate} does, folded and read by `folder` off the event
   * loop (see {@link #foldOff}); throws if it does not decode.
   */
  async validateOff(folder: Folder | undefined): Promise<void> {
    const { result } = await this.#foldOff(folder, { validate: true })
    const { validated } = result
    if (validated && 'invalid' in validated) throw new Error(validated.invalid)
    if (validated && this.#pending.length === 0) this.#stateVector ??= validated.stateVector
  }

  /**
   * Does `ask` on the state as it is: the pending updates folded into the base (what
   * {@link update} does), and what `ask` asks of the result. With `folder`, off the event loop
   * unless the document is small ({@link SMALL_DOCUMENT_BYTES}: a worker would cost more);
   * here if the folder fails (closed, too busy, its worker died). The fold is kept if nothing
   * was folded meanwhile, and what it set aside is kept and recorded as {@link update} does.
   * Throws {@link UndecodableUpdateError} if a stored part does not decode, and an error if a
   * state with nothing to fold does not apply.
   */
  async #foldOff(
    folder: Folder | undefined,
    ask: Omit<FoldRequest, 'base' | 'updates'>,
  ): Promise<{ result: FoldResult; base: Uint8Array }> {
    const base = this.#base
    const baseSeq = this.#baseSeq
    const updates = [...this.#pending]
    const seqs = [...this.#pendingSeqs]
    const request: FoldRequest = { base, updates, ...ask, keepDeleted: this.keepDeleted }
    const small = updates.reduce((sum, u) => sum + u.length, base.length) < SMALL_DOCUMENT_BYTES
    let result: FoldResult
    try {
      result =
        folder && !small
          ? await folder.fold(request).catch((err: unknown) => {
              if (err instanceof UndecodablePartError) throw err
              return foldHere(request)
            })
          : foldHere(request)
    } catch (err) {
      if (!(err instanceof UndecodablePartError)) throw err
      const seq = err.index < 0 ? baseSeq : seqs[err.index]!
      throw new UndecodableUpdateError(seq, err.index < 0 ? 'snapshot' : 'update', err.reason)
    }
    if (updates.length === 0) {
      // Nothing folded: the state itself was read, and it must apply whole.
      const [thrown] = result.setAside
      if (thrown) throw new Error(`the state does not apply: ${thrown.reason}`)
      return { result, base }
    }
    this.#noteSetAside(
      result.setAside.map(({ index, reason }) => ({
        seq: index < 0 ? baseSeq : seqs[index]!,
        kind: index < 0 ? 'snapshot' : 'update',
        bytes: index < 0 ? base : updates[index]!,
        reason,
        setAsideAtMs: Date.now(),
      })),
    )
    const throughSeq = seqs.at(-1)!
    if (
      result.state &&
      this.#baseSeq === baseSeq &&
      this.#pendingSeqs[updates.length - 1] === throughSeq
    ) {
      this.#base = inSharedMemory(result.state)
      this.#baseSeq = throughSeq
      this.#pending.splice(0, updates.length)
      this.#pendingSeqs.splice(0, updates.length)
      this.#stateVector = this.#pending.length === 0 ? (result.stateVector ?? null) : null
    }
    return { result, base }
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
    if (isEmptyStateVector(stateVector)) return this.update
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
      setAside: this.#setAside.filter((e) => e.seq <= this.lastSeq),
    }
  }

  /**
   * {@link snapshot}, folded by `folder` off the event loop (see {@link #foldOff}): it covers
   * the log as it was when asked (edits that come meanwhile stay in the log for the next one),
   * and keeps apart what that fold, or any before it, set aside.
   */
  async snapshotOff(folder: Folder | undefined): Promise<Snapshot> {
    const throughSeq = this.lastSeq
    const updateCount = this.updatesSinceSnapshot
    const updateBytes = this.bytesSinceSnapshot
    const { result, base } = await this.#foldOff(folder, {})
    return {
      bytes: result.state ?? base,
      throughSeq,
      updateCount,
      updateBytes,
      setAside: this.#setAside.filter((e) => e.seq <= throughSeq),
    }
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
