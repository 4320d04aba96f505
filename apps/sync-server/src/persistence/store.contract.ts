import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { DocStore } from './store.js'

/** A Yjs update inserting `text` at the start of a fresh document's `codemirror` text. */
function updateInserting(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
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

    it('P6: list shows every document, most recently updated first, with its size', async () => {
      await store.append('older', updateInserting('old'))
      await expectEventuallyLater()
      const update = updateInserting('new')
      await store.append('newer', update)
      const list = await store.list()
      expect(list.map((d) => d.name)).toEqual(['newer', 'older'])
      expect(list[0]?.storedBytes).toBe(update.length)
    })

    if (reopen) {
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
