import { type DocNameProblem, validateDocName } from '@tandem/protocol'
import { describe, expect, it } from 'vitest'
import { describeDocNameProblem, randomDocName } from './doc-names'
import { seededRandom, sequence } from './test-random'
import { adjectives, animals } from './words'

describe('randomDocName', () => {
  it('makes names of the form adjective-animal-number', () => {
    expect(randomDocName(sequence(0, 0, 0))).toBe(`${adjectives[0]}-${animals[0]}-10`)
    expect(randomDocName(sequence(0.999999, 0.999999, 0.999999))).toBe(
      `${adjectives[adjectives.length - 1]}-${animals[animals.length - 1]}-99`,
    )
  })

  it('only makes names that validateDocName accepts and that survive a URL unchanged', () => {
    const random = seededRandom(42)
    for (let i = 0; i < 2000; i++) {
      const name = randomDocName(random)
      expect(name).toMatch(/^[a-z]+-[a-z]+-[1-9][0-9]$/)
      expect(validateDocName(name)).toEqual({ ok: true, name })
      expect(encodeURIComponent(name)).toBe(name)
    }
  })

  it('spreads names widely enough that two people rarely pick the same one', () => {
    const random = seededRandom(7)
    const names = new Set(Array.from({ length: 500 }, () => randomDocName(random)))
    expect(names.size).toBeGreaterThan(495)
  })

  it('uses only distinct words', () => {
    expect(new Set(adjectives).size).toBe(adjectives.length)
    expect(new Set(animals).size).toBe(animals.length)
  })
})

describe('describeDocNameProblem', () => {
  const cases: [string, DocNameProblem][] = [
    ['', 'empty'],
    ['x'.repeat(129), 'too-long'],
    ['a\nb', 'control-character'],
    ['what?', 'reserved-character'],
    ['50%', 'reserved-character'],
    ['team//notes', 'bad-segment'],
    [' padded', 'bad-segment'],
    ['a/../b', 'bad-segment'],
  ]

  it.each(cases)('explains why %j is refused (%s)', (name, problem) => {
    const result = validateDocName(name)
    expect(result).toEqual({ ok: false, problem })
    expect(describeDocNameProblem(problem)).toMatch(/\.$/)
  })

  it('gives each problem its own message', () => {
    const problems: DocNameProblem[] = [
      'empty',
      'too-long',
      'bad-encoding',
      'control-character',
      'reserved-character',
      'bad-segment',
    ]
    const messages = problems.map(describeDocNameProblem)
    expect(new Set(messages).size).toBe(problems.length)
    expect(describeDocNameProblem('too-long')).toContain('128')
  })
})
