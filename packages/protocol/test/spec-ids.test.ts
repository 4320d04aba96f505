// SPEC.md's rule ids against the test names that cite them, both ways: every id a test cites
// is a rule, and every rule is cited by at least one test somewhere in the repository.
import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const spec = readFileSync(new URL('../SPEC.md', import.meta.url), 'utf8')

/** A rule id: a section letter, a number and an optional sub-rule letter (`S4`, `T9b`). */
const ID = String.raw`[A-Z]\d+[a-z]?`

/** Every rule SPEC.md defines (`- **S4** …`), with the retired ones apart. */
function specRules(): { rules: Set<string>; retired: Set<string> } {
  const rules = new Set<string>()
  const retired = new Set<string>()
  for (const m of spec.matchAll(new RegExp(String.raw`^- \*\*(${ID})\*\*(.*)$`, 'gm'))) {
    const id = m[1]!
    if (rules.has(id)) throw new Error(`SPEC.md defines ${id} twice`)
    rules.add(id)
    if (/^\s*\(?retired/i.test(m[2]!)) retired.add(id)
  }
  return { rules, retired }
}

const skipDirs = new Set(['node_modules', 'dist', '.git', 'test-results', 'playwright-report'])

/** Every source file that declares tests (Vitest or Playwright specs), relative to the root. */
function testFiles(dir = root): string[] {
  const found: string[] = []
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (skipDirs.has(entry.name) || entry.name.startsWith('.')) continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) found.push(...testFiles(path))
    else if (/\.(m?[jt]sx?)$/.test(entry.name)) {
      const text = readFileSync(path, 'utf8')
      // A Playwright spec may import `test` from the e2e fixtures rather than from Playwright.
      if (
        /from ['"](vitest|@playwright\/test)['"]/.test(text) ||
        /\.spec\.[jt]s$/.test(entry.name)
      ) {
        found.push(relative(root, path))
      }
    }
  }
  return found
}

/**
 * The first argument of every `it`, `test` and `describe` call that is a string literal, and the
 * name given to `it.each([…])(…)`.
 */
function testNames(text: string): string[] {
  const call =
    /(?:\b(?:it|test|describe)(?:\.(?:concurrent|sequential|serial|only|skip))*|\]\s*\))\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g
  return [...text.matchAll(call)].map((m) => m[2]!)
}

/**
 * The ids a test name cites before its colon: `S5: …`, `S8, S9: …`, `U1–U4: …` (a range),
 * `U5 (case 3): …`.
 */
function citedIds(name: string): string[] {
  const lead = new RegExp(String.raw`^(${ID}(?:\s*(?:,|–|-|and)\s*${ID})*)(?:\s*\([^)]*\))?:`).exec(
    name,
  )
  if (!lead) return []
  const ids: string[] = []
  for (const part of lead[1]!.split(/\s*(?:,|and)\s*/)) {
    const range = /^([A-Z])(\d+)\s*[–-]\s*([A-Z])(\d+)$/.exec(part)
    if (range && range[1] === range[3]) {
      for (let n = Number(range[2]); n <= Number(range[4]); n++) ids.push(`${range[1]}${n}`)
    } else ids.push(part)
  }
  return ids
}

const { rules, retired } = specRules()
const citations = new Map<string, string[]>()
for (const file of testFiles()) {
  for (const name of testNames(readFileSync(join(root, file), 'utf8'))) {
    for (const id of citedIds(name)) {
      citations.set(id, [...(citations.get(id) ?? []), `${file}: ${name}`])
    }
  }
}

describe('SPEC.md rule ids', () => {
  it('finds rules and citing tests (the collectors work)', () => {
    expect(rules.size).toBeGreaterThan(100)
    expect(citations.size).toBeGreaterThan(100)
    expect(citedIds('S8, S9: two peers')).toEqual(['S8', 'S9'])
    expect(citedIds('U1–U4: what the guard refuses')).toEqual(['U1', 'U2', 'U3', 'U4'])
    expect(citedIds('U5 (case 3): a peer')).toEqual(['U5'])
    expect(citedIds('T9b: a token')).toEqual(['T9b'])
    expect(citedIds('a name without an id: S1')).toEqual([])
    expect(testNames("it.each([['a', f(1)]])('E1: %s', x)\n  it(\n    'S4: greets',")).toEqual([
      'E1: %s',
      'S4: greets',
    ])
  })

  it('every id a test cites is a rule of SPEC.md', () => {
    const unknown = [...citations]
      .filter(([id]) => !rules.has(id))
      .map(([id, at]) => `${id} (${at[0]})`)
    expect(unknown).toEqual([])
  })

  it('every rule of SPEC.md is cited by at least one test', () => {
    const uncited = [...rules].filter((id) => !retired.has(id) && !citations.has(id))
    expect(uncited).toEqual([])
  })

  it('a retired rule is cited by no test', () => {
    expect([...retired].filter((id) => citations.has(id))).toEqual([])
  })
})
