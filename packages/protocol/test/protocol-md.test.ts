// PROTOCOL.md's tables are checked against the code, so the document cannot drift from it.
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  CloseCode,
  closeReason,
  type DocNameProblem,
  defaultLimits,
  isPermanentClose,
  MessageType,
  type ProtocolErrorKind,
} from '../src/index.js'

const markdown = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8')

/** The table rows (cells trimmed) in the `## heading` section. */
function rows(heading: string): string[][] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith(`${heading}\n`))
  if (section === undefined) throw new Error(`PROTOCOL.md has no section "${heading}"`)
  return section
    .split('\n')
    .filter((line) => line.startsWith('|') && !/^\|[-:| ]+\|$/.test(line))
    .slice(1) // header row
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .map((cell) => cell.trim()),
    )
}

const code = (cell: string | undefined) => cell?.match(/^`([^`]*)`$/)?.[1]

// Record types make a new kind or problem without an entry here a type error.
const errorKinds: Record<ProtocolErrorKind, true> = {
  empty: true,
  truncated: true,
  'trailing-bytes': true,
  'unknown-message-type': true,
  'unknown-sync-step': true,
  'invalid-update': true,
  'invalid-awareness': true,
}
const docNameProblems: Record<DocNameProblem, true> = {
  empty: true,
  'too-long': true,
  'bad-encoding': true,
  'control-character': true,
  'format-character': true,
  'reserved-character': true,
  'bad-segment': true,
}

describe('PROTOCOL.md', () => {
  it('lists every message type with its number', () => {
    const listed = rows('Messages').map(([number, name]) => [code(name), Number(number)])
    expect(Object.fromEntries(listed)).toEqual(MessageType)
    expect(listed).toHaveLength(Object.keys(MessageType).length)
  })

  it('lists every close code with its name, reason and class', () => {
    const listed = rows('Close codes').map(([number, name, reason, cls]) => ({
      code: Number(number),
      name: code(name),
      reason: code(reason),
      cls,
    }))
    const expected = Object.entries(CloseCode).map(([name, c]) => ({
      code: c,
      name,
      reason: closeReason[c],
      cls: isPermanentClose(c) ? 'permanent' : 'transient',
    }))
    expect(listed).toEqual(expected)
  })

  it('lists every limit with its default', () => {
    const listed = rows('Limits').map(([name, value]) => [code(name), Number(value)])
    expect(Object.fromEntries(listed)).toEqual(defaultLimits)
    expect(listed).toHaveLength(Object.keys(defaultLimits).length)
  })

  it('lists every ProtocolError kind', () => {
    const listed = rows('Decoding errors').map(([kind]) => code(kind))
    expect(listed).toEqual(Object.keys(errorKinds))
  })

  it('lists every document-name problem', () => {
    const listed = rows('Document names').map(([problem]) => code(problem))
    expect(listed).toEqual(Object.keys(docNameProblems))
  })
})
