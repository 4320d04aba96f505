/** What is stored for one document: a snapshot and the updates appended after it. */
export interface StoredDocument {
  /** The compacted state, or `null` before the first compaction. */
  snapshot: Uint8Array | null
  /** Updates appended after the snapshot, oldest first. */
  updates: Uint8Array[]
  /** Sequence number of the last update covered by `snapshot` and `updates`; 0 if none. */
  lastSeq: number
}

/** One row of {@link DocStore.list}. */
export interface DocumentInfo {
  name: string
  /** Milliseconds since the epoch of the last append. */
  updatedAtMs: number
  /** Bytes stored for the document (snapshot plus uncompacted updates). */
  storedBytes: number
}

/** Whether the store is committing; `reason` says what fails while it is not. */
export type StoreHealth = { ok: true } | { ok: false; reason: string }

/**
 * Durable storage of documents as an append-only update log with snapshots. Every
 * implementation passes the one contract suite in `store.contract.ts`.
 */
export interface DocStore {
  /** Everything stored for `name`, or `null` if nothing was ever stored. */
  load(name: string): Promise<StoredDocument | null>
  /**
   * Appends `update` to the document's log. Resolves with the update's sequence number once it
   * is durable (committed and synced). Sequence numbers grow strictly within a document.
   * Appends issued in the same event-loop turn share one commit. A failed commit is retried
   * with backoff; the promise rejects only if too much is already waiting for storage or the
   * store closes first.
   */
  append(name: string, update: Uint8Array): Promise<number>
  /**
   * Atomically replaces the snapshot and every update with a sequence number up to `throughSeq`
   * by `snapshot`. Updates appended after `throughSeq` are kept.
   */
  compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<void>
  /** Every stored document, most recently updated first. */
  list(): Promise<DocumentInfo[]>
  /** Whether commits currently succeed. */
  health(): StoreHealth
  /** Waits (up to `timeoutMs`) for pending appends to commit, then releases the storage. */
  close(timeoutMs?: number): Promise<void>
}
