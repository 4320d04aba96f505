/** A run of text in a diff: in both texts, only in the new one, or only in the old one. */
export interface Segment {
  readonly kind: 'same' | 'added' | 'removed'
  readonly text: string
}

type Op = 'same' | 'added' | 'removed'

/** Edit distance (in tokens) beyond which a diff gives up on detail. */
const MAX_LINE_EDITS = 2_000
const MAX_WORD_EDITS = 1_000

/**
 * Myers' O(ND) diff of two token lists: the operations turning `a` into `b`, in order, or
 * `null` when more than `maxEdits` insertions and deletions are needed.
 */
export function diffTokens(
  a: readonly string[],
  b: readonly string[],
  maxEdits: number,
): Op[] | null {
  // The common ends cost nothing and are most of a typical pair of versions.
  let start = 0
  while (start < a.length && start < b.length && a[start] === b[start]) start++
  let endA = a.length
  let endB = b.length
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--
    endB--
  }
  const middle = middleOps(a, b, start, endA, start, endB, maxEdits)
  if (middle === null) return null
  const ops: Op[] = []
  for (let i = 0; i < start; i++) ops.push('same')
  for (const op of middle) ops.push(op)
  for (let i = endA; i < a.length; i++) ops.push('same')
  return ops
}

function middleOps(
  a: readonly string[],
  b: readonly string[],
  a0: number,
  a1: number,
  b0: number,
  b1: number,
  maxEdits: number,
): Op[] | null {
  const n = a1 - a0
  const m = b1 - b0
  if (n === 0) return Array<Op>(m).fill('added')
  if (m === 0) return Array<Op>(n).fill('removed')
  const limit = Math.min(maxEdits, n + m)
  const offset = limit + 1
  // v[k + offset]: the furthest x reached on diagonal k = x - y.
  const v = new Int32Array(2 * limit + 3)
  // trace[d]: the slice of v for diagonals -d-1..d+1 before step d.
  const trace: Int32Array[] = []
  for (let d = 0; d <= limit; d++) {
    trace.push(v.slice(offset - d - 1, offset + d + 2))
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!)
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1
      let y = x - k
      while (x < n && y < m && a[a0 + x] === b[b0 + y]) {
        x++
        y++
      }
      v[offset + k] = x
      if (x >= n && y >= m) return backtrack(trace, n, m)
    }
  }
  return null
}

function backtrack(trace: readonly Int32Array[], n: number, m: number): Op[] {
  const ops: Op[] = []
  let x = n
  let y = m
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!
    // In trace[d], diagonal k sits at index k + d + 1.
    const at = (k: number) => v[k + d + 1]!
    const k = x - y
    const down = k === -d || (k !== d && at(k - 1) < at(k + 1))
    const prevK = down ? k + 1 : k - 1
    const prevX = d === 0 ? 0 : at(prevK)
    const prevY = prevX - prevK
    while (x > prevX && y > prevY) {
      ops.push('same')
      x--
      y--
    }
    if (d > 0) {
      if (down) {
        ops.push('added')
        y--
      } else {
        ops.push('removed')
        x--
      }
    }
  }
  return ops.reverse()
}

/** Lines, each with its line break (the last may have none). */
export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? []
}

/** Words, runs of white space and single other characters: every character in exactly one. */
export function splitWords(text: string): string[] {
  return text.match(/[\p{L}\p{N}_'’]+|\s+|[^\p{L}\p{N}_'’\s]/gu) ?? []
}

function push(out: Segment[], kind: Op, text: string): void {
  if (text === '') return
  const last = out.at(-1)
  if (last?.kind === kind) out[out.length - 1] = { kind, text: last.text + text }
  else out.push({ kind, text })
}

function pushTokens(
  out: Segment[],
  ops: readonly Op[],
  a: readonly string[],
  b: readonly string[],
) {
  let i = 0
  let j = 0
  for (const op of ops) {
    if (op === 'same') {
      push(out, 'same', a[i++]!)
      j++
    } else if (op === 'removed') push(out, 'removed', a[i++]!)
    else push(out, 'added', b[j++]!)
  }
}

/**
 * The differences between `before` and `after`: lines first, then words within the lines that
 * changed. Text only in `before` is `removed`, only in `after` is `added`. Joining the `same`
 * and `removed` segments gives `before`; `same` and `added` give `after`. Beyond a bound on the
 * number of edits, changed regions are shown whole instead of word by word.
 */
export function diffText(before: string, after: string): Segment[] {
  const linesA = splitLines(before)
  const linesB = splitLines(after)
  const lineOps = diffTokens(linesA, linesB, MAX_LINE_EDITS)
  const out: Segment[] = []
  if (lineOps === null) {
    push(out, 'removed', before)
    push(out, 'added', after)
    return out
  }
  let i = 0
  let j = 0
  let k = 0
  while (k < lineOps.length) {
    if (lineOps[k] === 'same') {
      push(out, 'same', linesA[i++]!)
      j++
      k++
      continue
    }
    // A block of changed lines: compare it word by word.
    let removed = ''
    let added = ''
    while (k < lineOps.length && lineOps[k] !== 'same') {
      if (lineOps[k] === 'removed') removed += linesA[i++]
      else added += linesB[j++]
      k++
    }
    const wordsA = splitWords(removed)
    const wordsB = splitWords(added)
    const wordOps =
      removed !== '' && added !== '' ? diffTokens(wordsA, wordsB, MAX_WORD_EDITS) : null
    if (wordOps === null) {
      push(out, 'removed', removed)
      push(out, 'added', added)
    } else {
      pushTokens(out, wordOps, wordsA, wordsB)
    }
  }
  return out
}

/** How many words the segments add and remove. */
export function countChangedWords(segments: readonly Segment[]): {
  added: number
  removed: number
} {
  let added = 0
  let removed = 0
  for (const segment of segments) {
    if (segment.kind === 'same') continue
    const words = segment.text.match(/[\p{L}\p{N}_]+/gu)?.length ?? 0
    if (segment.kind === 'added') added += words
    else removed += words
  }
  return { added, removed }
}
