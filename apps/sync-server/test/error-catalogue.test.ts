// The server's error catalogue (src/errors.ts) against what the documents say, both ways.
import { readFileSync } from 'node:fs'
import { CloseCode, closeReason, ProtocolError } from '@tandem/protocol'
import { describe, expect, it } from 'vitest'
import { apiErrors } from '../src/api/errors.js'
import { closeCode, errorCode } from '../src/error-map.js'
import { type ErrorEntry, HttpError, serverErrors } from '../src/errors.js'
import { StorageBackpressureError, StoreClosedError } from '../src/persistence/group-commit.js'
import { CorruptDocumentError } from '../src/rooms/room.js'
import { DocumentOpenError } from '../src/rooms/rooms.js'

const read = (file: string) => readFileSync(new URL(`../../../${file}`, import.meta.url), 'utf8')
const security = read('SECURITY.md')
const apiMd = read('docs/API.md')
const openapi = JSON.parse(read('docs/openapi.json')) as {
  components: { schemas: Record<string, { enum?: string[] }> }
}
const entries = Object.entries(serverErrors) as [string, ErrorEntry][]

/** The rows of SECURITY.md's "Error codes" table: code, HTTP status, close code. */
function securityTable(): string[][] {
  const section = security.split(/^## /m).find((s) => s.startsWith('Error codes\n'))
  if (section === undefined) throw new Error('SECURITY.md has no section "Error codes"')
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .slice(1, -1)
        .split('|')
        .slice(0, 3)
        .map((cell) => cell.trim().replace(/`/g, '')),
    )
}

describe('the server error catalogue', () => {
  it('every entry has a status or a close code, and says where it occurs', () => {
    for (const [code, entry] of entries) {
      expect(entry.status !== undefined || entry.close !== undefined, code).toBe(true)
      expect(entry.surfaces.length, code).toBeGreaterThan(0)
      expect(entry.surfaces.includes('connection'), code).toBe(entry.close !== undefined)
      if (entry.status !== undefined) expect(entry.status, code).toBeGreaterThanOrEqual(400)
    }
  })

  it('every close code the server sends has an entry (PROTOCOL.md lists them)', () => {
    const closes = new Set(entries.flatMap(([, e]) => (e.close === undefined ? [] : [e.close])))
    expect([...closes].sort()).toEqual(Object.values(CloseCode).sort())
    for (const close of closes) expect(closeReason[close]).toBeTruthy()
  })

  it('SECURITY.md lists every code with its status and close code, and no other', () => {
    const expected = entries.map(([code, e]) => [
      code,
      e.status === undefined ? '' : String(e.status),
      e.close === undefined ? '' : String(e.close),
    ])
    const table = securityTable()
    // On failure, the rows to paste: | `code` | status | close | description |.
    const rows = entries.map(
      ([code, e]) => `| \`${code}\` | ${e.status ?? ''} | ${e.close ?? ''} | ${e.description} |`,
    )
    expect(table, rows.join('\n')).toEqual(expected)
  })

  it('every close code and upgrade status SECURITY.md names is in the catalogue', () => {
    const closes = new Set(entries.flatMap(([, e]) => (e.close === undefined ? [] : [e.close])))
    const named = [...security.matchAll(/close (?:\*\*)?(\d{4})\b/g)].map((m) => Number(m[1]))
    expect(named.length).toBeGreaterThan(5)
    for (const code of named) expect(closes, `close ${code}`).toContain(code)
    const upgrade = security.split(/^## /m).find((s) => s.startsWith('Checked at the upgrade'))!
    const statuses = new Set(
      entries.flatMap(([, e]) =>
        e.surfaces.includes('upgrade') && e.status !== undefined ? [e.status] : [],
      ),
    )
    const listed = [...upgrade.matchAll(/\| (\d{3})\b/g)].map((m) => Number(m[1]))
    expect(listed.length).toBeGreaterThan(5)
    for (const status of listed) expect(statuses, `upgrade ${status}`).toContain(status)
  })

  it('R6: docs/API.md and docs/openapi.json list exactly the API codes', () => {
    const api = entries.filter(([, e]) => e.surfaces.includes('api')).map(([code]) => code)
    expect(Object.keys(apiErrors).sort()).toEqual([...api].sort())
    const documented = new Set(
      [...apiMd.matchAll(/^\| `([a-z_]+)` +\| +(\d{3}) \|/gm)].map((m) => m[1]!),
    )
    expect([...documented].sort()).toEqual([...api].sort())
    const schemas = openapi.components.schemas
    const enums = new Set([
      ...(schemas.ApiErrorCode?.enum ?? []),
      ...(schemas.AccessErrorCode?.enum ?? []),
    ])
    expect([...enums].sort()).toEqual([...api].sort())
  })

  it('domain errors map into it', () => {
    expect(errorCode(new CorruptDocumentError('x'))).toBe('document_corrupt')
    expect(errorCode(new DocumentOpenError('doc'))).toBe('document_open')
    expect(errorCode(new StorageBackpressureError())).toBe('unavailable')
    expect(errorCode(new StoreClosedError())).toBe('unavailable')
    expect(errorCode(new HttpError('name_taken', 'x'))).toBe('name_taken')
    expect(errorCode(new ProtocolError('empty', 'empty message'))).toBe('malformed_message')
    expect(
      errorCode(new ProtocolError('invalid-awareness', 'too many', CloseCode.PolicyViolation)),
    ).toBe('presence_flood')
    expect(errorCode(new Error('boom'))).toBe('internal')
    expect(closeCode(new StoreClosedError())).toBe('storage_unavailable')
    expect(closeCode(new CorruptDocumentError('x'))).toBe('document_corrupt')
    expect(closeCode(new Error('boom'), 'try_again_later')).toBe('try_again_later')
    expect(new HttpError('document_corrupt', 'x').status).toBe(422)
  })
})
