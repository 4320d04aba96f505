import { describe, expect, it } from 'vitest'
import { nameMatcher } from './name-filter.js'

/** The names of `names` that `query` matches. */
const matching = (query: string, names: readonly string[]) => {
  const match = nameMatcher(query)
  if (match === null) throw new Error(`"${query}" is blank`)
  return names.filter(match)
}

describe('nameMatcher', () => {
  const names = ['Team/Plans 2024', 'café notes', 'budget', 'Ångström', 'team-notes']

  it('matches the names that contain every word, in any order, ignoring case', () => {
    expect(matching('plans team', names)).toEqual(['Team/Plans 2024'])
    expect(matching('TEAM', names)).toEqual(['Team/Plans 2024', 'team-notes'])
    expect(matching('notes team', names)).toEqual(['team-notes'])
    expect(matching('am/pl', names)).toEqual(['Team/Plans 2024'])
    expect(matching('nothing', names)).toEqual([])
    expect(matching('team nothing', names)).toEqual([])
  })

  it('ignores accents on either side, composed or not', () => {
    expect(matching('CAFE', names)).toEqual(['café notes'])
    expect(matching('café', names)).toEqual(['café notes'])
    expect(matching('cafe\u0301', names)).toEqual(['café notes'])
    expect(matching('angstrom', names)).toEqual(['Ångström'])
    expect(matching('bùdgêt', names)).toEqual(['budget'])
    expect(matching('cafe', ['cafe\u0301 decomposed'])).toEqual(['cafe\u0301 decomposed'])
  })

  it('reads full-width letters and ligatures as the letters they stand for', () => {
    expect(matching('ｔｅａｍ', names)).toEqual(['Team/Plans 2024', 'team-notes'])
    expect(matching('office', ['the ﬀ oﬃce'])).toEqual(['the ﬀ oﬃce'])
    // An ideographic space separates words too.
    expect(matching('plans\u3000team', names)).toEqual(['Team/Plans 2024'])
  })

  it('lowers case the same whatever the locale, and keeps spacing marks', () => {
    expect(matching('istanbul', ['İSTANBUL', 'ISTANBUL'])).toEqual(['İSTANBUL', 'ISTANBUL'])
    // `^` and the long-vowel mark `ー` are characters of their own, not accents.
    expect(matching('ab', ['a^b'])).toEqual([])
    expect(matching('a^b', ['a^b'])).toEqual(['a^b'])
    expect(matching('ラーメン', ['ラーメン屋', 'ラメン'])).toEqual(['ラーメン屋'])
    expect(matching('😀', ['smile 😀', 'frown'])).toEqual(['smile 😀'])
  })

  it('matches every name for a blank query', () => {
    expect(nameMatcher('')).toBeNull()
    expect(nameMatcher('  \t\n ')).toBeNull()
    // A word made only of accents is nothing once they are dropped.
    expect(nameMatcher('\u0301')).toBeNull()
  })
})
