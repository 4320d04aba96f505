import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { defaultRetention, pruneVersions, versionsToPrune } from './retention.js'
import {
  ATTRIBUTION_WINDOW_MS,
  type Author,
  type DocStore,
  type LinkRecord,
  type NewVersion,
  type SetAsideUpdate,
  type UpdateAttribution,
} from './store.js'

const ADA: Author = { name: 'Ada', verified: true, subject: 'sub:ada', color: '#1f77b4' }
const BOB: Author = { name: 'Bob', verified: false }

/** An attribution of `author` at `timeMs`: inserted ids of client 1 from `from`, `length` of them. */
function attributed(
  author: Author,
  timeMs: number,
  from: number,
  length: number,
  deletes: number[] = [],
): UpdateAttribution {
  return { author, timeMs, inserts: [1, from, length], deletes }
}

/** A Yjs update inserting `text` at the start of a fresh document's `codemirror` text. */
function updateInserting(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

const MINUTE_MS = 60_000
const DAY_MS = 24 * 60 * MINUTE_MS

/** A version of `text` taken at `createdAtMs`. */
function versionOf(text: string, createdAtMs: number, extra: Partial<NewVersion> = {}): NewVersion {
  return {
    createdAtMs,
    label: null,
    kind: 'auto',
    authors: [],
    textLength: text.length,
    bytes: updateInserting(text),
    ...extra,
  }
}

/** An entry to set aside: `text`'s update as if stored as number `seq`. */
function setAsideOf(seq: number, text: string, kind: SetAsideUpdate['kind'] = 'update') {
  return {
    seq,
    kind,
    bytes: updateInserting(text),
    reason: 'RangeError: Maximum call stack size exceeded',
    setAsideAtMs: 1_700_000_000_000 + seq,
  } satisfies SetAsideUpdate
}

/** A link of `doc` minted at `createdAtMs`, valid for `ttlMs`. */
function linkOf(id: string, doc: string, createdAtMs: number, ttlMs = DAY_MS): LinkRecord {
  return {
    id,
    doc,
    name: `Guest ${id}`,
    mode: 'view',
    createdAtMs,
    expiresAtMs: createdAtMs + ttlMs,
    mintedBy: 'sub:alice',
  }
}

/** `entries` comparable with `toEqual` (bytes as plain arrays). */
function plain(entries: SetAsideUpdate[]) {
  return entries.map((e) => ({ ...e, bytes: [...e.bytes] }))
}

function textOf(updates: Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const u of updates) Y.applyUpdate(doc, u)
  return doc.getText('codemirror').toString()
}

/**
 * The one contract every {@link DocStore} passes. `open` gives a store on fresh, empty storage;
 * `reopen` (if the store persists) opens the same storage again after `close`.
 */
export function describeStoreContract(
  label: string,
  open: () => Promise<DocStore>,
  reopen?: () => Promise<DocStore>,
  cleanup: () => Promise<void> = async () => {},
): void {
  describe(`DocStore contract: ${label}`, () => {
    let store: DocStore
    beforeEach(async () => {
      store = await open()
    })
    afterEach(async () => {
      await store.close()
      await cleanup()
    })

    it('P1: an unknown document loads as null', async () => {
      expect(await store.load('nothing-here')).toBeNull()
    })

    it('P2: appends come back in order with strictly growing sequence numbers', async () => {
      const updates = ['a', 'b', 'c'].map(updateInserting)
      const seqs = await Promise.all(updates.map((u) => store.append('doc', u)))
      expect(seqs).toEqual([...seqs].sort((x, y) => x - y))
      expect(new Set(seqs).size).toBe(3)
      const loaded = await store.load('doc')
      expect(loaded?.snapshot).toBeNull()
      expect(loaded?.updates.map((u) => [...u])).toEqual(updates.map((u) => [...u]))
      expect(loaded?.lastSeq).toBe(seqs[2])
    })

    it('P3: documents are kept apart', async () => {
      await store.append('one', updateInserting('1'))
      await store.append('two', updateInserting('2'))
      expect(textOf((await store.load('one'))!.updates)).toBe('1')
      expect(textOf((await store.load('two'))!.updates)).toBe('2')
    })

    it('P4: compaction replaces the log up to a sequence number and keeps later appends', async () => {
      const first = await store.append('doc', updateInserting('x'))
      const second = await store.append('doc', updateInserting('y'))
      const later = updateInserting('z')
      // An append issued while the compaction is in flight must survive it.
      const [, laterSeq] = await Promise.all([
        store.compact('doc', updateInserting('snapshot'), second),
        store.append('doc', later),
      ])
      expect(laterSeq).toBeGreaterThan(second)
      expect(first).toBeLessThan(second)
      const loaded = (await store.load('doc'))!
      expect(textOf([loaded.snapshot!])).toBe('snapshot')
      expect(loaded.updates.map((u) => [...u])).toEqual([[...later]])
      expect(loaded.lastSeq).toBe(laterSeq)
    })

    it('P5: an older compaction never replaces a newer snapshot', async () => {
      const a = await store.append('doc', updateInserting('a'))
      const b = await store.append('doc', updateInserting('b'))
      await store.compact('doc', updateInserting('new'), b)
      await store.compact('doc', updateInserting('old'), a)
      expect(textOf([(await store.load('doc'))!.snapshot!])).toBe('new')
    })

    it('P6: list gives each document by name with its size', async () => {
      await store.append('older', updateInserting('old'))
      await expectEventuallyLater()
      const update = updateInserting('new')
      await store.append('newer', update)
      const list = await store.list({ limit: 10 })
      expect(list.map((d) => d.name)).toEqual(['newer', 'older'])
      expect(list[0]?.storedBytes).toBe(update.length)
      expect(list[0]!.updatedAtMs).toBeGreaterThan(list[1]!.updatedAtMs)
    })

    it('P6: paging with the last name as the cursor gives every document exactly once, in code-point order', async () => {
      // Names whose code-point order differs from UTF-16 and locale order.
      const names = ['b', 'a/b', 'a', 'A', 'a b', 'ü', 'z', '\u{1F600}', '\uFFFD', 'a\u{10FFFF}x']
      for (let i = 0; i < 30; i++) names.push(`doc-${String(i).padStart(2, '0')}`)
      await Promise.all(names.map((n) => store.append(n, updateInserting(n))))
      const seen: string[] = []
      let after: string | undefined
      for (let pages = 0; pages < 100; pages++) {
        const page = await store.list({ limit: 7, after })
        expect(page.length).toBeLessThanOrEqual(7)
        if (page.length === 0) break
        seen.push(...page.map((d) => d.name))
        after = page.at(-1)!.name
      }
      const byCodePoint = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      expect(seen).toEqual(byCodePoint)
    })

    it('P6: list keeps the names that start with the prefix, pages included', async () => {
      const names = ['team', 'team/a', 'team/b', 'team/c', 'teammate', 'tea', 'teal', 'other']
      names.push('team\u{10FFFF}', 'team\u{10FFFF}\u{10FFFF}x', 'tean')
      await Promise.all(names.map((n) => store.append(n, updateInserting(n))))
      const named = async (page: Parameters<DocStore['list']>[0]) =>
        (await store.list(page)).map((d) => d.name)
      expect(await named({ limit: 500, prefix: 'team/' })).toEqual(['team/a', 'team/b', 'team/c'])
      expect(await named({ limit: 2, prefix: 'team/', after: 'team/a' })).toEqual([
        'team/b',
        'team/c',
      ])
      expect(await named({ limit: 500, prefix: 'team' })).toEqual([
        'team',
        'team/a',
        'team/b',
        'team/c',
        'teammate',
        'team\u{10FFFF}',
        'team\u{10FFFF}\u{10FFFF}x',
      ])
      expect(await named({ limit: 500, prefix: 'team\u{10FFFF}' })).toEqual([
        'team\u{10FFFF}',
        'team\u{10FFFF}\u{10FFFF}x',
      ])
      expect(await named({ limit: 500, prefix: 'nothing' })).toEqual([])
      // LIKE's wildcards are plain characters in a prefix.
      expect(await named({ limit: 500, prefix: 'te_m' })).toEqual([])
      expect(await named({ limit: 500, prefix: '%' })).toEqual([])
    })

    it('P6: list refuses a limit outside 1 to 500 and leaves trashed documents out', async () => {
      for (const limit of [0, -1, 501, 1.5, Number.NaN]) {
        await expect(store.list({ limit })).rejects.toThrow(RangeError)
      }
      const x = updateInserting('x')
      await Promise.all(Array.from({ length: 501 }, (_, i) => store.append(`d${i}`, x)))
      expect(await store.list({ limit: 500 })).toHaveLength(500)
      expect(await store.list({ limit: 1 })).toHaveLength(1)
      await store.trash('d0')
      expect((await store.list({ limit: 1 })).map((d) => d.name)).toEqual(['d1'])
      expect(await store.list({ limit: 500, prefix: '%' })).toEqual([])
    })

    it('P29: scan reads at most `scan` names, keeps those match accepts, and going on from `next` finds each once; no next once nothing is left', async () => {
      const names = ['b', 'a/b', 'a', 'A', 'a b', 'ü', 'z', '\u{1F600}', 'team/x1', 'team/y1']
      for (let i = 0; i < 30; i++) names.push(`doc-${String(i).padStart(2, '0')}`)
      await Promise.all(names.map((n) => store.append(n, updateInserting(n))))
      const byCodePoint = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
      const match = (name: string) => name.includes('1') || name === 'ü'

      for (const [limit, scan] of [
        [500, 7],
        [2, 7],
        [3, 1],
        [1, 10_000],
      ] as const) {
        const found: string[] = []
        let after: string | undefined
        let calls = 0
        for (;;) {
          const page = await store.scan({ after, limit, scan, match })
          expect(page.scanned).toBeLessThanOrEqual(scan)
          expect(page.documents.length).toBeLessThanOrEqual(limit)
          found.push(...page.documents.map((d) => d.name))
          if (page.next === null) break
          after = page.next
          if (++calls > 100) throw new Error('scan does not end')
        }
        expect(found, `limit ${limit}, scan ${scan}`).toEqual(byCodePoint.filter(match))
      }

      // Stopped by `scan`: nothing kept yet, but more to read.
      const none = await store.scan({ limit: 10, scan: 3, match: (n) => n === 'z' })
      expect(none).toEqual({ documents: [], next: byCodePoint[2], scanned: 3 })
      // Stopped by `limit`: where to go on is the last name kept.
      const two = await store.scan({ limit: 2, scan: 100, match: (n) => n.startsWith('doc-') })
      expect(two.documents.map((d) => d.name)).toEqual(['doc-00', 'doc-01'])
      expect(two).toMatchObject({ next: 'doc-01', scanned: byCodePoint.indexOf('doc-01') + 1 })
      // Every name read: no next, even when the scan or the limit ends on the last name.
      const all = await store.scan({ limit: 500, scan: 10_000, match: () => true })
      expect(all).toMatchObject({ next: null, scanned: names.length })
      expect(
        await store.scan({ limit: 500, scan: names.length, match: () => false }),
      ).toMatchObject({ documents: [], next: null, scanned: names.length })
      expect(
        await store.scan({ limit: 500, scan: names.length - 1, match: () => false }),
      ).toMatchObject({ next: byCodePoint.at(-2), scanned: names.length - 1 })
      const last = byCodePoint.at(-1)!
      expect(await store.scan({ limit: 1, scan: 10_000, match: (n) => n === last })).toMatchObject({
        documents: [{ name: last }],
        next: null,
        scanned: names.length,
      })
      // The documents as list gives them, sizes included.
      expect(all.documents).toEqual(await store.list({ limit: 500 }))
    })

    it('P29: scan reads one prefix’s range, counts and leaves out trashed documents, and refuses a limit or scan out of range', async () => {
      const names = ['team', 'team/a', 'team/b', 'team/c', 'teammate', 'tea', 'tean', 'other']
      await Promise.all(names.map((n) => store.append(n, updateInserting(n))))
      const team = await store.scan({ prefix: 'team/', limit: 500, scan: 10, match: () => true })
      expect(team).toMatchObject({ next: null, scanned: 3 })
      expect(team.documents.map((d) => d.name)).toEqual(['team/a', 'team/b', 'team/c'])
      // Its limit reached on the prefix's last name: nothing left in range.
      expect(
        await store.scan({ prefix: 'team/', limit: 3, scan: 3, match: () => true }),
      ).toMatchObject({ next: null, scanned: 3 })
      const rest = await store.scan({
        prefix: 'team',
        after: 'team/a',
        limit: 500,
        scan: 2,
        match: (n) => n !== 'team/b',
      })
      expect(rest).toMatchObject({ documents: [{ name: 'team/c' }], next: 'team/c', scanned: 2 })

      await store.trash('team/b')
      await store.trash('other')
      const seen: string[] = []
      let after: string | undefined
      for (let calls = 0; calls < 100; calls++) {
        const page = await store.scan({ after, limit: 500, scan: 1, match: () => true })
        expect(page.scanned).toBeLessThanOrEqual(1)
        seen.push(...page.documents.map((d) => d.name))
        if (page.next === null) break
        after = page.next
      }
      expect(seen).toEqual(['tea', 'team', 'team/a', 'team/c', 'teammate', 'tean'])

      for (const [limit, scan] of [
        [0, 10],
        [501, 10],
        [10, 0],
        [10, 10_001],
        [10, 1.5],
        [10, Number.NaN],
      ]) {
        await expect(store.scan({ limit: limit!, scan: scan!, match: () => true })).rejects.toThrow(
          RangeError,
        )
      }
    })

    it('P14: a document’s sequence numbers are 1, 2, 3, … in commit order, across batches, documents and compaction', async () => {
      const first = await Promise.all(
        ['a', 'b', 'c'].flatMap((t) => [
          store.append('doc', updateInserting(t)),
          store.append('other', updateInserting(t)),
        ]),
      )
      expect(first).toEqual([1, 1, 2, 2, 3, 3])
      expect(await store.append('doc', updateInserting('d'))).toBe(4)
      expect(await store.compact('doc', updateInserting('abcd'), 4)).toBe(true)
      expect((await store.load('doc'))?.lastSeq).toBe(4)
      // Compaction keeps the counter: a number is never given twice.
      expect(await store.append('doc', updateInserting('e'))).toBe(5)
      expect(await store.append('other', updateInserting('d'))).toBe(4)
      const loaded = (await store.load('doc'))!
      expect(loaded.lastSeq).toBe(5)
      expect(loaded.updates).toHaveLength(1)
      if (reopen) {
        await store.close()
        store = await reopen()
        expect(await store.append('doc', updateInserting('f'))).toBe(6)
      }
    })

    it('P15: loadSince gives the updates after a number, or the snapshot and what follows it once compacted', async () => {
      expect(await store.loadSince('nothing-here', 0)).toBeNull()
      const updates = ['a', 'b', 'c', 'd'].map(updateInserting)
      for (const u of updates) await store.append('doc', u)
      const bytesOf = (list: Uint8Array[]) => list.map((u) => [...u])

      const after2 = (await store.loadSince('doc', 2))!
      expect(after2.snapshot).toBeNull()
      expect(bytesOf(after2.updates)).toEqual(bytesOf(updates.slice(2)))
      expect(after2.lastSeq).toBe(4)
      expect(await store.loadSince('doc', 4)).toEqual({ snapshot: null, updates: [], lastSeq: 4 })

      await store.compact('doc', updateInserting('ab'), 2)
      // Still available one by one after the snapshot…
      const after3 = (await store.loadSince('doc', 3))!
      expect(after3.snapshot).toBeNull()
      expect(bytesOf(after3.updates)).toEqual(bytesOf(updates.slice(3)))
      // …and for a copy older than the snapshot, the snapshot and the updates after it.
      const after1 = (await store.loadSince('doc', 1))!
      expect(after1.snapshot && textOf([after1.snapshot])).toBe('ab')
      expect(bytesOf(after1.updates)).toEqual(bytesOf(updates.slice(2)))
      expect(after1.lastSeq).toBe(4)
      // The snapshot covers every number before the first update returned.
      expect(after1.lastSeq - after1.updates.length).toBe(2)
      const whole = (await store.loadSince('doc', 0))!
      expect(whole.snapshot && textOf([whole.snapshot])).toBe('ab')
      expect(whole.updates).toHaveLength(2)
    })

    it('P16: lastSeqs gives the last sequence number of each stored document asked for', async () => {
      await store.append('one', updateInserting('1'))
      await store.append('two', updateInserting('2'))
      await store.append('two', updateInserting('3'))
      await store.compact('two', updateInserting('23'), 2)
      const seqs = await store.lastSeqs(['one', 'two', 'nothing-here'])
      expect([...seqs].sort()).toEqual([
        ['one', 1],
        ['two', 2],
      ])
      expect(await store.lastSeqs([])).toEqual(new Map())
    })

    it('P9: a saved version loads back exactly; ids grow; compaction leaves versions alone', async () => {
      const bytes = updateInserting('héllo 👋')
      const first = await store.saveVersion('doc', {
        createdAtMs: 1_700_000_000_123,
        label: 'Draft «1»',
        kind: 'named',
        authors: ['Ada', 'Grace Hopper'],
        textLength: 8,
        bytes,
      })
      expect(first).toEqual({
        id: expect.any(Number),
        doc: 'doc',
        createdAtMs: 1_700_000_000_123,
        label: 'Draft «1»',
        kind: 'named',
        authors: ['Ada', 'Grace Hopper'],
        textLength: 8,
      })
      const second = await store.saveVersion('other', versionOf('x', 1))
      const third = await store.saveVersion('doc', versionOf('y', 2, { kind: 'import' }))
      expect(second.id).toBeGreaterThan(first.id)
      expect(third.id).toBeGreaterThan(second.id)

      const seq = await store.append('doc', updateInserting('log'))
      await store.compact('doc', updateInserting('snapshot'), seq)
      const loaded = await store.loadVersion('doc', first.id)
      expect(loaded).toEqual({ ...first, bytes: expect.any(Uint8Array) })
      expect([...loaded!.bytes]).toEqual([...bytes])
      expect((await store.loadVersion('doc', third.id))?.kind).toBe('import')
    })

    it('P10: versions list newest first, without bytes, per document', async () => {
      const a = await store.saveVersion('doc', versionOf('a', 1_000))
      const c = await store.saveVersion('doc', versionOf('c', 3_000, { kind: 'restore' }))
      const b = await store.saveVersion('doc', versionOf('b', 2_000))
      // Same time: the later id is the newer.
      const d = await store.saveVersion('doc', versionOf('d', 3_000, { authors: ['Ada'] }))
      await store.saveVersion('elsewhere', versionOf('e', 4_000))
      const list = await store.listVersions('doc')
      expect(list.map((v) => v.id)).toEqual([d.id, c.id, b.id, a.id])
      expect(list[0]).toEqual(d)
      for (const v of list) expect(v).not.toHaveProperty('bytes')
      expect(await store.listVersions('nothing-here')).toEqual([])
    })

    it('P11: an unknown version, or one of another document, loads as null', async () => {
      const v = await store.saveVersion('doc', versionOf('a', 1))
      expect(await store.loadVersion('doc', v.id + 1000)).toBeNull()
      expect(await store.loadVersion('other', v.id)).toBeNull()
    })

    it('P12: pruning deletes exactly what the retention policy drops, in that document only', async () => {
      const now = 100 * DAY_MS
      const ages = [
        ['named', 60 * DAY_MS],
        ['import', 40 * DAY_MS],
        ['auto', 2 * DAY_MS + 10 * MINUTE_MS],
        ['auto', 2 * DAY_MS + 20 * MINUTE_MS],
        ['restore', 2 * DAY_MS + 30 * MINUTE_MS],
        ['auto', 3 * 60 * MINUTE_MS + 5 * MINUTE_MS],
        ['auto', 3 * 60 * MINUTE_MS + 6 * MINUTE_MS],
        ['auto', 30 * MINUTE_MS],
        ['auto', 29 * MINUTE_MS],
      ] as const
      const saved = []
      for (const [kind, age] of ages) {
        saved.push(await store.saveVersion('doc', versionOf(kind, now - age, { kind })))
      }
      const elsewhere = await store.saveVersion('elsewhere', versionOf('old', 1))
      const expected = versionsToPrune(saved, defaultRetention, now)
      // The expired import, and the older auto version of each pair in one day and in one hour.
      expect(expected).toEqual([saved[1]!.id, saved[3]!.id, saved[6]!.id])
      // Another document's version id is not this document's to delete.
      expect(await store.deleteVersions('doc', [elsewhere.id])).toBe(0)
      expect(await pruneVersions(store, 'doc', defaultRetention, now)).toBe(3)
      const left = (await store.listVersions('doc')).map((v) => v.id)
      expect(left.sort((x, y) => x - y)).toEqual(
        saved.map((v) => v.id).filter((id) => !expected.includes(id)),
      )
      expect(await pruneVersions(store, 'doc', defaultRetention, now)).toBe(0)
      expect(await store.listVersions('elsewhere')).toHaveLength(1)
    })

    it('P21: set-aside updates are kept once each, listed by sequence number, per document', async () => {
      expect(await store.listSetAside('doc')).toEqual([])
      expect(await store.setAside('doc', [])).toBe(0)
      const seven = setAsideOf(7, 'seven')
      const snapshot = setAsideOf(3, 'snapshot', 'snapshot')
      const three = setAsideOf(3, 'three')
      expect(await store.setAside('doc', [seven, three])).toBe(2)
      // Already kept: left as it was, not counted again.
      expect(await store.setAside('doc', [{ ...seven, reason: 'other' }, snapshot])).toBe(1)
      await store.setAside('other', [setAsideOf(1, 'elsewhere')])
      expect(plain(await store.listSetAside('doc'))).toEqual(plain([snapshot, three, seven]))
      expect(await store.listSetAside('nothing-here')).toEqual([])
    })

    it('P22: compaction keeps its set-aside updates apart in the same transaction, even when it replaces nothing', async () => {
      await store.append('doc', updateInserting('good'))
      const bad = await store.append('doc', updateInserting('bad'))
      const seq = await store.append('doc', updateInserting(' more'))
      const entry = setAsideOf(bad, 'bad')
      expect(await store.compact('doc', updateInserting('good more'), seq, [entry])).toBe(true)
      expect(plain(await store.listSetAside('doc'))).toEqual(plain([entry]))
      expect((await store.load('doc'))?.updates).toEqual([])
      // An older compaction changes no snapshot but still keeps what it was given.
      const older = setAsideOf(1, 'older')
      await store.compact('doc', updateInserting('old'), 1, [older])
      expect(textOf([(await store.load('doc'))!.snapshot!])).toBe('good more')
      expect((await store.listSetAside('doc')).map((e) => e.seq)).toEqual([1, bad])
    })

    it('P23: set-aside updates move with rename and trash, and go with a purge', async () => {
      await store.append('doc', updateInserting('a'))
      await store.setAside('doc', [setAsideOf(1, 'x')])
      expect(await store.rename('doc', 'moved')).toBe('moved')
      expect(await store.listSetAside('doc')).toEqual([])
      expect((await store.listSetAside('moved')).map((e) => e.seq)).toEqual([1])
      await store.trash('moved', 1_000)
      expect(await store.listSetAside('moved')).toEqual([])
      expect(await store.restore('moved')).toBe('moved')
      expect((await store.listSetAside('moved')).map((e) => e.seq)).toEqual([1])
      await store.trash('moved', 1_000)
      expect(await store.purgeTrash(2_000)).toBe(1)
      await store.append('moved', updateInserting('new'))
      expect(await store.listSetAside('moved')).toEqual([])
    })

    /** Text, sequence number and version ids stored as `name` (null text if no document). */
    async function contents(name: string) {
      const loaded = await store.load(name)
      return {
        text: loaded && textOf([...(loaded.snapshot ? [loaded.snapshot] : []), ...loaded.updates]),
        lastSeq: loaded?.lastSeq ?? 0,
        versions: (await store.listVersions(name)).map((v) => v.id),
      }
    }

    it('P17: rename moves the snapshot, log, sequence counter and versions; never onto a stored name', async () => {
      await store.append('old', updateInserting('a'))
      const seq = await store.append('old', updateInserting('b'))
      await store.compact('old', updateInserting('ab'), seq)
      await store.append('old', updateInserting('c'))
      const version = await store.saveVersion('old', versionOf('ab', 1))
      const before = await contents('old')

      expect(await store.rename('old', 'new/name')).toBe('moved')
      expect(await contents('new/name')).toEqual(before)
      expect(await contents('old')).toEqual({ text: null, lastSeq: 0, versions: [] })
      expect((await store.loadVersion('new/name', version.id))?.doc).toBe('new/name')
      expect(await store.append('new/name', updateInserting('d'))).toBe(before.lastSeq + 1)
      expect((await store.list()).map((d) => d.name)).toEqual(['new/name'])

      expect(await store.rename('nothing-here', 'x')).toBe('not_found')
      // A stored document, or only a version, holds a name.
      await store.append('taken', updateInserting('t'))
      await store.saveVersion('versioned', versionOf('v', 2))
      const moved = await contents('new/name')
      expect(await store.rename('new/name', 'taken')).toBe('name_taken')
      expect(await store.rename('new/name', 'versioned')).toBe('name_taken')
      expect(await contents('new/name')).toEqual(moved)
      expect((await contents('taken')).text).toBe('t')
      // The old name is free: a new document there starts from 1.
      expect(await store.append('old', updateInserting('fresh'))).toBe(1)
    })

    it('P18: trash frees the name at once; restore brings back the newest deleted copy as it was', async () => {
      const nothing = { text: null, lastSeq: 0, versions: [] }
      await store.append('doc', updateInserting('first'))
      const seq = await store.append('doc', updateInserting(' life'))
      await store.compact('doc', updateInserting('first life'), seq)
      const v = await store.saveVersion(
        'doc',
        versionOf('first', 1, { kind: 'named', label: 'v1' }),
      )
      const first = await contents('doc')
      await store.append('other', updateInserting('other'))

      expect(await store.trash('doc', 1_000)).toBe(true)
      expect(await contents('doc')).toEqual(nothing)
      expect((await store.list()).map((d) => d.name)).toEqual(['other'])
      expect(await store.lastSeqs(['doc'])).toEqual(new Map())
      expect(await store.trash('doc')).toBe(false)
      expect(await store.trash('nothing-here')).toBe(false)

      // A new document of the same name starts from 1; deleted too, the trash holds both.
      expect(await store.append('doc', updateInserting('second'))).toBe(1)
      const second = await contents('doc')
      expect(await store.trash('doc', 2_000)).toBe(true)
      const trash = await store.listTrash()
      expect(trash.map((t) => [t.name, t.deletedAtMs])).toEqual([
        ['doc', 2_000],
        ['doc', 1_000],
      ])
      expect(trash[1]!.storedBytes).toBeGreaterThan(0)

      // While the name is in use again, nothing is restored.
      await store.append('doc', updateInserting('third'))
      expect(await store.restore('doc')).toBe('name_taken')
      expect((await contents('doc')).text).toBe('third')
      expect(await store.listTrash()).toHaveLength(2)

      // Once it is free, the newest deleted copy comes back as it was, then the older one.
      expect(await store.rename('doc', 'third')).toBe('moved')
      expect(await store.restore('doc')).toBe('moved')
      expect(await contents('doc')).toEqual(second)
      expect(await store.rename('doc', 'second')).toBe('moved')
      expect(await store.restore('doc')).toBe('moved')
      expect(await contents('doc')).toEqual(first)
      expect(first.text).toBe('first life')
      expect((await store.loadVersion('doc', v.id))?.label).toBe('v1')
      expect(await store.append('doc', updateInserting('!'))).toBe(first.lastSeq + 1)
      expect(await store.listTrash()).toEqual([])
      expect(await store.restore('doc')).toBe('not_found')
    })

    it('P19: purging deletes for good exactly what was deleted before the time given', async () => {
      await store.append('old', updateInserting('old'))
      await store.saveVersion('old', versionOf('old', 1, { kind: 'named' }))
      await store.append('recent', updateInserting('recent'))
      await store.trash('old', 1_000)
      await store.trash('recent', 5_000)
      expect(await store.purgeTrash(1_000)).toBe(0)
      expect(await store.purgeTrash(4_999)).toBe(1)
      expect((await store.listTrash()).map((t) => t.name)).toEqual(['recent'])
      expect(await store.restore('old')).toBe('not_found')
      expect(await store.restore('recent')).toBe('moved')
      expect((await contents('recent')).text).toBe('recent')
      // Nothing of the purged document is left to come back under its name.
      expect(await contents('old')).toEqual({ text: null, lastSeq: 0, versions: [] })
      expect(await store.purgeTrash(Number.MAX_SAFE_INTEGER)).toBe(0)
    })

    it('P30: attribution stored with appends loads back by author, coalesced within the window, authors numbered once', async () => {
      const t = 1_700_000_000_000
      await store.append('doc', updateInserting('a'), attributed(ADA, t, 0, 5))
      await store.append('doc', updateInserting('b'), attributed(ADA, t + 10, 5, 3))
      await store.append('doc', updateInserting('c'), attributed(BOB, t + 20, 8, 2, [1, 0, 2]))
      await store.append('doc', updateInserting('d'))
      // A reconnecting client's delete set names ids deleted before: the first deleter keeps them.
      await store.append(
        'doc',
        updateInserting('e'),
        attributed(ADA, t + ATTRIBUTION_WINDOW_MS, 10, 1, [1, 0, 3]),
      )
      await store.append('other', updateInserting('x'), attributed(BOB, t, 0, 1))
      const { authors, records } = await store.loadAttribution('doc')
      expect(authors.map(({ name, verified, color }) => ({ name, verified, color }))).toEqual([
        { name: 'Ada', verified: true, color: '#1f77b4' },
        { name: 'Bob', verified: false, color: undefined },
      ])
      const [ada, bob] = authors.map((a) => a.id)
      expect(records).toEqual([
        { author: ada, timeMs: t, inserts: [1, 0, 8], deletes: [] },
        { author: bob, timeMs: t + 20, inserts: [1, 8, 2], deletes: [1, 0, 2] },
        { author: ada, timeMs: t + ATTRIBUTION_WINDOW_MS, inserts: [1, 10, 1], deletes: [1, 2, 1] },
      ])
      // The same author in another document has the same number.
      const other = await store.loadAttribution('other')
      expect(other.authors.map((a) => a.id)).toEqual([bob])
      expect(await store.loadAttribution('unknown')).toEqual({ authors: [], records: [] })
    })

    it('P31, B3: compaction keeps the attribution of what it replaces, in the same transaction', async () => {
      const t = 1_700_000_000_000
      await store.append('doc', updateInserting('a'), attributed(ADA, t, 0, 5))
      await store.append('doc', updateInserting('b'), attributed(BOB, t + 1, 5, 3, [1, 0, 1]))
      await store.append('doc', updateInserting('c'), attributed(ADA, t + 2, 8, 2))
      const before = await store.loadAttribution('doc')
      await store.compact('doc', updateInserting('ab'), 2)
      expect(await store.loadAttribution('doc')).toEqual(before)
      await store.compact('doc', updateInserting('abc'), 3)
      expect(await store.loadAttribution('doc')).toEqual(before)
      // Later appends add to what compaction kept; an older compaction changes nothing.
      await store.append('doc', updateInserting('d'), attributed(BOB, t + 3, 10, 1))
      await store.compact('doc', updateInserting('x'), 1)
      const after = await store.loadAttribution('doc')
      expect(after.records).toEqual([
        ...before.records,
        { author: after.authors[1]!.id, timeMs: t + 3, inserts: [1, 10, 1], deletes: [] },
      ])
    })

    it('P32: attribution moves with rename and trash, comes back with restore and goes with a purge', async () => {
      await store.append('a', updateInserting('a'), attributed(ADA, 1, 0, 1))
      await store.compact('a', updateInserting('a'), 1)
      await store.append('a', updateInserting('b'), attributed(BOB, 2, 1, 1))
      const original = await store.loadAttribution('a')
      expect(original.records).toHaveLength(2)
      expect(await store.rename('a', 'b')).toBe('moved')
      expect(await store.loadAttribution('a')).toEqual({ authors: [], records: [] })
      expect(await store.loadAttribution('b')).toEqual(original)
      await store.trash('b', 1_000)
      expect(await store.loadAttribution('b')).toEqual({ authors: [], records: [] })
      expect(await store.restore('b')).toBe('moved')
      expect(await store.loadAttribution('b')).toEqual(original)
      await store.trash('b', 1_000)
      expect(await store.purgeTrash(2_000)).toBe(1)
      // A new document under the name starts with no attribution.
      await store.append('b', updateInserting('new'))
      expect(await store.loadAttribution('b')).toEqual({ authors: [], records: [] })
    })

    it('P25: saveLink records a link; listLinks returns the active ones of a document, newest first', async () => {
      const t = 1_700_000_000_000
      await store.saveLink(linkOf('a', 'doc', t))
      await store.saveLink(linkOf('b', 'doc', t + 1))
      await store.saveLink(linkOf('c', 'other', t + 2))
      await store.saveLink(linkOf('short', 'doc', t + 3, MINUTE_MS))
      expect(await store.listLinks('doc', t + 10)).toEqual([
        linkOf('short', 'doc', t + 3, MINUTE_MS),
        linkOf('b', 'doc', t + 1),
        linkOf('a', 'doc', t),
      ])
      // An expired link is not listed.
      expect((await store.listLinks('doc', t + 2 * MINUTE_MS)).map((l) => l.id)).toEqual(['b', 'a'])
      expect(await store.listLinks('nothing', t)).toEqual([])
    })

    it('P26: revokeLink revokes an active link of that document once; revokedLinks lists the unexpired revoked ones', async () => {
      const t = 1_700_000_000_000
      await store.saveLink(linkOf('a', 'doc', t))
      await store.saveLink(linkOf('b', 'doc', t, MINUTE_MS))
      await store.saveLink(linkOf('c', 'other', t))
      expect(await store.revokeLink('other', 'a', t + 1)).toBe(false)
      expect(await store.revokeLink('doc', 'nope', t + 1)).toBe(false)
      expect(await store.revokeLink('doc', 'a', t + 1)).toBe(true)
      expect(await store.revokeLink('doc', 'a', t + 2)).toBe(false)
      expect(await store.revokeLink('doc', 'b', t + 2)).toBe(true)
      expect((await store.listLinks('doc', t + 3)).map((l) => l.id)).toEqual([])
      expect((await store.revokedLinks(t + 3)).sort()).toEqual(['a', 'b'])
      // Once expired, a revoked link's token no longer works anyway.
      expect(await store.revokedLinks(t + 2 * MINUTE_MS)).toEqual(['a'])
      // An expired link cannot be revoked (there is nothing to revoke).
      await store.saveLink(linkOf('d', 'doc', t, MINUTE_MS))
      expect(await store.revokeLink('doc', 'd', t + 2 * MINUTE_MS)).toBe(false)
    })

    it('P27: links expired for more than a day are forgotten when a link is saved', async () => {
      const t = 1_700_000_000_000
      await store.saveLink(linkOf('old', 'doc', t, MINUTE_MS))
      await store.revokeLink('doc', 'old', t + 1)
      await store.saveLink(linkOf('new', 'doc', t + 2 * DAY_MS))
      expect(await store.revokedLinks(t + 2)).toEqual([])
    })

    if (reopen) {
      it('P20: the trash is there after the store is closed and reopened', async () => {
        await store.append('doc', updateInserting('kept'))
        await store.trash('doc', 7)
        await store.close()
        store = await reopen()
        expect((await store.listTrash()).map((t) => [t.name, t.deletedAtMs])).toEqual([['doc', 7]])
        expect(await store.restore('doc')).toBe('moved')
        expect((await contents('doc')).text).toBe('kept')
      })

      it('P24: set-aside updates are there after the store is closed and reopened', async () => {
        const entry = setAsideOf(2, 'kept')
        await store.setAside('doc', [entry])
        await store.close()
        store = await reopen()
        expect(plain(await store.listSetAside('doc'))).toEqual(plain([entry]))
      })

      it('P13: versions are there after the store is closed and reopened', async () => {
        const v = await store.saveVersion('doc', versionOf('kept', 5))
        await store.close()
        store = await reopen()
        const loaded = await store.loadVersion('doc', v.id)
        expect(loaded && textOf([loaded.bytes])).toBe('kept')
        const next = await store.saveVersion('doc', versionOf('next', 6))
        expect(next.id).toBeGreaterThan(v.id)
      })

      it('P28: links and revocations are there after the store is closed and reopened', async () => {
        const t = Date.now()
        await store.saveLink(linkOf('kept', 'doc', t))
        await store.saveLink(linkOf('gone', 'doc', t))
        await store.revokeLink('doc', 'gone', t + 1)
        await store.close()
        store = await reopen()
        expect((await store.listLinks('doc', t + 2)).map((l) => l.id)).toEqual(['kept'])
        expect(await store.revokedLinks(t + 2)).toEqual(['gone'])
      })

      it('P7: what was appended is there after the store is closed and reopened', async () => {
        const update = updateInserting('durable')
        void store.append('doc', update)
        await store.close()
        store = await reopen()
        expect(textOf((await store.load('doc'))!.updates)).toBe('durable')
      })
    }
  })
}

/** Waits until `Date.now()` has advanced, so two appends get different timestamps. */
async function expectEventuallyLater(): Promise<void> {
  const start = Date.now()
  while (Date.now() === start) await new Promise((resolve) => setImmediate(resolve))
}
