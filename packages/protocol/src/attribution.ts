/**
 * Who wrote what: attribution records of a document and what they say about its text.
 *
 * The server attests each stored update: who sent it, when, and which Yjs ids it inserted and
 * deleted (an {@link AttributionRecord}). A character of a `Y.Text` is an item's content at id
 * (client, clock); so its author is the record whose inserts hold that id, and whoever deleted
 * it is the first record whose deletes hold it. Nothing here trusts a client: the records come
 * from the server, which knows who sent what (SPEC B).
 *
 * Ids are kept as flat triples `[client, clock, length, ...]`, sorted by client then clock, with
 * no overlap (an {@link IdRanges}); the binary form is lib0 varints, concatenable: the encoding
 * of a list is the encodings of its records one after the other.
 */
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import * as Y from 'yjs'

/** Yjs ids as flat triples `[client, clock, length, ...]`. */
export type IdRanges = number[]

/** A person an attribution names. */
export interface AttributionAuthor {
  /** Stable within one answer (and, on the server, within one deployment). */
  id: number
  name: string
  /** Whether a token vouched for the name (open mode records names as unverified). */
  verified: boolean
  /** The colour the person's presence had, when the server knew it. */
  color?: string
}

/** One attested change: the ids an author inserted and deleted at a time. */
export interface AttributionRecord {
  /** An {@link AttributionAuthor.id}. */
  author: number
  /** Milliseconds since the epoch. */
  timeMs: number
  inserts: IdRanges
  deletes: IdRanges
}

/** A stretch `[from, to)` of a text (UTF-16 offsets) written by one author at one time. */
export interface AttributedSpan {
  from: number
  to: number
  /** An {@link AttributionAuthor.id}, or `null` where no record covers the text. */
  author: number | null
  timeMs: number | null
}

// ---------------------------------------------------------------------------------------------
// Id sets

/** Sorts and merges `ranges` (overlapping or adjacent triples of one client join). */
export function normalizeRanges(ranges: IdRanges): IdRanges {
  const n = ranges.length / 3
  if (n <= 1) return ranges.slice()
  const order = Array.from({ length: n }, (_, i) => i)
  order.sort((a, b) => ranges[a * 3]! - ranges[b * 3]! || ranges[a * 3 + 1]! - ranges[b * 3 + 1]!)
  const out: IdRanges = []
  for (const i of order) {
    const client = ranges[i * 3]!
    const clock = ranges[i * 3 + 1]!
    const end = clock + ranges[i * 3 + 2]!
    const last = out.length - 3
    if (last >= 0 && out[last] === client && clock <= out[last + 1]! + out[last + 2]!) {
      out[last + 2] = Math.max(out[last + 1]! + out[last + 2]!, end) - out[last + 1]!
    } else if (end > clock) {
      out.push(client, clock, end - clock)
    }
  }
  return out
}

/** `a` without the ids of `b` (both normalized); normalized. */
export function subtractRanges(a: IdRanges, b: IdRanges): IdRanges {
  if (b.length === 0 || a.length === 0) return a.slice()
  const out: IdRanges = []
  let j = 0
  for (let i = 0; i < a.length; i += 3) {
    const client = a[i]!
    let clock = a[i + 1]!
    const end = clock + a[i + 2]!
    // Skip b's ranges that lie wholly before this one.
    while (
      j < b.length &&
      (b[j]! < client || (b[j] === client && b[j + 1]! + b[j + 2]! <= clock))
    ) {
      j += 3
    }
    let k = j
    while (clock < end && k < b.length && b[k] === client && b[k + 1]! < end) {
      const bFrom = b[k + 1]!
      const bEnd = bFrom + b[k + 2]!
      if (bFrom > clock) out.push(client, clock, bFrom - clock)
      clock = Math.max(clock, bEnd)
      k += 3
    }
    if (clock < end) out.push(client, clock, end - clock)
  }
  return out
}

/** How many ids `ranges` holds. */
export function rangesSize(ranges: IdRanges): number {
  let n = 0
  for (let i = 2; i < ranges.length; i += 3) n += ranges[i]!
  return n
}

/** The ids an update inserts and deletes, read from its bytes (`Y.decodeUpdate`). */
export function idsOfUpdate(update: Uint8Array): { inserts: IdRanges; deletes: IdRanges } {
  const { structs, ds } = Y.decodeUpdate(update)
  const inserts: IdRanges = []
  for (const s of structs) {
    if (s instanceof Y.Skip) continue
    inserts.push(s.id.client, s.id.clock, s.length)
  }
  const deletes: IdRanges = []
  for (const [client, items] of ds.clients) {
    for (const item of items) deletes.push(client, item.clock, item.len)
  }
  return { inserts: normalizeRanges(inserts), deletes: normalizeRanges(deletes) }
}

// ---------------------------------------------------------------------------------------------
// Records

/**
 * Joins consecutive records of one author made within `windowMs` of the first of them (taking
 * its time), and keeps every id with the first record that names it: an id is inserted once,
 * and deleted by whoever deleted it first (a client that reconnects sends its whole delete set
 * again). Records are in the order they were stored.
 */
export function coalesceRecords(
  records: readonly AttributionRecord[],
  windowMs: number,
): AttributionRecord[] {
  const groups: { author: number; timeMs: number; inserts: IdRanges[]; deletes: IdRanges[] }[] = []
  for (const record of records) {
    const group = groups[groups.length - 1]
    if (
      group &&
      group.author === record.author &&
      record.timeMs >= group.timeMs &&
      record.timeMs - group.timeMs < windowMs
    ) {
      group.inserts.push(record.inserts)
      group.deletes.push(record.deletes)
    } else {
      groups.push({
        author: record.author,
        timeMs: record.timeMs,
        inserts: [record.inserts],
        deletes: [record.deletes],
      })
    }
  }
  const inserts = claimFirst(groups.map((g) => g.inserts.flat()))
  const deletes = claimFirst(groups.map((g) => g.deletes.flat()))
  const out: AttributionRecord[] = []
  groups.forEach((group, i) => {
    if (inserts[i]!.length > 0 || deletes[i]!.length > 0) {
      out.push({
        author: group.author,
        timeMs: group.timeMs,
        inserts: inserts[i]!,
        deletes: deletes[i]!,
      })
    }
  })
  return out
}

/**
 * For each of `lists` (id ranges, in any order and overlapping), the ids no earlier list names:
 * normalized. O(n log n) in the number of ranges.
 */
function claimFirst(lists: readonly IdRanges[]): IdRanges[] {
  const out: IdRanges[] = lists.map(() => [])
  for (const [client, pieces] of byClient(lists)) {
    for (let i = 0; i < pieces.length; i += 3) {
      const list = out[pieces[i + 2]!]!
      const last = list.length - 3
      if (last >= 0 && list[last] === client && list[last + 1]! + list[last + 2]! === pieces[i]) {
        list[last + 2]! += pieces[i + 1]!
      } else list.push(client, pieces[i]!, pieces[i + 1]!)
    }
  }
  return out
}

/**
 * The ranges of `lists` by client (ascending): disjoint `[clock, length, list]` triples sorted
 * by clock, the lowest list winning where they overlap.
 */
function byClient(lists: readonly IdRanges[]): [number, number[]][] {
  const grouped = new Map<number, number[]>()
  lists.forEach((ranges, index) => {
    for (let i = 0; i < ranges.length; i += 3) {
      let list = grouped.get(ranges[i]!)
      if (!list) {
        list = []
        grouped.set(ranges[i]!, list)
      }
      list.push(ranges[i + 1]!, ranges[i + 2]!, index)
    }
  })
  const out: [number, number[]][] = []
  for (const [client, list] of grouped) {
    const n = list.length / 3
    const order = Array.from({ length: n }, (_, i) => i)
    order.sort((a, b) => list[a * 3]! - list[b * 3]! || list[a * 3 + 2]! - list[b * 3 + 2]!)
    const sorted: number[] = []
    for (const i of order) sorted.push(list[i * 3]!, list[i * 3 + 1]!, list[i * 3 + 2]!)
    out.push([client, firstWins(sorted)])
  }
  return out.sort((a, b) => a[0] - b[0])
}

function writeRanges(encoder: encoding.Encoder, ranges: IdRanges): void {
  // Grouped by client: [clients][client, count, (clock delta from the previous end, length)*]
  let clients = 0
  for (let i = 0; i < ranges.length; i += 3) if (i === 0 || ranges[i] !== ranges[i - 3]) clients++
  encoding.writeVarUint(encoder, clients)
  for (let i = 0; i < ranges.length; ) {
    const client = ranges[i]!
    let j = i
    while (j < ranges.length && ranges[j] === client) j += 3
    encoding.writeVarUint(encoder, client)
    encoding.writeVarUint(encoder, (j - i) / 3)
    let end = 0
    for (let k = i; k < j; k += 3) {
      encoding.writeVarUint(encoder, ranges[k + 1]! - end)
      encoding.writeVarUint(encoder, ranges[k + 2]!)
      end = ranges[k + 1]! + ranges[k + 2]!
    }
    i = j
  }
}

function readRanges(decoder: decoding.Decoder): IdRanges {
  const out: IdRanges = []
  const clients = decoding.readVarUint(decoder)
  for (let c = 0; c < clients; c++) {
    const client = decoding.readVarUint(decoder)
    const count = decoding.readVarUint(decoder)
    let end = 0
    for (let k = 0; k < count; k++) {
      const clock = end + decoding.readVarUint(decoder)
      const length = decoding.readVarUint(decoder)
      out.push(client, clock, length)
      end = clock + length
    }
  }
  return out
}

/** Scratch space for {@link encodeRecord}: a record of a typical edit fits many times over. */
const scratch = new Uint8Array(256)

/** Writes `n` (a non-negative safe integer) as a lib0 varuint at `at`; returns where it ends. */
function putVarUint(out: Uint8Array, at: number, n: number): number {
  while (n > 0x7f) {
    out[at++] = 0x80 | (n % 0x80)
    n = Math.floor(n / 0x80)
  }
  out[at++] = n
  return at
}

/** Writes `ranges` as {@link writeRanges} does; returns where it ends, or -1 if out is full. */
function putRanges(out: Uint8Array, at: number, ranges: IdRanges): number {
  let clients = 0
  for (let i = 0; i < ranges.length; i += 3) if (i === 0 || ranges[i] !== ranges[i - 3]) clients++
  at = putVarUint(out, at, clients)
  for (let i = 0; i < ranges.length; ) {
    if (at > out.length - 32) return -1
    const client = ranges[i]!
    let j = i
    while (j < ranges.length && ranges[j] === client) j += 3
    at = putVarUint(out, at, client)
    at = putVarUint(out, at, (j - i) / 3)
    let end = 0
    for (let k = i; k < j; k += 3) {
      if (at > out.length - 20) return -1
      at = putVarUint(out, at, ranges[k + 1]! - end)
      at = putVarUint(out, at, ranges[k + 2]!)
      end = ranges[k + 1]! + ranges[k + 2]!
    }
    i = j
  }
  return at
}

/**
 * The binary form of one record, as {@link encodeRecords} writes it: the append path's, written
 * without an encoder's allocations when it is small (a typical edit's is about 20 bytes).
 */
export function encodeRecord(record: AttributionRecord): Uint8Array {
  let at = putVarUint(scratch, 0, record.author)
  at = putVarUint(scratch, at, record.timeMs)
  at = putRanges(scratch, at, record.inserts)
  if (at >= 0) at = putRanges(scratch, at, record.deletes)
  return at >= 0 ? scratch.slice(0, at) : encodeRecords([record])
}

/** The binary form of `records` (normalized ranges), concatenable with other encodings. */
export function encodeRecords(records: readonly AttributionRecord[]): Uint8Array {
  const encoder = encoding.createEncoder()
  for (const record of records) {
    encoding.writeVarUint(encoder, record.author)
    encoding.writeVarUint(encoder, record.timeMs)
    writeRanges(encoder, record.inserts)
    writeRanges(encoder, record.deletes)
  }
  return encoding.toUint8Array(encoder)
}

/** Reads what {@link encodeRecords} wrote (several encodings one after the other too). */
export function decodeRecords(bytes: Uint8Array): AttributionRecord[] {
  const decoder = decoding.createDecoder(bytes)
  const out: AttributionRecord[] = []
  while (decoding.hasContent(decoder)) {
    const author = decoding.readVarUint(decoder)
    const timeMs = decoding.readVarUint(decoder)
    const inserts = readRanges(decoder)
    const deletes = readRanges(decoder)
    out.push({ author, timeMs, inserts, deletes })
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// Looking ids up

/** For each client, its ranges sorted by clock, each with the index of its record. */
class IdIndex {
  readonly #byClient = new Map<number, number[]>()

  /** `pick(record)`: which of a record's ranges to index. The first record naming an id wins. */
  constructor(records: readonly AttributionRecord[], pick: (r: AttributionRecord) => IdRanges) {
    for (const [client, pieces] of byClient(records.map(pick))) this.#byClient.set(client, pieces)
  }

  /**
   * Visits the stretches of ids `clock` to `clock + length - 1` of `client`, each with the
   * record that covers it (`-1`: none).
   */
  visit(
    client: number,
    clock: number,
    length: number,
    visit: (from: number, to: number, record: number) => void,
  ): void {
    const end = clock + length
    const list = this.#byClient.get(client)
    if (!list) {
      visit(clock, end, -1)
      return
    }
    // The last range starting at or before `clock`.
    let lo = 0
    let hi = list.length / 3 - 1
    let at = -1
    while (lo <= hi) {
      const mid = (lo + hi) >> 1
      if (list[mid * 3]! <= clock) {
        at = mid
        lo = mid + 1
      } else hi = mid - 1
    }
    let i = Math.max(at, 0)
    let pos = clock
    while (pos < end) {
      if (i * 3 >= list.length) {
        visit(pos, end, -1)
        return
      }
      const from = list[i * 3]!
      const to = from + list[i * 3 + 1]!
      if (to <= pos) {
        i++
        continue
      }
      if (from > pos) {
        const stop = Math.min(from, end)
        visit(pos, stop, -1)
        pos = stop
        continue
      }
      const stop = Math.min(to, end)
      visit(pos, stop, list[i * 3 + 2]!)
      pos = stop
      i++
    }
  }
}

/**
 * Sorted `[clock, length, record]` triples made disjoint, the lowest record winning where they
 * overlap: a sweep over the boundaries with a heap of the ranges that cover it, O(n log n).
 */
function firstWins(sorted: number[]): number[] {
  let overlapping = false
  for (let i = 3; i < sorted.length; i += 3) {
    if (sorted[i]! < sorted[i - 3]! + sorted[i - 2]!) overlapping = true
  }
  if (!overlapping) return sorted
  const bounds: number[] = []
  for (let i = 0; i < sorted.length; i += 3) bounds.push(sorted[i]!, sorted[i]! + sorted[i + 1]!)
  bounds.sort((a, b) => a - b)
  // Min-heap of [record, end] by record.
  const heap: [number, number][] = []
  const push = (entry: [number, number]) => {
    heap.push(entry)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent]![0] <= entry[0]) break
      heap[i] = heap[parent]!
      i = parent
    }
    heap[i] = entry
  }
  const pop = () => {
    const last = heap.pop()!
    if (heap.length === 0) return
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      if (l >= heap.length) break
      const r = l + 1
      const c = r < heap.length && heap[r]![0] < heap[l]![0] ? r : l
      if (heap[c]![0] >= last[0]) break
      heap[i] = heap[c]!
      i = c
    }
    heap[i] = last
  }
  const out: number[] = []
  let next = 0
  for (let b = 0; b + 1 < bounds.length; b++) {
    const from = bounds[b]!
    const to = bounds[b + 1]!
    if (from === to) continue
    while (next < sorted.length && sorted[next]! <= from) {
      push([sorted[next + 2]!, sorted[next]! + sorted[next + 1]!])
      next += 3
    }
    while (heap.length > 0 && heap[0]![1] <= from) pop()
    // Entries ended earlier but buried under a lower record are dropped when they surface.
    if (heap.length === 0) continue
    const best = heap[0]![0]
    const last = out.length - 3
    if (last >= 0 && out[last + 2] === best && out[last]! + out[last + 1]! === from) {
      out[last + 1]! += to - from
    } else out.push(from, to - from, best)
  }
  return out
}

/** Visits the string items of `ytext`, in document order, deleted ones included. */
function visitStrings(
  ytext: Y.Text,
  visit: (client: number, clock: number, str: string, deleted: boolean) => void,
): void {
  let item = ytext._start
  while (item !== null) {
    if (item.content instanceof Y.ContentString) {
      visit(item.id.client, item.id.clock, item.content.str, item.deleted)
    }
    item = item.right
  }
}

/**
 * The text of `ytext` (as `toString()` reads it) cut into spans by who inserted it, per
 * `records`. Adjacent characters of the same record form one span.
 */
export function attributeText(
  ytext: Y.Text,
  records: readonly AttributionRecord[],
): AttributedSpan[] {
  const index = new IdIndex(records, (r) => r.inserts)
  const spans: AttributedSpan[] = []
  let pos = 0
  visitStrings(ytext, (client, clock, str, deleted) => {
    if (deleted) return
    index.visit(client, clock, str.length, (from, to, record) => {
      const length = to - from
      const author = record < 0 ? null : records[record]!.author
      const timeMs = record < 0 ? null : records[record]!.timeMs
      const last = spans[spans.length - 1]
      if (last && last.to === pos && last.author === author && last.timeMs === timeMs) {
        last.to += length
      } else spans.push({ from: pos, to: pos + length, author, timeMs })
      pos += length
    })
  })
  return spans
}

/** A stretch of text with the steps at which it appears and disappears. */
interface Run {
  text: string
  /** The record that inserted it, `-1` if none did (there from the start). */
  inserted: number
  /** The record that deleted it, `Infinity` if it is not deleted, `-1` if deleted unrecorded. */
  deleted: number
}

/**
 * A document's history played back from its records: the text right after any record. Built
 * from a `Y.Doc({ gc: false })` holding the full state, so that deleted text is still there;
 * text whose content was garbage-collected cannot be shown at the steps it existed.
 */
export class Playback {
  readonly #runs: Run[]
  readonly #records: readonly AttributionRecord[]

  private constructor(runs: Run[], records: readonly AttributionRecord[]) {
    this.#runs = runs
    this.#records = records
  }

  static of(ytext: Y.Text, records: readonly AttributionRecord[]): Playback {
    const inserts = new IdIndex(records, (r) => r.inserts)
    const deletes = new IdIndex(records, (r) => r.deletes)
    const runs: Run[] = []
    visitStrings(ytext, (client, clock, str, deleted) => {
      inserts.visit(client, clock, str.length, (from, to, inserted) => {
        const piece = (a: number, b: number, deletedAt: number) => {
          const text = str.slice(a - clock, b - clock)
          const last = runs[runs.length - 1]
          if (last && last.inserted === inserted && last.deleted === deletedAt) last.text += text
          else runs.push({ text, inserted, deleted: deletedAt })
        }
        if (!deleted) piece(from, to, Number.POSITIVE_INFINITY)
        else deletes.visit(client, from, to - from, (a, b, d) => piece(a, b, d))
      })
    })
    return new Playback(runs, records)
  }

  /** How many steps there are: step `k` (0 to `steps - 1`) is right after record `k`. */
  get steps(): number {
    return this.#records.length
  }

  #visible(run: Run, step: number): boolean {
    return run.inserted <= step && step < run.deleted
  }

  /** The text after record `step` (`-1`: before any record). */
  textAt(step: number): string {
    let text = ''
    for (const run of this.#runs) if (this.#visible(run, step)) text += run.text
    return text
  }

  /**
   * The changes that turn the text at `fromStep` into the text at `toStep`: sorted,
   * non-overlapping, offsets in the text at `fromStep` (a CodeMirror `ChangeSpec` array).
   */
  changes(fromStep: number, toStep: number): { from: number; to: number; insert: string }[] {
    const out: { from: number; to: number; insert: string }[] = []
    let pos = 0
    for (const run of this.#runs) {
      const before = this.#visible(run, fromStep)
      const after = this.#visible(run, toStep)
      if (before !== after) {
        const last = out[out.length - 1]
        const joins = last !== undefined && last.to === pos
        if (before) {
          if (joins) last.to += run.text.length
          else out.push({ from: pos, to: pos + run.text.length, insert: '' })
        } else if (joins) last.insert += run.text
        else out.push({ from: pos, to: pos, insert: run.text })
      }
      if (before) pos += run.text.length
    }
    return out
  }

  /**
   * The text at `fromStep` that is gone by `toStep` (a later step), as spans of the text at
   * `fromStep`, each with who deleted it and when: `author` and `timeMs` are those of the record
   * that deleted it (`null` where no record says: content collected before it was recorded).
   */
  removals(fromStep: number, toStep: number): AttributedSpan[] {
    const spans: AttributedSpan[] = []
    let pos = 0
    for (const run of this.#runs) {
      if (!this.#visible(run, fromStep)) continue
      if (!this.#visible(run, toStep)) {
        const record =
          run.deleted >= 0 && run.deleted !== Number.POSITIVE_INFINITY
            ? this.#records[run.deleted]!
            : null
        const author = record ? record.author : null
        const timeMs = record ? record.timeMs : null
        const last = spans[spans.length - 1]
        if (last && last.to === pos && last.author === author && last.timeMs === timeMs) {
          last.to += run.text.length
        } else spans.push({ from: pos, to: pos + run.text.length, author, timeMs })
      }
      pos += run.text.length
    }
    return spans
  }

  /** Who wrote the text at `step`, as spans of that text. */
  spansAt(step: number): AttributedSpan[] {
    const spans: AttributedSpan[] = []
    let pos = 0
    for (const run of this.#runs) {
      if (!this.#visible(run, step)) continue
      const record = run.inserted < 0 ? null : this.#records[run.inserted]!
      const author = record ? record.author : null
      const timeMs = record ? record.timeMs : null
      const last = spans[spans.length - 1]
      if (last && last.author === author && last.timeMs === timeMs) last.to += run.text.length
      else spans.push({ from: pos, to: pos + run.text.length, author, timeMs })
      pos += run.text.length
    }
    return spans
  }
}
