import type { AttributionAuthor, AttributionRecord, IdRanges, VersionKind } from '@tandem/protocol'

/**
 * What is stored for one document: a snapshot and the updates appended after it. Sequence
 * numbers are contiguous, so `updates` are numbered `lastSeq - updates.length + 1` to `lastSeq`
 * and the snapshot covers every number before the first of them.
 */
export interface StoredDocument {
  /** The compacted state, or `null` before the first compaction (or when not asked for). */
  snapshot: Uint8Array | null
  /** Updates appended after the snapshot, oldest first. */
  updates: Uint8Array[]
  /** Sequence number of the last update covered by `snapshot` and `updates`; 0 if none. */
  lastSeq: number
}

/**
 * Which page of {@link DocStore.list} to read. Names are ordered by code point (UTF-8 bytes),
 * so a page is one index range.
 */
export interface ListPage {
  /** Only names after this one (the last name of the page before); from the first if absent. */
  after?: string | undefined
  /** At most this many documents: an integer from 1 to `MAX_LIST_LIMIT` (500). */
  limit: number
  /** Only names that start with it. */
  prefix?: string | undefined
}

/** Which names {@link DocStore.scan} reads, as {@link ListPage}, and which it keeps. */
export interface ScanPage extends ListPage {
  /** Keeps the documents whose name it accepts (at most `limit` of them). */
  match: (name: string) => boolean
  /**
   * Reads at most this many names, in order from `after`, trashed documents' rows included (and
   * one more, to know whether the range goes on): an integer from 1 to `MAX_SCAN_NAMES` (10,000).
   */
  scan: number
}

/** What {@link DocStore.scan} found. */
export interface ScanResult {
  /** The documents `match` accepted, by name. */
  documents: DocumentInfo[]
  /**
   * Where to go on from (as `after`): the last name read, when the scan stopped at `limit`
   * matches or `scan` names and the range goes on; `null` when no name is left after it.
   */
  next: string | null
  /** How many names were read. */
  scanned: number
}

/** One row of {@link DocStore.list}. */
export interface DocumentInfo {
  name: string
  /** Milliseconds since the epoch of the last append. */
  updatedAtMs: number
  /** Bytes stored for the document (snapshot plus uncompacted updates). */
  storedBytes: number
}

export type { VersionKind }

/** A version without its bytes: what {@link DocStore.listVersions} returns. */
export interface VersionInfo {
  /** Grows with every version saved in the store (across documents); never reused. */
  id: number
  /** The document's name. */
  doc: string
  /** Milliseconds since the epoch when the version was taken. */
  createdAtMs: number
  /** The name a person gave it; `null` for versions the server took by itself. */
  label: string | null
  /**
   * `auto`: after a stretch of edits or when the last person left; `named`: on request;
   * `restore` and `import`: the state just before a restore or an import replaced the text.
   */
  kind: VersionKind
  /** Display names of the people who edited since the previous version. */
  authors: string[]
  /** Length of the text, in UTF-16 code units (as `Y.Text` and CodeMirror count). */
  textLength: number
}

/** An immutable snapshot of a document. */
export interface Version extends VersionInfo {
  /** The whole document at that moment, as one Yjs update. */
  bytes: Uint8Array
}

/** What {@link DocStore.saveVersion} is given: a version before the store numbers it. */
export type NewVersion = Omit<Version, 'id' | 'doc'>

/** A deleted document in the trash: what {@link DocStore.listTrash} returns. */
export interface TrashedDocumentInfo {
  /** The name it had (and gets back when restored). */
  name: string
  /** Milliseconds since the epoch when it was deleted. */
  deletedAtMs: number
  /** Milliseconds since the epoch of its last append before it was deleted. */
  updatedAtMs: number
  /** Bytes stored for it (snapshot plus uncompacted updates; versions not counted). */
  storedBytes: number
}

/** The outcome of {@link DocStore.rename} and {@link DocStore.restore}. */
export type MoveOutcome = 'moved' | 'not_found' | 'name_taken'

/**
 * A stored update (or snapshot) that folding a document could not apply (applying it threw,
 * although it decodes), kept apart from the document so that the rest of it stays readable.
 */
export interface SetAsideUpdate {
  /** The update's sequence number; for a snapshot, the last sequence number it covers. */
  seq: number
  kind: 'update' | 'snapshot'
  /** The update exactly as it was stored. */
  bytes: Uint8Array
  /** What applying it threw. */
  reason: string
  /** Milliseconds since the epoch when it was first set aside. */
  setAsideAtMs: number
}

/** A share link the server minted for a document: what {@link DocStore.listLinks} returns. */
export interface LinkRecord {
  /** The link's id: its token's `jti`. */
  id: string
  /** The document its token opens. */
  doc: string
  /** The display name its holders appear under. */
  name: string
  mode: 'view' | 'edit'
  /** Milliseconds since the epoch when it was minted. */
  createdAtMs: number
  /** Milliseconds since the epoch when its token expires. */
  expiresAtMs: number
  /** Who minted it (an access subject such as `sub:alice` or `admin`); `null` without a token. */
  mintedBy: string | null
}

/** Who made an edit, as the server knows them (SPEC B1). */
export interface Author {
  /** The display name: a token's name, or in open mode the name the connection's presence gave. */
  name: string
  /** Whether a token vouched for the name; open-mode names are recorded as unverified. */
  verified: boolean
  /** The token's subject key (`sub:…`, `link:…`, `admin`), if there was a token. */
  subject?: string | undefined
  /** The colour of the person's presence when the edit was made, if known. */
  color?: string | undefined
}

/** Who made a stored update, when, and which Yjs ids it inserted and deleted (issue 18). */
export interface UpdateAttribution {
  author: Author
  /** Milliseconds since the epoch when the server accepted the update. */
  timeMs: number
  inserts: IdRanges
  deletes: IdRanges
}

/** A document's attribution: its records, oldest first, and the authors they name. */
export interface DocAttribution {
  authors: AttributionAuthor[]
  records: AttributionRecord[]
}

/**
 * Records of one author within this long of the first of them are stored as one once the log
 * is compacted (SPEC B3): the granularity of "when" and of the timeslider in compacted history.
 */
export const ATTRIBUTION_WINDOW_MS = 3_000

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
   * What was stored for `name` after sequence number `afterSeq`, to catch up a copy that holds
   * everything up to it: the updates numbered `afterSeq + 1` to `lastSeq`, or, if compaction
   * has already folded some of them into the snapshot, the snapshot (`snapshot` is then not
   * `null`) and the updates after it. `null` if nothing was ever stored.
   */
  loadSince(name: string, afterSeq: number): Promise<StoredDocument | null>
  /** The last sequence number of each of `names` that is stored (unknown names are absent). */
  lastSeqs(names: readonly string[]): Promise<Map<string, number>>
  /**
   * Appends `update` to the document's log. Resolves with the update's sequence number once it
   * is durable (committed and synced). A document's sequence numbers are contiguous in commit
   * order, 1, 2, 3, …, whichever server appends (never reused, even after compaction). Appends
   * issued in the same event-loop turn share one commit. A failed commit is retried with
   * backoff; the promise rejects only if too much is already waiting for storage or the store
   * closes first. `attribution`, if given, is stored with the update in the same commit.
   */
  append(name: string, update: Uint8Array, attribution?: UpdateAttribution): Promise<number>
  /**
   * Atomically replaces the snapshot and every update with a sequence number up to `throughSeq`
   * by `snapshot`. Updates appended after `throughSeq` are kept. Resolves `false`, changing
   * nothing else, if another server is compacting the document at that moment. `setAside` (the
   * updates the fold that made `snapshot` left out) is stored aside as by {@link setAside} in the
   * same transaction, whether or not the snapshot is written. The attribution of the updates
   * it replaces is kept, coalesced (see {@link ATTRIBUTION_WINDOW_MS}), in the same transaction.
   */
  compact(
    name: string,
    snapshot: Uint8Array,
    throughSeq: number,
    setAside?: readonly SetAsideUpdate[],
  ): Promise<boolean>
  /**
   * Keeps `entries` apart for document `name`, in one transaction. An entry already kept (same
   * `seq` and `kind`) is left as it was. Resolves with how many were not kept before.
   */
  setAside(name: string, entries: readonly SetAsideUpdate[]): Promise<number>
  /**
   * The attribution of `name`: what compaction kept and what the log's updates carry, coalesced
   * (see `coalesceRecords`), with the authors the records name. Empty if nothing is recorded.
   */
  loadAttribution(name: string): Promise<DocAttribution>
  /** What is kept apart for `name`, by sequence number (a snapshot before an update). */
  listSetAside(name: string): Promise<SetAsideUpdate[]>
  /**
   * One page of the stored documents, by name (code-point order): the first `limit` after
   * `after` that start with `prefix`. Throws a `RangeError` for a limit outside 1 to 500.
   * Without `page`, the first 500.
   */
  list(page?: ListPage): Promise<DocumentInfo[]>
  /**
   * Reads at most `page.scan` names in order (as {@link list} would page them) and returns the
   * documents whose name `page.match` accepts, at most `page.limit`, with where to go on from:
   * a filter whose cost per call is bounded however many documents are stored. Throws a
   * `RangeError` for a limit outside 1 to 500 or a scan outside 1 to 10,000.
   */
  scan(page: ScanPage): Promise<ScanResult>
  /**
   * Stores `version` of document `name` (apart from its update log: compaction never touches
   * versions). Resolves once it is durable, with the version as stored.
   */
  saveVersion(name: string, version: NewVersion): Promise<VersionInfo>
  /** The versions of `name`, newest first (by `createdAtMs`, then `id`), without their bytes. */
  listVersions(name: string): Promise<VersionInfo[]>
  /** Version `id` of document `name`, or `null` if it has no such version. */
  loadVersion(name: string, id: number): Promise<Version | null>
  /**
   * Deletes the versions `ids` of `name` (ids of another document's versions are left alone);
   * resolves with how many were deleted. The retention policy that chooses them is the caller's
   * (`pruneVersions` in retention.ts).
   */
  deleteVersions(name: string, ids: readonly number[]): Promise<number>
  /**
   * Gives document `from` the name `to`: its snapshot, log, sequence counter, versions, attribution and
   * set-aside updates move together in one transaction. `not_found` if nothing is stored as
   * `from`; `name_taken`, moving nothing, if something (a document or a version) is stored as
   * `to`.
   */
  rename(from: string, to: string): Promise<MoveOutcome>
  /**
   * Moves document `name` (snapshot, log, sequence counter, versions, attribution and set-aside updates) to
   * the trash in one transaction, deleted at `nowMs`: the name is free at once. Resolves `false`
   * if nothing is stored as `name`. A name may be in the trash several times.
   */
  trash(name: string, nowMs?: number): Promise<boolean>
  /** The documents in the trash, most recently deleted first. */
  listTrash(): Promise<TrashedDocumentInfo[]>
  /**
   * Moves the most recently deleted copy of `name` back out of the trash, as it was. `not_found`
   * if the trash holds none; `name_taken`, moving nothing, if something is stored as `name`.
   */
  restore(name: string): Promise<MoveOutcome>
  /** Deletes for good what was moved to the trash before `deletedBeforeMs`; resolves with how many. */
  purgeTrash(deletedBeforeMs: number): Promise<number>
  /**
   * Records share link `link` (durable when it resolves). Links that expired more than a day
   * before `link` was minted are forgotten meanwhile.
   */
  saveLink(link: LinkRecord): Promise<void>
  /** The links of `doc` neither revoked nor expired at `nowMs`, newest first. */
  listLinks(doc: string, nowMs?: number): Promise<LinkRecord[]>
  /**
   * Revokes link `id` of `doc` at `nowMs`. Resolves `false`, changing nothing, if `doc` has no
   * such link that is neither revoked nor expired.
   */
  revokeLink(doc: string, id: string, nowMs?: number): Promise<boolean>
  /** The ids of the revoked links that have not expired at `nowMs` (their tokens would work). */
  revokedLinks(nowMs?: number): Promise<string[]>
  /** Whether commits currently succeed. */
  health(): StoreHealth
  /** Waits (up to `timeoutMs`) for pending appends to commit, then releases the storage. */
  close(timeoutMs?: number): Promise<void>
}
