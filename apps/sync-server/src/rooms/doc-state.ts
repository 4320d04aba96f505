import * as Y from 'yjs'

/** The encoding of an empty document: no structs, no deletions. */
const EMPTY_UPDATE = new Uint8Array([0, 0])

/**
 * A document held as Yjs update bytes rather than as a `Y.Doc`: a merged base plus the updates
 * committed since. Relaying and storing need no document model, so a loaded room costs about
 * the size of its encoding. Merging is deferred until a joining client needs the whole state.
 */
/** A compacted snapshot of a {@link DocState}, to be stored. */
export interface Snapshot {
  bytes: Uint8Array
  /** Sequence number of the last update it covers. */
  throughSeq: number
  /** How many stored updates it replaces. */
  updateCount: number
}

export class DocState {
  #base: Uint8Array
  /** Sequence number of the last update merged into `#base`. */
  #baseSeq: number
  #pending: Uint8Array[] = []
  #stateVector: Uint8Array | null = null
  /** Sequence number of the last stored update this state includes. */
  lastSeq: number
  /** Stored updates not yet folded into a snapshot in storage. */
  updatesSinceSnapshot: number

  /** Builds the state from stored bytes (see `Room.load` for their validation). */
  constructor(snapshot: Uint8Array | null, updates: Uint8Array[], lastSeq: number) {
    const parts = snapshot ? [snapshot, ...updates] : updates
    this.#base = parts.length === 0 ? EMPTY_UPDATE : Y.mergeUpdates(parts)
    this.#baseSeq = lastSeq
    this.lastSeq = lastSeq
    this.updatesSinceSnapshot = updates.length
  }

  /** Adds an update that storage has committed with sequence number `seq`. */
  push(update: Uint8Array, seq: number): void {
    this.#pending.push(update)
    this.#stateVector = null
    this.lastSeq = seq
    this.updatesSinceSnapshot++
  }

  /** The whole document as one update. */
  get update(): Uint8Array {
    if (this.#pending.length > 0) {
      this.#base = Y.mergeUpdates([this.#base, ...this.#pending])
      this.#baseSeq = this.lastSeq
      this.#pending = []
    }
    return this.#base
  }

  /** The document's state vector. */
  get stateVector(): Uint8Array {
    this.#stateVector ??= Y.encodeStateVectorFromUpdate(this.update)
    return this.#stateVector
  }

  /** What a peer whose state vector is `stateVector` lacks. */
  diff(stateVector: Uint8Array): Uint8Array {
    return Y.diffUpdate(this.update, stateVector)
  }

  /**
   * The document's compact encoding, deleted content garbage-collected as a `Y.Doc` encodes
   * it. Costs a full document model for the duration of the call.
   */
  snapshot(): Snapshot {
    const doc = new Y.Doc({ gc: true })
    try {
      Y.applyUpdate(doc, this.update)
      return {
        bytes: Y.encodeStateAsUpdate(doc),
        throughSeq: this.lastSeq,
        updateCount: this.updatesSinceSnapshot,
      }
    } finally {
      doc.destroy()
    }
  }

  /** Records that `snapshot` (from {@link snapshot}) is stored, and adopts its smaller bytes. */
  snapshotStored(snapshot: Snapshot): void {
    if (this.#baseSeq === snapshot.throughSeq) this.#base = snapshot.bytes
    this.updatesSinceSnapshot -= snapshot.updateCount
  }
}
