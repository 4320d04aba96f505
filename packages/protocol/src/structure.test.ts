import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DocStructure, type UpdateLimits, type Verdict } from './structure.js'

const limits: UpdateLimits = { maxTypeDepth: 10, maxDeleteRanges: 100, rootTypes: null }

/** Every update `edit` makes to a fresh document of client `clientID`, in order. */
function updatesOf(edit: (doc: Y.Doc) => void, clientID = 1): Uint8Array[] {
  const doc = new Y.Doc()
  doc.clientID = clientID
  const out: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => out.push(u))
  edit(doc)
  return out
}

/** A chain of maps `depth` types deep under the root map `root` (the root is depth 1). */
function nestedMaps(doc: Y.Doc, depth: number): Y.Map<unknown> {
  let map = doc.getMap('root')
  for (let level = 2; level <= depth; level++) {
    const child = new Y.Map<unknown>()
    map.set('child', child)
    map = child
  }
  return map
}

/** Judges `update` and records it if ready; returns the verdict's kind. */
function apply(structure: DocStructure, update: Uint8Array, l = limits): Verdict['kind'] {
  const verdict = structure.judge(update, l)
  if (verdict.kind === 'ready') structure.record(verdict)
  return verdict.kind
}

/** An update of no structs whose delete set names `ranges` one-clock ranges of `client`. */
function deleteSetOnly(client: number, ranges: number): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 0) // no structs
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, client)
  encoding.writeVarUint(e, ranges)
  for (let i = 0; i < ranges; i++) {
    encoding.writeVarUint(e, i * 2)
    encoding.writeVarUint(e, 1)
  }
  return encoding.toUint8Array(e)
}

describe('DocStructure', () => {
  it('U1: accepts types nested up to maxTypeDepth and refuses the next level', () => {
    const structure = new DocStructure()
    const updates = updatesOf((doc) => nestedMaps(doc, limits.maxTypeDepth + 1))
    const kinds = updates.map((u) => apply(structure, u))
    expect(kinds.slice(0, -1).every((k) => k === 'ready')).toBe(true)
    expect(kinds.at(-1)).toBe('refused')
  })

  it("U1: counts the document's existing types, whose depth it learns from the stored state", () => {
    const doc = new Y.Doc()
    const deepest = nestedMaps(doc, limits.maxTypeDepth)
    const structure = DocStructure.of(Y.encodeStateAsUpdate(doc))
    const sv = Y.encodeStateVector(doc)
    deepest.set('leaf', 'text is fine at any depth')
    expect(apply(structure, Y.encodeStateAsUpdate(doc, sv))).toBe('ready')
    const before = Y.encodeStateVector(doc)
    deepest.set('child', new Y.Map())
    expect(apply(structure, Y.encodeStateAsUpdate(doc, before))).toBe('refused')
  })

  it('U1: finds the type of an item placed next to another, as Yjs does', () => {
    const shallow = { ...limits, maxTypeDepth: 3 }
    const structure = new DocStructure()
    const updates = updatesOf((doc) => {
      const inner = new Y.Array<unknown>()
      doc.getArray('root').push([inner]) // depth 2
      inner.push(['x'])
      const third = new Y.Array<unknown>()
      inner.insert(1, [third]) // placed after 'x': depth 3
      third.push([new Y.Array()]) // depth 4
    })
    expect(updates.map((u) => apply(structure, u, shallow))).toEqual([
      'ready',
      'ready',
      'ready',
      'refused',
    ])
  })

  it('U2: refuses a delete set of more than maxDeleteRanges ranges', () => {
    const structure = DocStructure.of(
      updatesOf((doc) => doc.getText('t').insert(0, 'x'.repeat(400)), 5)[0]!,
    )
    expect(apply(structure, deleteSetOnly(5, limits.maxDeleteRanges))).toBe('ready')
    expect(apply(structure, deleteSetOnly(5, limits.maxDeleteRanges + 1))).toBe('refused')
  })

  it('U3: refuses an item in a root type outside rootTypes', () => {
    const only = { ...limits, rootTypes: new Set(['codemirror']) }
    const structure = new DocStructure()
    expect(
      apply(structure, updatesOf((d) => d.getText('codemirror').insert(0, 'ok'))[0]!, only),
    ).toBe('ready')
    expect(apply(structure, updatesOf((d) => d.getMap('other').set('k', 1), 2)[0]!, only)).toBe(
      'refused',
    )
  })

  it('U4: an update that depends on missing content is pending until the content arrives', () => {
    const a = new Y.Doc()
    a.clientID = 1
    a.getText('t').insert(0, 'hello')
    const first = Y.encodeStateAsUpdate(a)
    const b = new Y.Doc()
    b.clientID = 2
    Y.applyUpdate(b, first)
    const sv = Y.encodeStateVector(b)
    b.getText('t').insert(5, ' world')
    b.getText('t').delete(0, 1)
    const second = Y.encodeStateAsUpdate(b, sv)

    const structure = new DocStructure()
    const verdict = structure.judge(second, limits)
    expect(verdict.kind).toBe('pending')
    const needs = verdict.kind === 'pending' ? verdict.needs : new Map()
    expect(structure.satisfies(needs)).toBe(false)
    expect(apply(structure, first)).toBe('ready')
    expect(structure.satisfies(needs)).toBe(true)
    expect(apply(structure, second)).toBe('ready')
  })

  it('U4: deletions of clocks the document lacks are pending', () => {
    const structure = new DocStructure()
    expect(structure.judge(deleteSetOnly(77, 3), limits).kind).toBe('pending')
  })

  it('U4: says pending exactly when Yjs would keep part of an update pending (random deliveries)', () => {
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    let pendingSeen = 0
    for (let round = 0; round < 8; round++) {
      const docs = [1, 2, 3].map((id) => {
        const doc = new Y.Doc()
        doc.clientID = id + round * 10
        return doc
      })
      const updates: Uint8Array[] = []
      for (const doc of docs) doc.on('update', (u: Uint8Array) => updates.push(u))
      for (let step = 0; step < 24; step++) {
        const doc = docs[Math.floor(random() * 3)]!
        const text = doc.getText('t')
        const list = doc.getArray<unknown>('list')
        const choice = random()
        if (choice < 0.4) text.insert(Math.floor(random() * (text.length + 1)), 'ab')
        else if (choice < 0.55 && text.length > 0)
          text.delete(Math.floor(random() * text.length), 1)
        else if (choice < 0.7) list.insert(0, [new Y.Map()])
        else if (choice < 0.8 && list.length > 0) {
          const first = list.get(0)
          if (first instanceof Y.Map) first.set('k', new Y.Array())
        } else {
          // Sync two documents both ways.
          const other = docs[Math.floor(random() * 3)]!
          Y.applyUpdate(other, Y.encodeStateAsUpdate(doc, Y.encodeStateVector(other)))
          Y.applyUpdate(doc, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)))
        }
      }
      // Deliver in a shuffled order; a pending update is retried after each accepted one.
      const queue = [...updates].sort(() => random() - 0.5)
      const reference = new Y.Doc()
      const structure = new DocStructure()
      const wide = { ...limits, maxTypeDepth: 100 }
      let waiting: Uint8Array[] = []
      for (const update of queue) {
        waiting.push(update)
        for (let progressed = true; progressed; ) {
          progressed = false
          const still: Uint8Array[] = []
          for (const u of waiting) {
            const verdict = structure.judge(u, wide)
            const probe = new Y.Doc()
            Y.applyUpdate(probe, Y.encodeStateAsUpdate(reference))
            Y.applyUpdate(probe, u)
            const yjsPending = probe.store.pendingStructs !== null || probe.store.pendingDs !== null
            expect(verdict.kind === 'pending', `round ${round}`).toBe(yjsPending)
            if (verdict.kind === 'ready') {
              structure.record(verdict)
              Y.applyUpdate(reference, u)
              progressed = true
            } else {
              if (verdict.kind === 'pending') pendingSeen++
              still.push(u)
            }
          }
          waiting = still
        }
      }
      expect(waiting).toEqual([])
      for (const doc of docs) Y.applyUpdate(reference, Y.encodeStateAsUpdate(doc))
      expect(reference.store.pendingStructs).toBeNull()
    }
    expect(pendingSeen).toBeGreaterThan(10)
  })

  it("S4: its state vector is the document's, as Yjs computes it, without folding", () => {
    const doc = new Y.Doc()
    doc.clientID = 7
    const structure = new DocStructure()
    doc.on('update', (u: Uint8Array) => apply(structure, u))
    doc.getText('t').insert(0, 'hello')
    doc.getMap('m').set('k', new Y.Array())
    doc.getText('t').delete(1, 2)
    const other = new Y.Doc()
    other.clientID = 9
    Y.applyUpdate(other, Y.encodeStateAsUpdate(doc))
    other.getText('t').insert(0, '>')
    apply(structure, Y.encodeStateAsUpdate(other, Y.encodeStateVector(doc)))
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(other))
    expect(Y.decodeStateVector(structure.stateVector())).toEqual(
      Y.decodeStateVector(Y.encodeStateVector(doc)),
    )
  })
})
