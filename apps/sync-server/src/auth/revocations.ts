import type { Logger } from '../log.js'
import type { DocStore } from '../persistence/store.js'

/** Told the ids of revoked links whose connections must close now. */
export type RevocationListener = (ids: ReadonlySet<string>) => void

/**
 * The revoked share links this server refuses, kept in memory so that the access check asks a
 * set, not the database. Filled from the store at start; a revocation made here is stored and
 * applied at once; one made by another server of a cluster arrives through {@link heard} (the
 * bus), and {@link refresh}, run every `refreshIntervalMs`, reads the store again so that a
 * missed message is caught. Every change is passed to the listeners, which close the
 * connections of those links.
 */
export class Revocations {
  readonly #store: DocStore
  readonly #log: Logger
  readonly #listeners: RevocationListener[] = []
  #revoked = new Set<string>()
  #timer: NodeJS.Timeout | undefined
  #refreshing: Promise<void> | null = null

  readonly #announce: (id: string) => void

  /** `announce` tells the other servers of a cluster about a revocation made here. */
  constructor(store: DocStore, log: Logger, announce: (id: string) => void = () => {}) {
    this.#store = store
    this.#log = log
    this.#announce = announce
  }

  /** Reads the revoked links from the store; then again every `refreshIntervalMs` if given. */
  async start(refreshIntervalMs?: number): Promise<void> {
    await this.refresh()
    if (refreshIntervalMs !== undefined) {
      this.#timer = setInterval(() => void this.refresh(), refreshIntervalMs)
      this.#timer.unref()
    }
  }

  /** Whether link `id` is revoked. */
  has(id: string): boolean {
    return this.#revoked.has(id)
  }

  /** Calls `listener` with the ids of links revoked from now on (here, elsewhere, or found late). */
  listen(listener: RevocationListener): void {
    this.#listeners.push(listener)
  }

  /**
   * Revokes link `id` of `doc` in the store and here. Resolves `false` if `doc` has no such
   * active link.
   */
  async revoke(doc: string, id: string): Promise<boolean> {
    if (!(await this.#store.revokeLink(doc, id))) return false
    this.#add([id])
    this.#announce(id)
    return true
  }

  /** Another server revoked link `id` (it is in the store already). */
  heard(id: string): void {
    this.#add([id])
  }

  /** Reads the store's revoked links again; those not known yet are applied. */
  refresh(): Promise<void> {
    this.#refreshing ??= (async () => {
      try {
        const before = new Set(this.#revoked)
        const ids = await this.#store.revokedLinks()
        const fresh = ids.filter((id) => !this.#revoked.has(id))
        // Expired links drop out of the store's answer (their tokens no longer work anyway);
        // those revoked while it was read stay.
        const meanwhile = [...this.#revoked].filter((id) => !before.has(id))
        this.#revoked = new Set([...ids, ...meanwhile])
        if (fresh.length > 0) this.#notify(new Set(fresh))
      } catch (err) {
        this.#log.warn({ err }, 'reading revoked links failed; trying again later')
      } finally {
        this.#refreshing = null
      }
    })()
    return this.#refreshing
  }

  close(): void {
    clearInterval(this.#timer)
  }

  #add(ids: string[]): void {
    const fresh = new Set(ids.filter((id) => !this.#revoked.has(id)))
    for (const id of fresh) this.#revoked.add(id)
    // Even a known one: connections that slipped in meanwhile close too.
    this.#notify(new Set(ids))
  }

  #notify(ids: ReadonlySet<string>): void {
    for (const listener of this.#listeners) {
      try {
        listener(ids)
      } catch (err) {
        this.#log.error({ err }, 'closing the connections of revoked links failed')
      }
    }
  }
}
