import { validateDocName } from '@tandem/protocol'
import { type KeyValueStore, readJson, writeJson } from './storage'

/** A document the user opened in this browser. */
export interface RecentDoc {
  readonly name: string
  /** When it was last opened, in milliseconds since the Unix epoch. */
  readonly openedAtMs: number
  /** The access token it was opened with (a shared link's), to open it the same way again. */
  readonly token?: string
}

export const RECENT_DOCS_KEY = 'tandem:recent-docs'
export const MAX_RECENT_DOCS = 12

/** The recently opened documents, most recent first; unreadable entries are skipped. */
export function readRecentDocs(store: KeyValueStore): RecentDoc[] {
  const stored = readJson(store, RECENT_DOCS_KEY)
  if (!Array.isArray(stored)) return []
  const docs: RecentDoc[] = []
  const seen = new Set<string>()
  for (const entry of stored as unknown[]) {
    if (typeof entry !== 'object' || entry === null) continue
    const { name, openedAtMs, token } = entry as Record<string, unknown>
    if (typeof name !== 'string' || !validateDocName(name).ok || seen.has(name)) continue
    if (typeof openedAtMs !== 'number' || !Number.isFinite(openedAtMs)) continue
    seen.add(name)
    docs.push(
      typeof token === 'string' && token !== ''
        ? { name, openedAtMs, token }
        : { name, openedAtMs },
    )
  }
  docs.sort((a, b) => b.openedAtMs - a.openedAtMs)
  return docs.slice(0, MAX_RECENT_DOCS)
}

/**
 * Records that `name` was opened at `nowMs` (with `token`, if the page had one): it moves to the
 * top, appears once, and the list keeps at most {@link MAX_RECENT_DOCS} entries. Returns the new
 * list.
 */
export function rememberDoc(
  store: KeyValueStore,
  name: string,
  nowMs: number,
  token: string | null = null,
): RecentDoc[] {
  const docs = [
    token ? { name, openedAtMs: nowMs, token } : { name, openedAtMs: nowMs },
    ...readRecentDocs(store).filter((doc) => doc.name !== name),
  ].slice(0, MAX_RECENT_DOCS)
  writeJson(store, RECENT_DOCS_KEY, docs)
  return docs
}

/** Removes `name` from the list. Returns the new list. */
export function forgetDoc(store: KeyValueStore, name: string): RecentDoc[] {
  const docs = readRecentDocs(store).filter((doc) => doc.name !== name)
  writeJson(store, RECENT_DOCS_KEY, docs)
  return docs
}

const UNITS: readonly [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600_000],
  ['month', 30 * 24 * 3600_000],
  ['week', 7 * 24 * 3600_000],
  ['day', 24 * 3600_000],
  ['hour', 3600_000],
  ['minute', 60_000],
]

/** "just now", "5 minutes ago", "yesterday" … for a time in the past. */
export function describeAge(thenMs: number, nowMs: number, locale?: string): string {
  const elapsedMs = Math.max(0, nowMs - thenMs)
  const format = new Intl.RelativeTimeFormat(locale, { numeric: 'auto' })
  for (const [unit, unitMs] of UNITS) {
    if (elapsedMs >= unitMs) return format.format(-Math.floor(elapsedMs / unitMs), unit)
  }
  return 'just now'
}
