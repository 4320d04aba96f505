/** The part of the Web Storage API that Tandem uses; `localStorage` satisfies it. */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>

/** A `KeyValueStore` kept in memory: the fallback when `localStorage` is unavailable. */
export class MemoryStore implements KeyValueStore {
  readonly #items = new Map<string, string>()

  getItem(key: string): string | null {
    return this.#items.get(key) ?? null
  }

  setItem(key: string, value: string): void {
    this.#items.set(key, String(value))
  }

  removeItem(key: string): void {
    this.#items.delete(key)
  }
}

/**
 * The browser's `localStorage` when it can be used, else an in-memory store (private modes and
 * sandboxed frames may throw on access).
 */
export function browserStore(): KeyValueStore {
  try {
    const store = globalThis.localStorage
    const probe = 'tandem:probe'
    store.setItem(probe, probe)
    store.removeItem(probe)
    return store
  } catch {
    return new MemoryStore()
  }
}

/** Reads and parses a JSON value, or `undefined` when it is missing or unreadable. */
export function readJson(store: KeyValueStore, key: string): unknown {
  const raw = store.getItem(key)
  if (raw === null) return undefined
  try {
    return JSON.parse(raw) as unknown
  } catch {
    return undefined
  }
}

/** Writes a JSON value; a full or refusing store leaves the previous value in place. */
export function writeJson(store: KeyValueStore, key: string, value: unknown): boolean {
  try {
    store.setItem(key, JSON.stringify(value))
    return true
  } catch {
    return false
  }
}
