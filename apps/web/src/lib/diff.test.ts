import { describe, expect, it } from 'vitest'
import {
  countChangedWords,
  diffText,
  diffTokens,
  type Segment,
  splitLines,
  splitWords,
} from './diff'

const side = (segments: readonly Segment[], kind: 'removed' | 'added') =>
  segments
    .filter((segment) => segment.kind === 'same' || segment.kind === kind)
    .map((segment) => segment.text)
    .join('')

/** A small deterministic generator, so the property test is the same every run. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648
    return state / 2_147_483_648
  }
}

describe('diffTokens', () => {
  it('finds a shortest edit script', () => {
    const a = [...'ABCABBA']
    const b = [...'CBABAC']
    const ops = diffTokens(a, b, 100)
    expect(ops).not.toBeNull()
    // Myers' classic example: distance 5.
    expect(ops!.filter((op) => op !== 'same')).toHaveLength(5)
  })

  it('handles empty sides and identical lists', () => {
    expect(diffTokens([], ['a'], 10)).toEqual(['added'])
    expect(diffTokens(['a'], [], 10)).toEqual(['removed'])
    expect(diffTokens(['a', 'b'], ['a', 'b'], 0)).toEqual(['same', 'same'])
  })

  it('gives up beyond the edit bound', () => {
    expect(diffTokens([...'abcdef'], [...'uvwxyz'], 5)).toBeNull()
    expect(diffTokens([...'abcdef'], [...'uvwxyz'], 12)).not.toBeNull()
  })

  it('reproduces both sides for random edits', () => {
    const next = random(7)
    const alphabet = [...'abcde']
    for (let round = 0; round < 200; round++) {
      const a = Array.from(
        { length: Math.floor(next() * 30) },
        () => alphabet[Math.floor(next() * 5)]!,
      )
      const b = a.filter(() => next() > 0.2)
      for (let i = 0; i < 4; i++)
        b.splice(Math.floor(next() * (b.length + 1)), 0, alphabet[Math.floor(next() * 5)]!)
      const ops = diffTokens(a, b, 1_000)!
      let i = 0
      let j = 0
      const fromA: string[] = []
      const fromB: string[] = []
      for (const op of ops) {
        if (op === 'same') {
          expect(a[i]).toBe(b[j])
          fromA.push(a[i++]!)
          fromB.push(b[j++]!)
        } else if (op === 'removed') fromA.push(a[i++]!)
        else fromB.push(b[j++]!)
      }
      expect(fromA).toEqual(a)
      expect(fromB).toEqual(b)
    }
  })
})

describe('splitLines and splitWords', () => {
  it('cover every character once', () => {
    expect(splitLines('a\nb\n\nc')).toEqual(['a\n', 'b\n', '\n', 'c'])
    expect(splitLines('')).toEqual([])
    expect(splitWords("It's 2 o'clock, café!")).toEqual([
      "It's",
      ' ',
      '2',
      ' ',
      "o'clock",
      ',',
      ' ',
      'café',
      '!',
    ])
  })
})

describe('diffText', () => {
  it('marks changed words within changed lines', () => {
    const before = '# Plan\nShip on Monday.\nThe end.\n'
    const after = '# Plan\nShip on Friday, maybe.\nThe end.\n'
    expect(diffText(before, after)).toEqual([
      { kind: 'same', text: '# Plan\nShip on ' },
      { kind: 'removed', text: 'Monday' },
      { kind: 'added', text: 'Friday, maybe' },
      { kind: 'same', text: '.\nThe end.\n' },
    ])
  })

  it('keeps whole added and removed lines', () => {
    const segments = diffText('one\ntwo\n', 'one\ntwo\nthree\n')
    expect(segments).toEqual([
      { kind: 'same', text: 'one\ntwo\n' },
      { kind: 'added', text: 'three\n' },
    ])
    expect(diffText('same', 'same')).toEqual([{ kind: 'same', text: 'same' }])
    expect(diffText('', '')).toEqual([])
  })

  it('always reproduces both texts', () => {
    const next = random(42)
    const words = ['alpha', 'beta', 'gamma', ' ', ' ', '\n', '.', 'delta']
    const text = (length: number) =>
      Array.from({ length }, () => words[Math.floor(next() * words.length)]).join('')
    for (let round = 0; round < 100; round++) {
      const before = text(Math.floor(next() * 60))
      const after = next() > 0.5 ? text(Math.floor(next() * 60)) : before.replace('beta', 'omega')
      const segments = diffText(before, after)
      expect(side(segments, 'removed')).toBe(before)
      expect(side(segments, 'added')).toBe(after)
    }
  })

  it('shows a large rewrite as one removal and one addition', () => {
    const before = Array.from({ length: 3_000 }, (_, i) => `line ${i}\n`).join('')
    const after = Array.from({ length: 3_000 }, (_, i) => `other ${i}\n`).join('')
    const segments = diffText(before, after)
    expect(side(segments, 'removed')).toBe(before)
    expect(side(segments, 'added')).toBe(after)
  })
})

describe('countChangedWords', () => {
  it('counts words, not spaces or punctuation', () => {
    expect(
      countChangedWords([
        { kind: 'same', text: 'kept words' },
        { kind: 'added', text: 'two new, ' },
        { kind: 'removed', text: '!' },
        { kind: 'removed', text: 'gone' },
      ]),
    ).toEqual({ added: 2, removed: 1 })
  })
})
