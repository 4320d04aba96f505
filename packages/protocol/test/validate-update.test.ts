// validateUpdate reads updates without building Yjs structs; validateUpdateByDecoding is the
// definition it must match (Y.decodeUpdate, then each item's neighbours). These tests feed both
// the same inputs and require the same answer: both accept, or both throw invalid-update.
// Every fc.assert uses seed 42.
import { readdirSync, readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import fc from 'fast-check'
import * as encoding from 'lib0/encoding'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { CloseCode, decodeMessage, ProtocolError } from '../src/index.js'
import {
  inspectUpdate,
  type StructInfo,
  StructKind,
  validateUpdate,
  validateUpdateByDecoding,
  validateUpdateWithStateVector,
} from '../src/validate-update.js'
import { concat } from './helpers.js'

const runs = (numRuns: number) => ({ seed: 42, numRuns })

type Outcome = 'accepted' | 'refused'

function outcome(validate: (u: Uint8Array) => void, update: Uint8Array): Outcome {
  try {
    validate(update)
    return 'accepted'
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err
    expect(err.kind).toBe('invalid-update')
    expect(err.closeCode).toBe(CloseCode.InvalidPayload)
    return 'refused'
  }
}

/**
 * Asserts that both implementations agree on `update`, and that the state vector read in the
 * same pass is Yjs's byte for byte (or is refused alike); returns their answer.
 */
function agree(update: Uint8Array): Outcome {
  const expected = outcome(validateUpdateByDecoding, update)
  const actual = outcome(validateUpdate, update)
  if (actual !== expected) {
    throw new Error(`validateUpdate ${actual}, Yjs ${expected}: ${Array.from(update).join(',')}`)
  }
  let stateVector: Uint8Array | null = null
  expect(
    outcome((u) => {
      stateVector = validateUpdateWithStateVector(u)
    }, update),
  ).toBe(actual)
  if (stateVector !== null && !equalBytes(stateVector, Y.encodeStateVectorFromUpdate(update))) {
    throw new Error(`state vector differs from Yjs's: ${Array.from(update).join(',')}`)
  }
  return actual
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i])
}

/** Edits in several documents exchanging updates; returns every update seen and the states. */
function editingSession(): Uint8Array[] {
  const out: Uint8Array[] = []
  const a = new Y.Doc()
  const b = new Y.Doc()
  const c = new Y.Doc({ gc: false })
  a.clientID = 1
  b.clientID = 2 ** 32 - 1
  c.clientID = 300
  for (const doc of [a, b, c]) doc.on('update', (u: Uint8Array) => out.push(u))
  const sync = () => {
    for (const from of [a, b, c]) {
      for (const to of [a, b, c]) {
        if (from !== to) Y.applyUpdate(to, Y.encodeStateAsUpdate(from, Y.encodeStateVector(to)))
      }
    }
  }
  const ta = a.getText('codemirror')
  ta.insert(0, 'hello world')
  sync()
  b.getText('codemirror').insert(5, ', dear')
  c.getText('codemirror').insert(0, 'é漢字🎉 ')
  sync()
  ta.delete(0, 3)
  ta.insert(2, 'x')
  b.getText('codemirror').delete(1, 6)
  ta.format(0, 4, { bold: true })
  ta.insert(1, 'fmt', { italic: true, color: '#f00' })
  ta.insertEmbed(2, { image: 'cat.png', width: 3 })
  sync()
  const map = b.getMap('meta')
  map.set('title', 'A title')
  map.set('count', 42)
  map.set('float', 1.5)
  map.set('big', 2n ** 40n)
  map.set('nested', { a: [1, null, true, false, 'x', { b: -7 }], u8: new Uint8Array([1, 2]) })
  map.set('bytes', new Uint8Array([0, 255, 128]))
  map.set('title', 'Another')
  map.delete('count')
  const arr = c.getArray('list')
  arr.push([1, 'two', { three: 3 }, [4], null, new Uint8Array([5])])
  arr.insert(1, [new Y.Map(), new Y.Array(), new Y.Text('inner')])
  arr.delete(0, 2)
  const xml = a.getXmlFragment('xml')
  const el = new Y.XmlElement('p')
  el.setAttribute('class', 'x')
  el.insert(0, [new Y.XmlText('text in p')])
  arr.push([new Y.XmlHook('hook')])
  xml.insert(0, [el, new Y.XmlText('tail')])
  const sub = new Y.Doc({ guid: 'sub-1', meta: { kind: 'page' } })
  map.set('sub', sub)
  sync()
  for (const doc of [a, b, c]) {
    out.push(Y.encodeStateAsUpdate(doc), Y.encodeStateAsUpdate(doc, Y.encodeStateVector(a)))
  }
  // Merged updates and ones holding Skip structs (a gap in a client's clocks).
  out.push(Y.mergeUpdates(out.slice(0, 20)))
  out.push(Y.mergeUpdates([out[0]!, out[5]!, out[9]!]))
  out.push(Y.diffUpdate(Y.encodeStateAsUpdate(a), Y.encodeStateVector(new Y.Doc())))
  return out
}

/** Updates from replaying the start of a recorded editing trace, keystroke by keystroke. */
function traceUpdates(file: string, txns: number): Uint8Array[] {
  const url = new URL(`../../../testdata/traces/${file}`, import.meta.url)
  const trace = JSON.parse(gunzipSync(readFileSync(url)).toString('utf8')) as {
    startContent: string
    txns: { patches: [number, number, string][] }[]
  }
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  text.insert(0, trace.startContent)
  const out: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => out.push(u))
  for (const { patches } of trace.txns.slice(0, txns)) {
    for (const [pos, del, ins] of patches) {
      const at = Math.min(pos, text.length)
      if (del > 0) text.delete(at, Math.min(del, text.length - at))
      if (ins) text.insert(at, ins)
    }
  }
  out.push(Y.encodeStateAsUpdate(doc))
  return out
}

function goldenUpdates(): Uint8Array[] {
  const dir = new URL('./fixtures/', import.meta.url)
  const out: Uint8Array[] = []
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.bin'))) {
    const message = decodeMessage(new Uint8Array(readFileSync(new URL(name, dir))))
    if (message.type === 'sync-step-2' || message.type === 'sync-update') out.push(message.update)
  }
  return out
}

// Hand-built updates, for branches that editing does not reach.
function bytesOf(write: (e: encoding.Encoder) => void): Uint8Array {
  const e = encoding.createEncoder()
  write(e)
  return encoding.toUint8Array(e)
}
const u = (n: number) => bytesOf((e) => encoding.writeVarUint(e, n))
const str = (s: string) => bytesOf((e) => encoding.writeVarString(e, s))
const raw = (...b: number[]) => Uint8Array.from(b)
const withLength = (b: Uint8Array) => concat(u(b.length), b)
/** A varUint lib0 reads as NaN: 147 zero groups overflow the multiplier to Infinity. */
const nanVarUint = concat(new Uint8Array(147).fill(0x80), raw(0))
const infinityVarUint = concat(new Uint8Array(147).fill(0x80), raw(1))
const overlongOne = raw(0x81, 0x80, 0x80, 0)

/** One client's structs: `client` writes `structs` from clock 0; then `deleteSet`. */
function handUpdate(structs: Uint8Array[], deleteSet = u(0), client = 7) {
  return concat(u(1), u(structs.length), u(client), u(0), ...structs, deleteSet)
}
/** An item in the root text `t` with content ref `ref`. */
const rootItem = (ref: number, content: Uint8Array) => concat(raw(ref), u(1), str('t'), content)
/** A one-character string item whose left origin is 7:`clock`. */
const after = (clock: Uint8Array | number) =>
  concat(raw(0x84), u(7), typeof clock === 'number' ? u(clock) : clock, str('a'))

function handBuilt(): Uint8Array[] {
  const cases: Uint8Array[] = []
  // Content lengths decide the next item's clock, which the neighbour check compares.
  for (let origin = 0; origin < 6; origin++) {
    cases.push(
      handUpdate([rootItem(4, str('abc')), after(origin)]),
      handUpdate([rootItem(4, str('😀é')), after(origin)]),
      handUpdate([rootItem(1, u(3)), after(origin)]),
      handUpdate([rootItem(1, nanVarUint), after(origin)]),
      handUpdate([rootItem(3, withLength(raw(1, 2, 3))), after(origin)]),
      handUpdate([rootItem(2, concat(u(2), str('1'), str('undefined'))), after(origin)]),
      handUpdate([rootItem(2, concat(nanVarUint)), after(origin)]),
      handUpdate([rootItem(8, concat(u(2), raw(125, 1, 119, 1, 120))), after(origin)]),
      handUpdate([rootItem(8, nanVarUint), after(origin)]),
      handUpdate([rootItem(5, str('{"a":1}')), after(origin)]),
      handUpdate([rootItem(6, concat(str('bold'), str('true'))), after(origin)]),
      handUpdate([raw(0), u(2), after(origin)]), // GC
      handUpdate([raw(0xc0), u(2), after(origin)]), // GC despite origin bits
      handUpdate([raw(10), u(2), after(origin)]), // Skip
      handUpdate([raw(10), nanVarUint, after(origin)]),
      handUpdate([raw(10), infinityVarUint, after(origin)]),
      handUpdate([rootItem(4, str('ab')), after(concat(new Uint8Array(8).fill(0xff), raw(1)))]),
    )
  }
  for (let ref = 0; ref < 32; ref++) cases.push(handUpdate([rootItem(ref, u(1)), after(0)]))
  for (let ref = 0; ref < 32; ref++) cases.push(handUpdate([rootItem(ref | 0xe0, u(1))]))
  for (const typeRef of [0, 1, 2, 3, 4, 5, 6, 7, 100]) {
    cases.push(handUpdate([rootItem(7, concat(u(typeRef), str('p'))), after(0)]))
  }
  cases.push(
    handUpdate([rootItem(4, concat(nanVarUint, raw(0x61)))]),
    handUpdate([rootItem(4, concat(infinityVarUint, raw(0x61)))]),
    handUpdate([rootItem(4, concat(overlongOne, raw(0x61))), after(0)]),
    handUpdate([rootItem(4, str('a'))], concat(u(1), u(7), nanVarUint)),
    handUpdate([rootItem(4, str('a'))], concat(u(1), u(7), u(2), u(0), u(1), u(5), u(1))),
    handUpdate([rootItem(4, str('a'))], concat(u(2), u(7), u(0), u(8), u(1), u(0), u(1))),
    handUpdate([rootItem(4, str('a'))], concat(u(0), raw(1, 2, 3))), // trailing bytes
    handUpdate([concat(raw(0x24), u(1), str('m'), str('key'), str('v'))]), // parentSub
    handUpdate([concat(raw(0x04), u(0), u(7), u(0), str('v'))]), // parent by ID
    handUpdate([concat(raw(0xc4), u(7), u(0), u(7), u(0), str('v'))]),
    handUpdate([rootItem(4, str('ab')), concat(raw(0xc4), u(7), u(0), u(7), u(0), str('v'))]),
    handUpdate([rootItem(4, str('ab')), concat(raw(0xc4), u(7), u(0), u(7), u(1), str('v'))]),
    handUpdate([rootItem(4, str('ab')), concat(raw(0x44), u(7), u(1), str('v'))]),
    handUpdate([rootItem(4, str('ab')), concat(raw(0x44), u(7), u(2), str('v'))]),
    handUpdate([rootItem(4, str('ab')), concat(raw(0x44), u(8), u(9), str('v'))]),
    concat(u(2), u(0), u(1), u(0), u(1), u(2), u(0), rootItem(4, str('x')), u(0)),
    concat(nanVarUint, u(0)),
    concat(u(1), nanVarUint, u(1), u(0), u(0)),
    concat(u(1), u(1), u(7), nanVarUint, rootItem(4, str('a')), u(0)),
  )
  return cases
}

/** A string item of raw bytes, then an item whose origin is just inside or past its end. */
function utf8Case(content: Uint8Array, origin: number): Uint8Array {
  return handUpdate([rootItem(4, withLength(content)), after(origin)])
}

const corpus = [
  ...editingSession(),
  ...goldenUpdates(),
  ...traceUpdates('sveltecomponent.json.gz', 400),
  ...handBuilt(),
]

describe('validateUpdate agrees with Y.decodeUpdate and the neighbour check', () => {
  it('on real, golden, trace and hand-built updates', () => {
    const answers = corpus.map(agree)
    expect(answers.filter((a) => a === 'accepted').length).toBeGreaterThan(400)
    expect(answers.filter((a) => a === 'refused').length).toBeGreaterThan(50)
  })

  it('on every truncation, every single-bit flip and every deleted byte of real updates', () => {
    const small = corpus.filter((update) => update.length <= 600)
    let cases = 0
    for (const update of small.slice(0, 150)) {
      for (let n = 0; n < update.length; n++) {
        agree(update.subarray(0, n))
        const removed = concat(update.subarray(0, n), update.subarray(n + 1))
        agree(removed)
        for (let bit = 0; bit < 8; bit++) {
          const flipped = Uint8Array.from(update)
          flipped[n]! ^= 1 << bit
          agree(flipped)
        }
        cases += 10
      }
    }
    expect(cases).toBeGreaterThan(10_000)
  })

  it('on strings of arbitrary bytes, where UTF-8 validity and UTF-16 length decide', () => {
    const utf8ish = fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.array(
        fc.oneof(
          fc.constantFrom(0x00, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef),
          fc.constantFrom(0xf0, 0xf4, 0xf5, 0xff, 0x9f, 0xa0, 0x8f, 0x90, 0xef, 0xbb),
        ),
        { maxLength: 10 },
      ),
    )
    fc.assert(
      fc.property(utf8ish, fc.nat(12), (content, origin) => {
        agree(utf8Case(Uint8Array.from(content), origin))
      }),
      runs(20_000),
    )
    // A BOM is kept, as lib0's TextDecoder keeps it.
    for (let origin = 0; origin < 3; origin++) agree(utf8Case(raw(0xef, 0xbb, 0xbf), origin))
  })

  it('on fast-check mutations of real updates', () => {
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), byte: fc.nat(255) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ maxLength: 8 }) }),
      fc.record({
        kind: fc.constant('overwrite' as const),
        at: fc.nat(),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 4 }),
      }),
    )
    fc.assert(
      fc.property(
        fc.nat(corpus.length - 1),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        (index, list) => {
          let bytes: Uint8Array = Uint8Array.from(corpus[index]!)
          for (const m of list) {
            const at = bytes.length === 0 ? 0 : 'at' in m ? m.at % bytes.length : 0
            if (m.kind === 'flip' && bytes.length > 0) bytes[at]! ^= 1 << m.bit
            else if (m.kind === 'truncate') bytes = bytes.slice(0, at)
            else if (m.kind === 'insert') {
              bytes = concat(bytes.subarray(0, at), raw(m.byte), bytes.subarray(at))
            } else if (m.kind === 'delete') {
              bytes = concat(bytes.subarray(0, at), bytes.subarray(at + 1))
            } else if (m.kind === 'append') bytes = concat(bytes, m.bytes)
            else if (m.kind === 'overwrite') {
              bytes.set(m.bytes.subarray(0, Math.max(0, bytes.length - at)), at)
            }
          }
          agree(bytes)
        },
      ),
      runs(30_000),
    )
  })

  it('on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        agree(bytes)
      }),
      runs(5_000),
    )
  })

  it('reads a view into a larger buffer only within the view', () => {
    const update = corpus[0]!
    const pool = concat(raw(1, 2, 3), update, raw(0xff, 0xff))
    const view = pool.subarray(3, 3 + update.length)
    expect(agree(view)).toBe('accepted')
    expect(agree(view.subarray(0, view.length - 1))).toBe('refused')
  })

  it('keeps the error messages', () => {
    expect(() => validateUpdate(raw(0xff))).toThrow(/^update does not decode: /)
    expect(() => validateUpdate(handUpdate([rootItem(4, str('ab')), after(2)]))).toThrow(
      'item 7:2 is placed next to an item its client wrote later',
    )
    const both = handUpdate([rootItem(4, str('ab')), concat(raw(0xc4), u(7), u(0), u(7), u(0))])
    expect(() => validateUpdate(concat(both, str('v')))).toThrow(/same item on both sides/)
  })
})

/** Every struct and delete range of `update`, one line each, read by `inspectUpdate`. */
function inspected(update: Uint8Array): string[] {
  const lines: string[] = []
  inspectUpdate(update, {
    struct: (s) => lines.push(structLine(s)),
    deleteRange: (client, clock, length) => lines.push(`delete ${client}:${clock}+${length}`),
  })
  return lines
}

/** The same lines from the structs Yjs decodes. */
function decoded(update: Uint8Array): string[] {
  const { structs, ds } = Y.decodeUpdate(update)
  const lines = structs.map((struct) => {
    const s: StructInfo = {
      kind: struct instanceof Y.Item ? StructKind.Item : struct instanceof Y.GC ? 0 : 1,
      client: struct.id.client,
      clock: struct.id.clock,
      length: struct.length,
      originClient: 0,
      originClock: -1,
      rightClient: 0,
      rightClock: -1,
      parentRoot: null,
      parentClient: 0,
      parentClock: -1,
      isType: false,
    }
    if (struct instanceof Y.Item) {
      if (struct.origin)
        [s.originClient, s.originClock] = [struct.origin.client, struct.origin.clock]
      if (struct.rightOrigin) {
        ;[s.rightClient, s.rightClock] = [struct.rightOrigin.client, struct.rightOrigin.clock]
      }
      const parent = struct.parent as unknown
      if (typeof parent === 'string') s.parentRoot = parent
      else if (parent instanceof Y.ID)
        [s.parentClient, s.parentClock] = [parent.client, parent.clock]
      s.isType = struct.content instanceof Y.ContentType
    }
    return structLine(s)
  })
  for (const [client, ranges] of ds.clients) {
    for (const r of ranges) lines.push(`delete ${client}:${r.clock}+${r.len}`)
  }
  return lines
}

function structLine(s: StructInfo): string {
  const id = (client: number, clock: number) => (clock < 0 ? '-' : `${client}:${clock}`)
  return [
    s.kind,
    id(s.client, s.clock),
    s.length,
    id(s.originClient, s.originClock),
    id(s.rightClient, s.rightClock),
    s.parentRoot ?? id(s.parentClient, s.parentClock),
    s.isType,
  ].join(' ')
}

describe('inspectUpdate', () => {
  it('reports every struct and delete range as Y.decodeUpdate reads them', () => {
    let compared = 0
    for (const update of corpus) {
      if (outcome(validateUpdate, update) === 'refused') {
        expect(outcome((u) => inspectUpdate(u, { struct() {}, deleteRange() {} }), update)).toBe(
          'refused',
        )
        continue
      }
      expect(inspected(update)).toEqual(decoded(update))
      compared++
    }
    expect(compared).toBeGreaterThan(400)
  })
})
