import { join } from 'node:path'
import { encodeSavedRequest, encodeSyncUpdate } from '@tandem/protocol'
import Database from 'better-sqlite3'
import * as decoding from 'lib0/decoding'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { tempDir } from './helpers.js'
import { type ServerProcess, spawnServer } from './process.js'
import { openRaw } from './raw.js'
import { loadTrace, utf16Offset } from './traces.js'

/** Bytes stored for `doc` (snapshot plus log), read from the database file beside the server. */
function storedBytes(dataDir: string, doc: string): { bytes: number; updates: number } {
  const db = new Database(join(dataDir, 'tandem.db'), { readonly: true })
  try {
    const row = db
      .prepare(
        `SELECT COALESCE((SELECT length(data) FROM snapshots WHERE doc = ?), 0)
                + COALESCE((SELECT SUM(length(data)) FROM updates WHERE doc = ?), 0) AS bytes,
                (SELECT COUNT(*) FROM updates WHERE doc = ?) AS updates`,
      )
      .get(doc, doc, doc) as { bytes: number; updates: number }
    return row
  } finally {
    db.close()
  }
}

describe('storage grows with content, not keystrokes', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let server: ServerProcess | undefined
  afterEach(async () => {
    server?.child.kill('SIGKILL')
    await server?.exited
    dir?.remove()
  })

  it('D5: typing the automerge-paper trace (260k edits) stores under 2x its compact encoding', async () => {
    dir = tempDir()
    server = await spawnServer({
      DATA_DIR: dir.path,
      MAX_MESSAGES_PER_SECOND: '1000000',
      MAX_BYTES_PER_SECOND: '1000000000',
      // Who wrote what is recorded (apart from the log's bytes counted here), but deleted text is
      // not kept: with ATTRIBUTION=on it is, by design (SPEC B4; +25% on this trace, see
      // docs/PERFORMANCE.md), and the snapshot is then the compact encoding of a document that
      // keeps it.
      ATTRIBUTION: 'authors',
    })
    const trace = loadTrace('automerge-paper')
    const raw = await openRaw(`${server.wsUrl}/paper`)
    let saved = 0
    raw.ws.on('message', (data: Buffer) => {
      if (data[0] === 101) saved = decoding.readVarUint(decoding.createDecoder(data.subarray(1)))
    })
    raw.ws.send(encodeSavedRequest())
    const doc = new Y.Doc()
    const text = doc.getText('codemirror')
    let sent = 0
    doc.on('update', (update: Uint8Array) => {
      raw.ws.send(encodeSyncUpdate(update))
      sent++
    })
    // Positions count code points; without characters beyond the BMP they equal UTF-16 offsets.
    const astral = /[\u{10000}-\u{10FFFF}]/u
    const convert = trace.txns.some((t) => t.patches.some(([, , ins]) => astral.test(ins)))
    let samples = 0
    for (const [i, txn] of trace.txns.entries()) {
      doc.transact(() => {
        for (const [pos, del, ins] of txn.patches) {
          const current = convert ? text.toString() : ''
          const at = convert ? utf16Offset(current, pos) : pos
          const length = convert ? utf16Offset(current.slice(at), del) : del
          if (length > 0) text.delete(at, length)
          if (ins) text.insert(at, ins)
        }
      })
      if (i % 40_000 === 39_999) {
        // Sample along the way: once what was sent is stored and typing pauses, compaction
        // brings the store back within twice the compact size (a burst may exceed it until
        // then, by at most 20 times the thresholds, when it compacts without waiting).
        await vi.waitFor(() => expect(saved).toBe(sent), { timeout: 120_000, interval: 20 })
        const compactSize = Y.encodeStateAsUpdate(doc).length
        await vi.waitFor(
          () => expect(storedBytes(dir!.path, 'paper').bytes).toBeLessThanOrEqual(2 * compactSize),
          { timeout: 30_000, interval: 20 },
        )
        samples++
      }
    }
    expect(text.toString()).toBe(trace.endContent)
    await vi.waitFor(() => expect(saved).toBe(sent), { timeout: 120_000, interval: 20 })
    const compact = Y.encodeStateAsUpdate(doc).length
    await vi.waitFor(
      () => expect(storedBytes(dir!.path, 'paper').bytes).toBeLessThanOrEqual(2 * compact),
      { timeout: 30_000, interval: 20 },
    )
    expect(samples).toBe(6)

    // Once the last client leaves, the log is folded into one compact snapshot, so a cold load
    // reads exactly that snapshot and nothing else.
    raw.ws.close()
    await raw.closed
    await vi.waitFor(() => expect(storedBytes(dir!.path, 'paper').updates).toBe(0), {
      timeout: 30_000,
    })
    expect(storedBytes(dir.path, 'paper').bytes).toBeLessThanOrEqual(compact * 1.05)
  }, 300_000)
})
