import { validateUpdateWithStateVector } from '@tandem/protocol'
import * as Y from 'yjs'

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
}

/** Below this many bytes of log, a document is not compacted for its size alone. */
const MIN_LOG_BYTES_TO_COMPACT = 1024

/** How far past the quiet-time thresholds a log may grow while editing goes on. */
const FORCE_COMPACT_FACTOR = 20

/** The byte floor of {@link DocState.mustCompact}: 20 × 64 KiB, 1.25 MiB of log. */
const MIN_LOG_BYTES_TO_FORCE = 64 * 1024

/**
 * A document held as Yjs update bytes rather than as a live `Y.Doc`: a compact base plus the
 * updates committed since. Relaying and storing need no document model, so a loaded room costs
 * about the size of its encoding. When a joining client needs the whole state, the pending
 * updates are folded into the base by applying them, in commit order, to a `Y.Doc` that lives
 * for that call only: the same integration every client performs, linear in the number of
 * updates (unlike `Y.mergeUpdates`, whose cost grows with their square), and its encoding
 * garbage-collects deleted content.
 */
export class DocState {
  #base: Uint8Array
  #pending: Uint8Array[]
  #stateVector: Uint8Array | null = null
  /** Sequence number of the last stored update this state includes. */
  lastSeq: number
  /** Stored updates not yet folded into a snapshot in storage, and their bytes. */
  updatesSinceSnapshot: number
  bytesSinceSnapshot: number
  /** Bytes of the snapshot in storage. */
  #snapshotBytes: number

  /** Builds the state from stored bytes (see `Room.load` for their validation). */
  constructor(snapshot: Uint8Array | null, updates: Uint8Array[], lastSeq: number) {
    this.#base = snapshot ?? EMPTY_UPDATE
    this.#pending = [...updates]
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
    this.#stateVector = null
    this.lastSeq = seq
    this.updatesSinceSnapshot++
    this.bytesSinceSnapshot += update.length
  }

  /** The whole document as one compact update. Throws if the stored bytes do not apply. */
  get update(): Uint8Array {
    if (this.#pending.length > 0) {
      const doc = new Y.Doc({ gc: true })
      try {
        Y.applyUpdate(doc, this.#base)
        for (const update of this.#pending) Y.applyUpdate(doc, update)
        this.#base = Y.encodeStateAsUpdate(doc)
        this.#stateVector = Y.encodeStateVector(doc)
      } finally {
        doc.destroy()
      }
      this.#pending = []
    }
    return this.#base
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

  /** What a peer whose state vector is `stateVector` lacks. */
  diff(stateVector: Uint8Array): Uint8Array {
    // A peer that has nothing (a new tab, a cold load) lacks all of it: no need to re-encode.
    if (stateVector.length === 1 && stateVector[0] === 0) return this.update
    return Y.diffUpdate(this.update, stateVector)
  }

  /** The document's compact encoding, to store in place of the log up to `lastSeq`. */
  snapshot(): Snapshot {
    return {
      bytes: this.update,
      throughSeq: this.lastSeq,
      updateCount: this.updatesSinceSnapshot,
      updateBytes: this.bytesSinceSnapshot,
    }
  }

  /** Records that `snapshot` (from {@link snapshot}) is stored. */
  snapshotStored(snapshot: Snapshot): void {
    this.updatesSinceSnapshot -= snapshot.updateCount
    this.bytesSinceSnapshot -= snapshot.updateBytes
    this.#snapshotBytes = snapshot.bytes.length
  }
}
