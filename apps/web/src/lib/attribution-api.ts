import type { AttributionRecord } from '@tandem/protocol'
import { fromBase64 } from 'lib0/buffer'
import { type HexColor, hexColor, remoteDisplayName } from '../collab/remote-user'
import { ApiError, apiRequest, docApiPath, type Fetch, isRecord } from './api'

/** Someone the server's attribution names, checked for display. */
export interface Author {
  readonly id: number
  /** Plain text, cleaned like a present person's name (`remoteDisplayName`). */
  readonly name: string
  /** Whether a token vouched for the name; open-mode names are not. */
  readonly verified: boolean
  /** The presence colour the server recorded for them, if any. */
  readonly color: HexColor | null
}

/** Who wrote the document's ids, as `GET /api/docs/{name}/attribution?view=ids` answers. */
export interface AttributionIds {
  /** `false`: the server records no attribution (and the lists are empty). */
  readonly enabled: boolean
  readonly authors: readonly Author[]
  /** Oldest first. */
  readonly records: readonly AttributionRecord[]
}

/** The whole history, as `GET /api/docs/{name}/timeline` answers. */
export interface Timeline extends AttributionIds {
  /**
   * Whether the server keeps deleted text now (not with `ATTRIBUTION=authors`): when it does not,
   * `state` lacks what was deleted and earlier steps show only the text that still exists.
   * `true` when the answer does not say (a server from before the field).
   */
  readonly keepsDeletedText: boolean
  /** The document as one Yjs update, deleted content kept (as far as the server kept it). */
  readonly state: Uint8Array
}

const bad = () => new ApiError('The server sent an unexpected answer.', 200, 'bad-response')

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0

/** One author from the API's JSON, or `null` when it lacks a numeric id. */
export function parseAuthor(raw: unknown): Author | null {
  if (!isRecord(raw) || !isCount(raw.id)) return null
  return {
    id: raw.id,
    name: remoteDisplayName(raw.name),
    verified: raw.verified === true,
    color: hexColor(raw.color),
  }
}

/** Flat `[client, clock, length, ...]` triples of non-negative integers, or `null`. */
function parseIds(raw: unknown): number[] | null {
  if (!Array.isArray(raw) || raw.length % 3 !== 0) return null
  for (const value of raw) if (!isCount(value)) return null
  return raw as number[]
}

/** One record from the API's JSON, or `null` when any field is not what the contract says. */
export function parseRecord(raw: unknown): AttributionRecord | null {
  if (!isRecord(raw) || !isCount(raw.author) || !isCount(raw.timeMs)) return null
  const inserts = parseIds(raw.inserts)
  const deletes = parseIds(raw.deletes)
  if (inserts === null || deletes === null) return null
  return { author: raw.author, timeMs: raw.timeMs, inserts, deletes }
}

/**
 * Reads `{ enabled, authors, records }`. An unreadable record makes the whole answer
 * unreadable (a record left out would attribute its text to the wrong step); unreadable
 * authors are left out and their text shows as someone unknown.
 */
export function parseAttributionIds(body: unknown): AttributionIds {
  if (!isRecord(body) || typeof body.enabled !== 'boolean') throw bad()
  if (!body.enabled) return { enabled: false, authors: [], records: [] }
  if (!Array.isArray(body.authors) || !Array.isArray(body.records)) throw bad()
  const authors = body.authors.map(parseAuthor).filter((author) => author !== null)
  const records: AttributionRecord[] = []
  for (const raw of body.records) {
    const record = parseRecord(raw)
    if (record === null) throw bad()
    records.push(record)
  }
  return { enabled: true, authors, records }
}

/** Reads `{ enabled, keepsDeletedText, authors, records, state }` (`state`: base64). */
export function parseTimeline(body: unknown): Timeline {
  const ids = parseAttributionIds(body)
  const keeps = isRecord(body) ? body.keepsDeletedText : undefined
  if (keeps !== undefined && typeof keeps !== 'boolean') throw bad()
  const keepsDeletedText = keeps ?? true
  if (!ids.enabled) return { ...ids, keepsDeletedText, state: new Uint8Array(0) }
  const state = isRecord(body) ? body.state : null
  if (typeof state !== 'string') throw bad()
  let bytes: Uint8Array
  try {
    bytes = fromBase64(state)
  } catch {
    throw bad()
  }
  return { ...ids, keepsDeletedText, state: bytes }
}

/** A document's attribution over the server's HTTP API. */
export interface AttributionApi {
  ids(signal?: AbortSignal): Promise<AttributionIds>
  timeline(signal?: AbortSignal): Promise<Timeline>
}

/** As `historyApi`: `apiUrl` without a trailing slash, `token` sent as `Authorization: Bearer`. */
export function attributionApi(
  apiUrl: string,
  name: string,
  fetchImpl: Fetch = fetch,
  token: string | null = null,
): AttributionApi {
  const base = docApiPath(apiUrl, name)
  const get = (url: string, signal?: AbortSignal) =>
    apiRequest(fetchImpl, url, { signal: signal ?? null }, token)
  return {
    ids: async (signal) => parseAttributionIds(await get(`${base}/attribution?view=ids`, signal)),
    timeline: async (signal) => parseTimeline(await get(`${base}/timeline`, signal)),
  }
}

/** `authors` by id. */
export function authorsById(authors: readonly Author[]): ReadonlyMap<number, Author> {
  return new Map(authors.map((author) => [author.id, author]))
}
