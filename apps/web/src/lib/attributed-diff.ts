import type { AttributedSpan } from '@tandem/protocol'
import type { Segment } from './diff'

/**
 * A piece of a diff with who made the difference (`null`: not known): for text only the
 * current text has (`removed`), who wrote it; for text only the version has (`added`), who
 * deleted it since.
 */
export interface AttributedSegment extends Segment {
  readonly author: number | null
}

/** Walks sorted spans as a text is read from its start. */
class SpanCursor {
  #index = 0
  constructor(readonly spans: readonly AttributedSpan[]) {}

  /** The spans over `[from, to)`, cut to it; gaps read as unattributed. */
  cut(from: number, to: number): { from: number; to: number; span: AttributedSpan | null }[] {
    const out: { from: number; to: number; span: AttributedSpan | null }[] = []
    while (this.#index < this.spans.length && (this.spans[this.#index]?.to ?? 0) <= from) {
      this.#index++
    }
    let pos = from
    let i = this.#index
    while (pos < to) {
      const span = this.spans[i]
      if (span === undefined || span.from >= to) {
        out.push({ from: pos, to, span: null })
        break
      }
      if (span.from > pos) {
        out.push({ from: pos, to: span.from, span: null })
        pos = span.from
      }
      const end = Math.min(span.to, to)
      out.push({ from: pos, to: end, span })
      pos = end
      if (span.to <= to) i++
    }
    return out
  }
}

/**
 * `segments` (a diff from the current text to a version's, as `diffText` makes it) with who
 * made each part: what only the current text has (`removed`) by who wrote it (`currentSpans`,
 * spans of the current text), what only the version has (`added`) by who deleted it
 * (`deletedSpans`, spans of the version's text gone since, as `Playback.removals` gives them).
 * Unchanged text is left whole and unattributed. Segments are cut where the author changes.
 */
export function attributeDiff(
  segments: readonly Segment[],
  currentSpans: readonly AttributedSpan[],
  deletedSpans: readonly AttributedSpan[],
): AttributedSegment[] {
  const current = new SpanCursor(currentSpans)
  const deleted = new SpanCursor(deletedSpans)
  const out: AttributedSegment[] = []
  let inCurrent = 0
  let inVersion = 0
  for (const segment of segments) {
    const length = segment.text.length
    if (segment.kind === 'same') {
      out.push({ ...segment, author: null })
      inCurrent += length
      inVersion += length
      continue
    }
    const start = segment.kind === 'added' ? inVersion : inCurrent
    const cursor = segment.kind === 'added' ? deleted : current
    for (const piece of cursor.cut(start, start + length)) {
      const author = piece.span?.author ?? null
      const text = segment.text.slice(piece.from - start, piece.to - start)
      const last = out[out.length - 1]
      if (last && last.kind === segment.kind && last.author === author) {
        out[out.length - 1] = { ...last, text: last.text + text }
      } else out.push({ kind: segment.kind, text, author })
    }
    if (segment.kind === 'added') inVersion += length
    else inCurrent += length
  }
  return out
}

/** The last step (record index) at or before `timeMs`; -1 when every record is later. */
export function stepAt(records: readonly { timeMs: number }[], timeMs: number): number {
  let lo = 0
  let hi = records.length - 1
  let found = -1
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if ((records[mid]?.timeMs ?? Number.POSITIVE_INFINITY) <= timeMs) {
      found = mid
      lo = mid + 1
    } else hi = mid - 1
  }
  return found
}

/** What {@link versionStep} needs of a played-back history. */
interface TextAtStep {
  textAt(step: number): string
}

/** What {@link versionDeletions} needs of a played-back history. */
interface PlayedBack extends TextAtStep {
  readonly steps: number
  removals(fromStep: number, toStep: number): AttributedSpan[]
}

/** How many steps on either side of the time's step are tried for a version's text. */
const NEAR_STEPS = 4

/**
 * The step of a history whose text is `text`, a version kept at `timeMs`: the last step at or
 * before that time, else one of the few steps around it (a record stored in the same
 * millisecond, clocks a little apart); `null` when none of them has that text.
 */
export function versionStep(
  playback: TextAtStep,
  records: readonly { timeMs: number }[],
  timeMs: number,
  text: string,
): number | null {
  const at = stepAt(records, timeMs)
  for (let distance = 0; distance <= NEAR_STEPS; distance++) {
    for (const step of distance === 0 ? [at] : [at + distance, at - distance]) {
      if (step < -1 || step >= records.length) continue
      if (playback.textAt(step) === text) return step
    }
  }
  return null
}

/**
 * Who deleted what of a version since it was kept: the spans of its text (`text`, kept at
 * `timeMs`) that are gone at the history's last step, each by the one whose record deleted it;
 * `null` when the version's step is not found ({@link versionStep}).
 */
export function versionDeletions(
  playback: PlayedBack,
  records: readonly { timeMs: number }[],
  timeMs: number,
  text: string,
): AttributedSpan[] | null {
  const step = versionStep(playback, records, timeMs, text)
  return step === null ? null : playback.removals(step, playback.steps - 1)
}
