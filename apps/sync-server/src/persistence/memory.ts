import {
  authorKey,
  authorOfKey,
  docAttribution,
  foldAttribution,
  rowAttribution,
} from './attribution.js'
import { checkListPage, compareNames, MAX_LIST_LIMIT, NameScan } from './list-page.js'
import type {
  Author,
  DocAttribution,
  DocStore,
  DocumentInfo,
  LinkRecord,
  ListPage,
  MoveOutcome,
  NewVersion,
  ScanPage,
  ScanResult,
  SetAsideUpdate,
  StoredDocument,
  StoreHealth,
  TrashedDocumentInfo,
  UpdateAttribution,
  Version,
  VersionInfo,
} from './store.js'

interface Entry {
  snapshot: Uint8Array | null
  snapshotSeq: number
  updates: { seq: number; data: Uint8Array; attribution: Uint8Array | null }[]
  /** The coalesced attribution of the updates compaction replaced. */
  attribution: Uint8Array | null
  /** The document's last sequence number: appends are numbered 1, 2, 3, … */
  lastSeq: number
  updatedAtMs: number
}

/** A deleted document: what was stored under its name when it was deleted. */
interface Trashed {
  name: string
  deletedAtMs: number
  entry: Entry | undefined
  versions: Version[]
  setAside: SetAsideUpdate[]
}

/** How long a link is kept after it expired (then its token no longer works anyway). */
const LINK_KEPT_AFTER_EXPIRY_MS = 24 * 60 * 60 * 1000

/** A store that keeps nothing across restarts: for tests and benchmarks of the relay alone. */
export class MemoryStore implements DocStore {
  readonly #docs = new Map<string, Entry>()
  readonly #versions = new Map<string, Version[]>()
  readonly #setAside = new Map<string, SetAsideUpdate[]>()
  /** Oldest deletion first. */
  #trash: Trashed[] = []
  #versionId = 0
  /** Share links by id, with when each was revoked (`null` while it is not). */
  readonly #links = new Map<string, { link: LinkRecord; revokedAtMs: number | null }>()
  /** Authors by key, numbered from 1 in the order first seen, and by number. */
  readonly #authorIds = new Map<string, number>()
  readonly #authors = new Map<number, Author>()

  async load(name: string): Promise<StoredDocument | null> {
    return this.#since(name, -1)
  }

  async loadSince(name: string, afterSeq: number): Promise<StoredDocument | null> {
    return this.#since(name, afterSeq)
  }

  #since(name: string, afterSeq: number): StoredDocument | null {
    const entry = this.#docs.get(name)
    if (!entry) return null
    const after = Math.max(afterSeq, entry.snapshotSeq)
    return {
      snapshot: afterSeq < entry.snapshotSeq ? entry.snapshot : null,
      updates: entry.updates.filter((u) => u.seq > after).map((u) => u.data),
      lastSeq: entry.lastSeq,
    }
  }

  async lastSeqs(names: readonly string[]): Promise<Map<string, number>> {
    const found = new Map<string, number>()
    for (const name of names) {
      const entry = this.#docs.get(name)
      if (entry) found.set(name, entry.lastSeq)
    }
    return found
  }

  async append(name: string, update: Uint8Array, attribution?: UpdateAttribution): Promise<number> {
    let entry = this.#docs.get(name)
    if (!entry) {
      entry = {
        snapshot: null,
        snapshotSeq: 0,
        updates: [],
        attribution: null,
        lastSeq: 0,
        updatedAtMs: 0,
      }
      this.#docs.set(name, entry)
    }
    const seq = ++entry.lastSeq
    entry.updates.push({
      seq,
      data: update.slice(),
      attribution: attribution
        ? rowAttribution(this.#authorId(attribution.author), attribution)
        : null,
    })
    entry.updatedAtMs = Date.now()
    return seq
  }

  async compact(
    name: string,
    snapshot: Uint8Array,
    throughSeq: number,
    setAside: readonly SetAsideUpdate[] = [],
  ): Promise<boolean> {
    this.#keepApart(name, setAside)
    const entry = this.#docs.get(name)
    if (!entry || entry.snapshotSeq > throughSeq) return true
    const replaced = entry.updates.filter((u) => u.seq <= throughSeq)
    if (replaced.some((u) => u.attribution)) {
      entry.attribution = foldAttribution([
        entry.attribution,
        ...replaced.map((u) => u.attribution),
      ])
    }
    entry.snapshot = snapshot.slice()
    entry.snapshotSeq = throughSeq
    entry.updates = entry.updates.filter((u) => u.seq > throughSeq)
    return true
  }

  #authorId(author: Author): number {
    const key = authorKey(author)
    let id = this.#authorIds.get(key)
    if (id === undefined) {
      id = this.#authorIds.size + 1
      this.#authorIds.set(key, id)
      this.#authors.set(id, authorOfKey(key, author.color ?? null))
    }
    return id
  }

  async loadAttribution(name: string): Promise<DocAttribution> {
    const entry = this.#docs.get(name)
    if (!entry) return { authors: [], records: [] }
    return docAttribution(
      [entry.attribution, ...entry.updates.map((u) => u.attribution)],
      this.#authors,
    )
  }

  async setAside(name: string, entries: readonly SetAsideUpdate[]): Promise<number> {
    return this.#keepApart(name, entries)
  }

  #keepApart(name: string, entries: readonly SetAsideUpdate[]): number {
    if (entries.length === 0) return 0
    let kept = this.#setAside.get(name)
    if (!kept) {
      kept = []
      this.#setAside.set(name, kept)
    }
    let added = 0
    for (const e of entries) {
      if (kept.some((k) => k.seq === e.seq && k.kind === e.kind)) continue
      kept.push({ ...e, bytes: e.bytes.slice() })
      added++
    }
    kept.sort(bySetAsideOrder)
    return added
  }

  async listSetAside(name: string): Promise<SetAsideUpdate[]> {
    return (this.#setAside.get(name) ?? []).map((e) => ({ ...e, bytes: e.bytes.slice() }))
  }

  async list(page: ListPage = { limit: MAX_LIST_LIMIT }): Promise<DocumentInfo[]> {
    checkListPage(page)
    const prefix = page.prefix ?? ''
    const after = page.after
    return [...this.#docs]
      .filter(
        ([name]) =>
          name.startsWith(prefix) && (after === undefined || compareNames(name, after) > 0),
      )
      .sort(([a], [b]) => compareNames(a, b))
      .slice(0, page.limit)
      .map(([name, e]) => ({
        name,
        updatedAtMs: e.updatedAtMs,
        storedBytes: storedBytes(e),
      }))
  }

  async scan(page: ScanPage): Promise<ScanResult> {
    const scan = new NameScan(page)
    const prefix = page.prefix ?? ''
    const after = page.after
    const names = [...this.#docs.keys()]
      .filter(
        (name) => name.startsWith(prefix) && (after === undefined || compareNames(name, after) > 0),
      )
      .sort(compareNames)
    for (const name of names) if (!scan.read(name)) break
    return scan.result(
      scan.kept.flatMap((name) => {
        const e = this.#docs.get(name)
        return e ? [{ name, updatedAtMs: e.updatedAtMs, storedBytes: storedBytes(e) }] : []
      }),
    )
  }

  async saveVersion(name: string, version: NewVersion): Promise<VersionInfo> {
    const stored: Version = {
      ...version,
      id: ++this.#versionId,
      doc: name,
      authors: [...version.authors],
      bytes: version.bytes.slice(),
    }
    let list = this.#versions.get(name)
    if (!list) {
      list = []
      this.#versions.set(name, list)
    }
    list.push(stored)
    return withoutBytes(stored)
  }

  async listVersions(name: string): Promise<VersionInfo[]> {
    return (this.#versions.get(name) ?? [])
      .map(withoutBytes)
      .sort((a, b) => b.createdAtMs - a.createdAtMs || b.id - a.id)
  }

  async loadVersion(name: string, id: number): Promise<Version | null> {
    const found = this.#versions.get(name)?.find((v) => v.id === id)
    return found ? { ...withoutBytes(found), bytes: found.bytes.slice() } : null
  }

  async deleteVersions(name: string, ids: readonly number[]): Promise<number> {
    const list = this.#versions.get(name) ?? []
    const doomed = new Set(ids)
    const kept = list.filter((v) => !doomed.has(v.id))
    this.#versions.set(name, kept)
    return list.length - kept.length
  }

  /** Whether a document or a version is stored as `name`. */
  #exists(name: string): boolean {
    return this.#docs.has(name) || (this.#versions.get(name)?.length ?? 0) > 0
  }

  /** Removes and returns everything stored as `name`. */
  #take(name: string): Omit<Trashed, 'name' | 'deletedAtMs'> {
    const taken = {
      entry: this.#docs.get(name),
      versions: this.#versions.get(name) ?? [],
      setAside: this.#setAside.get(name) ?? [],
    }
    this.#docs.delete(name)
    this.#versions.delete(name)
    this.#setAside.delete(name)
    return taken
  }

  #put(name: string, { entry, versions, setAside }: Omit<Trashed, 'name' | 'deletedAtMs'>): void {
    if (entry) this.#docs.set(name, entry)
    if (setAside.length > 0) this.#setAside.set(name, setAside)
    if (versions.length > 0)
      this.#versions.set(
        name,
        versions.map((v) => ({ ...v, doc: name })),
      )
  }

  async rename(from: string, to: string): Promise<MoveOutcome> {
    if (!this.#exists(from)) return 'not_found'
    if (this.#exists(to)) return 'name_taken'
    this.#put(to, this.#take(from))
    return 'moved'
  }

  async trash(name: string, nowMs = Date.now()): Promise<boolean> {
    if (!this.#exists(name)) return false
    this.#trash.push({ name, deletedAtMs: nowMs, ...this.#take(name) })
    return true
  }

  async listTrash(): Promise<TrashedDocumentInfo[]> {
    return this.#trash
      .map((t) => ({
        name: t.name,
        deletedAtMs: t.deletedAtMs,
        updatedAtMs: t.entry?.updatedAtMs ?? t.deletedAtMs,
        storedBytes: t.entry ? storedBytes(t.entry) : 0,
      }))
      .reverse()
  }

  async restore(name: string): Promise<MoveOutcome> {
    const index = this.#trash.findLastIndex((t) => t.name === name)
    if (index === -1) return 'not_found'
    if (this.#exists(name)) return 'name_taken'
    const [trashed] = this.#trash.splice(index, 1)
    this.#put(name, trashed!)
    return 'moved'
  }

  async purgeTrash(deletedBeforeMs: number): Promise<number> {
    const before = this.#trash.length
    this.#trash = this.#trash.filter((t) => t.deletedAtMs >= deletedBeforeMs)
    return before - this.#trash.length
  }

  async saveLink(link: LinkRecord): Promise<void> {
    for (const [id, { link: old }] of this.#links) {
      if (old.expiresAtMs < link.createdAtMs - LINK_KEPT_AFTER_EXPIRY_MS) this.#links.delete(id)
    }
    this.#links.set(link.id, { link: { ...link }, revokedAtMs: null })
  }

  async listLinks(doc: string, nowMs = Date.now()): Promise<LinkRecord[]> {
    return [...this.#links.values()]
      .filter((l) => l.link.doc === doc && l.revokedAtMs === null && l.link.expiresAtMs > nowMs)
      .map((l) => ({ ...l.link }))
      .sort((a, b) => b.createdAtMs - a.createdAtMs || (a.id < b.id ? 1 : -1))
  }

  async revokeLink(doc: string, id: string, nowMs = Date.now()): Promise<boolean> {
    const found = this.#links.get(id)
    if (!found || found.link.doc !== doc || found.revokedAtMs !== null) return false
    if (found.link.expiresAtMs <= nowMs) return false
    found.revokedAtMs = nowMs
    return true
  }

  async revokedLinks(nowMs = Date.now()): Promise<string[]> {
    return [...this.#links.values()]
      .filter((l) => l.revokedAtMs !== null && l.link.expiresAtMs > nowMs)
      .map((l) => l.link.id)
  }

  health(): StoreHealth {
    return { ok: true }
  }

  async close(): Promise<void> {}
}

/** By sequence number; a snapshot before an update of the same number. */
export function bySetAsideOrder(a: SetAsideUpdate, b: SetAsideUpdate): number {
  return a.seq - b.seq || (a.kind === b.kind ? 0 : a.kind === 'snapshot' ? -1 : 1)
}

function storedBytes(e: Entry): number {
  return (e.snapshot?.length ?? 0) + e.updates.reduce((sum, u) => sum + u.data.length, 0)
}

function withoutBytes({ bytes: _, ...info }: Version): VersionInfo {
  return { ...info, authors: [...info.authors] }
}
