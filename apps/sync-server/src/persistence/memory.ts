import { type RetentionPolicy, versionsToPrune } from './retention.js'
import type {
  DocStore,
  DocumentInfo,
  NewVersion,
  StoredDocument,
  StoreHealth,
  Version,
  VersionInfo,
} from './store.js'

interface Entry {
  snapshot: Uint8Array | null
  snapshotSeq: number
  updates: { seq: number; data: Uint8Array }[]
  updatedAtMs: number
}

/** A store that keeps nothing across restarts: for tests and benchmarks of the relay alone. */
export class MemoryStore implements DocStore {
  readonly #docs = new Map<string, Entry>()
  readonly #versions = new Map<string, Version[]>()
  #seq = 0
  #versionId = 0

  async load(name: string): Promise<StoredDocument | null> {
    const entry = this.#docs.get(name)
    if (!entry) return null
    return {
      snapshot: entry.snapshot,
      updates: entry.updates.map((u) => u.data),
      lastSeq: entry.updates.at(-1)?.seq ?? entry.snapshotSeq,
    }
  }

  async append(name: string, update: Uint8Array): Promise<number> {
    let entry = this.#docs.get(name)
    if (!entry) {
      entry = { snapshot: null, snapshotSeq: 0, updates: [], updatedAtMs: 0 }
      this.#docs.set(name, entry)
    }
    const seq = ++this.#seq
    entry.updates.push({ seq, data: update.slice() })
    entry.updatedAtMs = Date.now()
    return seq
  }

  async compact(name: string, snapshot: Uint8Array, throughSeq: number): Promise<void> {
    const entry = this.#docs.get(name)
    if (!entry || entry.snapshotSeq > throughSeq) return
    entry.snapshot = snapshot.slice()
    entry.snapshotSeq = throughSeq
    entry.updates = entry.updates.filter((u) => u.seq > throughSeq)
  }

  async list(): Promise<DocumentInfo[]> {
    return [...this.#docs]
      .map(([name, e]) => ({
        name,
        updatedAtMs: e.updatedAtMs,
        storedBytes:
          (e.snapshot?.length ?? 0) + e.updates.reduce((sum, u) => sum + u.data.length, 0),
      }))
      .sort((a, b) => b.updatedAtMs - a.updatedAtMs || a.name.localeCompare(b.name))
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

  async pruneVersions(name: string, policy: RetentionPolicy, nowMs = Date.now()): Promise<number> {
    const list = this.#versions.get(name) ?? []
    const doomed = new Set(versionsToPrune(list, policy, nowMs))
    this.#versions.set(
      name,
      list.filter((v) => !doomed.has(v.id)),
    )
    return doomed.size
  }

  health(): StoreHealth {
    return { ok: true }
  }

  async close(): Promise<void> {}
}

function withoutBytes({ bytes: _, ...info }: Version): VersionInfo {
  return { ...info, authors: [...info.authors] }
}
