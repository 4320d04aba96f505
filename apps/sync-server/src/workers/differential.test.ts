import { createHash } from 'node:crypto'
import { type AttributionRecord, idsOfUpdate, TEXT_NAME } from '@tandem/protocol'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { poisonousPair, textEdit } from '../../test/poison.js'
import { loadTrace } from '../../test/traces.js'
import { createLogger } from '../log.js'
import { DocState } from '../rooms/doc-state.js'
import { HostileGenerator } from '../rooms/hostile-updates.js'
import { WorkerFolder } from './folder.js'
import { type FoldRequest, type FoldResult, foldHere, UndecodablePartError } from './jobs.js'

// Differential test of the fold worker (issue 17): every request below is done by the worker
// program (folder.ts) and by foldHere, the event loop's code, and the answers must be the
// same: byte for byte where Yjs is deterministic for the same input (states, state vectors,
// diffs, what is set aside and why), the same text after applying where it is not (a text
// replacement is made by a fresh, random client id).

const EMPTY = new Uint8Array([0, 0])
const EMPTY_SV = new Uint8Array([0])

let folder: WorkerFolder
beforeAll(() => {
  folder = new WorkerFolder(createLogger('silent'), 1)
})
afterAll(() => folder.close())

type Outcome =
  | { ok: Omit<FoldResult, 'edit'>; edit: Uint8Array | undefined }
  | { undecodable: { index: number; reason: string } }
  | { error: string }

function outcome(run: () => FoldResult): Outcome
function outcome(run: () => Promise<FoldResult>): Promise<Outcome>
function outcome(run: () => FoldResult | Promise<FoldResult>): Outcome | Promise<Outcome> {
  const ok = ({ edit, ...rest }: FoldResult): Outcome => ({ ok: rest, edit })
  const failed = (err: unknown): Outcome =>
    err instanceof UndecodablePartError
      ? { undecodable: { index: err.index, reason: err.reason } }
      : { error: err instanceof Error ? err.message : String(err) }
  try {
    const result = run()
    return result instanceof Promise ? result.then(ok, failed) : ok(result)
  } catch (err) {
    return failed(err)
  }
}

/** The text of root `codemirror` of `state` with `edit` applied. */
function textAfter(state: Uint8Array, edit: Uint8Array): string {
  const doc = new Y.Doc()
  try {
    Y.applyUpdate(doc, state)
    Y.applyUpdate(doc, edit)
    return doc.getText(TEXT_NAME).toString()
  } finally {
    doc.destroy()
  }
}

/**
 * `value` with every byte array replaced by its length and SHA-256: compared at once (a deep
 * comparison of large typed arrays element by element takes seconds) and shown short.
 */
function digested(value: unknown): unknown {
  if (value instanceof Uint8Array) {
    return `${value.length} bytes, sha256 ${createHash('sha256').update(value).digest('hex')}`
  }
  if (Array.isArray(value)) return value.map(digested)
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, digested(v)]))
  }
  return value
}

/** An update's structs (kind and length) and deletions: all but its (random) client id. */
function shape(update: Uint8Array) {
  const { structs, ds } = Y.decodeUpdate(update)
  return {
    structs: structs.map((s) => [s.constructor.name, s.length]),
    ds: [...ds.clients].map(([client, ranges]) => [client, ranges.map((r) => [r.clock, r.len])]),
  }
}

/**
 * Does `request` both ways, the worker's in parallel with the event loop's, and expects the
 * same answer; returns the event loop's.
 */
async function same(
  what: string,
  request: FoldRequest,
  { reasons = true }: { reasons?: boolean } = {},
): Promise<Outcome> {
  const pending = outcome(() => folder.fold(request))
  const here = outcome(() => foldHere(request))
  const there = await pending
  if ('ok' in here && 'ok' in there) {
    // Where the recursion of a deep chain gives out decides what Yjs throws (a stack overflow
    // or its own "Unexpected case"), and that varies with how far the JIT got: `reasons: false`
    // compares which parts were set aside, not the words.
    const seen = (result: FoldResult) =>
      digested(
        reasons ? result : { ...result, setAside: result.setAside.map(({ index }) => ({ index })) },
      )
    expect(seen(there.ok), what).toEqual(seen(here.ok))
    if (request.replaceText) {
      const state = here.ok.state ?? request.base
      expect(here.edit, what).toBeDefined()
      expect(textAfter(state, there.edit!), what).toBe(textAfter(state, here.edit!))
      expect(shape(there.edit!), what).toEqual(shape(here.edit!))
    }
  } else {
    expect(there, what).toEqual(here)
  }
  return here
}

/** The text in `state` with a few changes: what an import or a restore would set. */
function changed(text: string): string {
  const cut = Math.floor(text.length / 3)
  return `${text.slice(0, cut)}[imported ✋]${text.slice(2 * cut)}\n`
}

/** A document of another client: a state vector that names a client the log never wrote. */
const FOREIGN_SV = (() => {
  const doc = new Y.Doc()
  doc.clientID = 77
  doc.getText(TEXT_NAME).insert(0, 'elsewhere')
  return Y.encodeStateVector(doc)
})()

/**
 * Every kind of request on the log `base` + `updates`, both ways (asks that read the same fold
 * go in one request, as a fold is the costly part); then the same on the fold alone (a
 * version, a compacted state).
 */
async function compareAll(what: string, base: Uint8Array, updates: Uint8Array[]): Promise<void> {
  let prefixState: Uint8Array = EMPTY
  let prefixSv: Uint8Array = EMPTY_SV
  try {
    prefixState = foldHere({ base, updates: updates.slice(0, updates.length >> 1) }).state ?? base
    prefixSv = Y.encodeStateVectorFromUpdate(prefixState)
  } catch {
    // The log does not fold: every request below fails, the same way both ways.
  }
  const first = await same(`${what}: text, length, diff, comparison, replacement, attribution`, {
    base,
    updates,
    attribute: { textName: TEXT_NAME, records: recordsOf(updates) },
    textName: TEXT_NAME,
    textLengthOf: TEXT_NAME,
    diffAgainst: EMPTY_SV,
    compareWith: prefixState,
    validate: true,
    replaceText: { textName: TEXT_NAME, target: 'replaced' },
  })
  for (const [name, sv] of [
    ['empty', EMPTY_SV],
    ['of the first half', prefixSv],
    ['foreign', FOREIGN_SV],
  ] as const) {
    await same(`${what}: diff of the base alone against a state vector ${name}`, {
      base,
      updates: [],
      diffAgainst: sv,
      validate: true,
    })
  }
  for (const structure of ['whole', 'integrated'] as const) {
    await same(`${what}: structure (${structure}) of the log`, { base, updates, structure })
  }
  if (!('ok' in first)) return
  const state = first.ok.state ?? base
  await same(`${what}: structure of the fold`, {
    base: state,
    updates: [],
    structure: 'integrated',
  })
  const text = first.ok.text ?? ''
  await same(`${what}: diff against the first half, comparison with itself`, {
    base,
    updates,
    diffAgainst: prefixSv,
    compareWith: state,
    replaceText: { textName: TEXT_NAME, target: changed(text) },
  })
  await same(`${what}: diff against a foreign client, the same text again`, {
    base,
    updates,
    diffAgainst: FOREIGN_SV,
    replaceText: { textName: TEXT_NAME, target: text },
  })
  // The fold alone, as a version or a compacted state is read.
  await same(`${what}: the fold alone`, {
    base: state,
    updates: [],
    textName: TEXT_NAME,
    validate: true,
    diffAgainst: prefixSv,
    compareWith: prefixState,
    replaceText: { textName: TEXT_NAME, target: '' },
  })
}

/** A record per update (authors 0 to 2 in turn), its ids read from the update, if it decodes. */
function recordsOf(updates: readonly Uint8Array[]): AttributionRecord[] {
  return updates.map((update, i) => {
    let ids = { inserts: [] as number[], deletes: [] as number[] }
    try {
      ids = idsOfUpdate(update)
    } catch {
      // A malformed update: no ids.
    }
    return { author: i % 3, timeMs: 1_000 + i, ...ids }
  })
}

/**
 * A trace replayed as a log: the first `txns` transactions of trace `name`, one update per
 * `perUpdate` of them, by one client; with `concurrent`, the second half typed by two clients
 * at once from the state at half way (positions past the end of their copy are clamped), their
 * updates interleaved in the log as a server would commit them.
 */
function traceLog(name: string, txns: number, perUpdate: number, concurrent = false): Uint8Array[] {
  const trace = loadTrace(name).txns.slice(0, txns)
  const log: Uint8Array[] = []
  const type = (doc: Y.Doc, part: typeof trace, sink: Uint8Array[]) => {
    const text = doc.getText(TEXT_NAME)
    for (let i = 0; i < part.length; i += perUpdate) {
      const before = Y.encodeStateVector(doc)
      doc.transact(() => {
        for (const txn of part.slice(i, i + perUpdate)) {
          for (const [pos, del, ins] of txn.patches) {
            const at = Math.min(pos, text.length)
            if (del > 0) text.delete(at, Math.min(del, text.length - at))
            if (ins) text.insert(at, ins)
          }
        }
      })
      sink.push(Y.encodeStateAsUpdate(doc, before))
    }
  }
  const a = new Y.Doc()
  a.clientID = 1
  const half = concurrent ? Math.floor(trace.length / 2) : trace.length
  type(a, trace.slice(0, half), log)
  if (concurrent) {
    const b = new Y.Doc()
    b.clientID = 2
    Y.applyUpdate(b, Y.encodeStateAsUpdate(a))
    const fromA: Uint8Array[] = []
    const fromB: Uint8Array[] = []
    const quarter = half + Math.floor((trace.length - half) / 2)
    type(a, trace.slice(half, quarter), fromA)
    type(b, trace.slice(quarter), fromB)
    for (let i = 0; i < Math.max(fromA.length, fromB.length); i++) {
      if (fromA[i]) log.push(fromA[i]!)
      if (fromB[i]) log.push(fromB[i]!)
    }
    b.destroy()
  }
  a.destroy()
  return log
}

/** The updates `change` makes to a copy of `state` by client `client`. */
function editOf(state: Uint8Array | null, client: number, change: (doc: Y.Doc) => void) {
  const doc = new Y.Doc()
  doc.clientID = client
  if (state) Y.applyUpdate(doc, state)
  const before = Y.encodeStateVector(doc)
  change(doc)
  const update = Y.encodeStateAsUpdate(doc, before)
  doc.destroy()
  return update
}

describe('the fold worker and the event loop give the same answers', () => {
  it('editing traces replayed into logs (one writer, two at once, folded in part)', async () => {
    for (const [name, txns, perUpdate, concurrent] of [
      ['sveltecomponent', 18_335, 30, false],
      ['automerge-paper', 8_000, 20, true],
    ] as const) {
      const log = traceLog(name, txns, perUpdate, concurrent)
      const what = `${name} (${txns} edits, ${log.length} updates${concurrent ? ', two writers' : ''})`
      await compareAll(what, EMPTY, log)
      if (!concurrent) continue
      // A compacted snapshot of the first half and the log after it.
      const half = Math.floor(log.length / 2)
      const snapshot = foldHere({ base: EMPTY, updates: log.slice(0, half) }).state!
      await compareAll(`${what}, half compacted`, snapshot, log.slice(half))
    }
  })

  it('a fold that keeps deleted content, attributed (SPEC B4)', async () => {
    const log = traceLog('sveltecomponent', 4_000, 20, false)
    const kept = await same('sveltecomponent, deleted content kept', {
      base: EMPTY,
      updates: log,
      keepDeleted: true,
      collect: true,
      attribute: { textName: TEXT_NAME, records: recordsOf(log) },
    })
    const collected = foldHere({ base: EMPTY, updates: log })
    // Same text, more bytes: the deleted characters are still there.
    if (!('ok' in kept)) throw new Error('the fold failed')
    expect(kept.ok.attributed?.text).toBe(
      foldHere({ base: EMPTY, updates: log, textName: TEXT_NAME }).text,
    )
    expect(kept.ok.state!.length).toBeGreaterThan(collected.state!.length)
    // What a version stores: the same document with the deleted content dropped.
    expect(kept.ok.collected).toEqual(collected.state)
  })

  it('the hostile generator’s updates, as a log nobody judged', async () => {
    let leftOut = 0
    for (let seed = 1; seed <= 6; seed++) {
      const limits = {
        maxTypeDepth: 6,
        maxDeleteRanges: 64,
        rootTypes: seed % 2 === 0 ? null : ['codemirror', 'meta'],
      }
      const generator = new HostileGenerator(seed, limits)
      const log = [...generator.wave(50), ...generator.wave(50)].map((u) => u.update)
      const folded = await same(`seed ${seed}: fold`, { base: EMPTY, updates: log })
      if (!('ok' in folded) || folded.ok.setAside.length > 0) leftOut++
      await compareAll(`hostile seed ${seed}`, EMPTY, log)
      // Half of it compacted (if it folds), the rest after.
      const half = 'ok' in folded ? foldHere({ base: EMPTY, updates: log.slice(0, 50) }) : null
      if (half?.state && seed <= 2) {
        await compareAll(`hostile seed ${seed}, half compacted`, half.state, log.slice(50))
      }
    }
    // Not a requirement on the generator, only a sign of how far past the happy path it went.
    process.stdout.write(`hostile logs: ${leftOut} of 6 with a part set aside or undecodable\n`)
  })

  it('logs with poisoned updates: set aside the same, with the same reason, wherever folded', async () => {
    // 20,000 levels overflow the event loop's stack, and a worker's, which has the same size,
    // however far the JIT has optimised the recursion (2,000 overflow neither).
    const [chain, deletion] = poisonousPair()
    const [shallowChain, shallowDeletion] = poisonousPair(2_000, 515151)
    const hello = textEdit(null, 'hello', 1)
    const world = textEdit(hello, ' world', 2, 5)
    const logs: [string, Uint8Array, Uint8Array[]][] = [
      ['the pair between edits', EMPTY, [hello, chain, deletion, world]],
      ['the pair twice over', EMPTY, [chain, hello, deletion, deletion, world]],
      ['a shallow chain that applies', EMPTY, [hello, shallowChain, shallowDeletion, world]],
      ['a poisoned snapshot', Y.mergeUpdates([chain, deletion]), [hello, world]],
    ]
    for (const [what, base, updates] of logs) {
      const result = await same(
        `${what}: fold`,
        {
          base,
          updates,
          textName: TEXT_NAME,
          diffAgainst: Y.encodeStateVectorFromUpdate(hello),
          validate: true,
        },
        { reasons: what !== 'a poisoned snapshot' },
      )
      if (what === 'the pair between edits') await compareAll(what, base, updates)
      if (what.startsWith('a shallow')) {
        expect('ok' in result && result.ok.setAside).toEqual([])
      } else {
        expect('ok' in result && result.ok.setAside.length).toBeGreaterThan(0)
        expect('ok' in result && result.ok.text).toBe('hello world')
      }
    }
  })

  it('empty documents, deletions only, bytes that do not decode', async () => {
    const text = textEdit(null, 'abcdef', 3)
    const deleteAll = editOf(text, 4, (doc) => doc.getText(TEXT_NAME).delete(0, 6))
    const deleteSome = editOf(text, 4, (doc) => doc.getText(TEXT_NAME).delete(1, 2))
    const cases: [string, Uint8Array, Uint8Array[]][] = [
      ['nothing at all', EMPTY, []],
      ['an empty log', EMPTY, [EMPTY, EMPTY]],
      ['everything deleted', EMPTY, [text, deleteAll]],
      ['deletions only, after a snapshot', text, [deleteSome, deleteAll]],
      ['deletions of content nobody has (left pending)', EMPTY, [deleteSome]],
      ['a part that does not decode', EMPTY, [text, new Uint8Array([1, 2, 3, 250])]],
      ['a base that does not decode', new Uint8Array([9, 9, 9]), [text]],
    ]
    for (const [what, base, updates] of cases) await compareAll(what, base, updates)
    const empty = await same('nothing at all: text', { base: EMPTY, updates: [], textName: 'x' })
    expect('ok' in empty && empty.ok.text).toBe('')
    const bad = await same('undecodable', {
      base: EMPTY,
      updates: [text, new Uint8Array([1, 250])],
    })
    expect('undecodable' in bad && bad.undecodable.index).toBe(1)
  })

  it('root types that are not text: maps, arrays, XML, nested types, formatting and embeds', async () => {
    const rich = editOf(null, 5, (doc) => {
      doc.getMap('meta').set('title', 'T')
      doc.getMap('meta').set('n', 42)
      const list = doc.getArray<unknown>('list')
      list.insert(0, [1, 'two', { three: 3 }, new Uint8Array([4])])
      const inner = new Y.Map<unknown>()
      list.insert(1, [inner])
      inner.set('deep', new Y.Text('nested text'))
      const xml = doc.getXmlFragment('xml')
      const p = new Y.XmlElement('p')
      p.setAttribute('class', 'x')
      p.insert(0, [new Y.XmlText('para')])
      xml.insert(0, [p])
      const t = doc.getText(TEXT_NAME)
      t.insert(0, 'bold plain', {})
      t.format(0, 4, { bold: true })
      t.insertEmbed(4, { image: 'x.png' })
    })
    const later = editOf(rich, 6, (doc) => {
      doc.getMap('meta').delete('n')
      doc.getArray('list').delete(0, 2)
      doc.getXmlFragment('xml').insert(1, [new Y.XmlText('tail')])
      doc.getText(TEXT_NAME).delete(2, 3)
    })
    await compareAll('rich types', EMPTY, [rich, later])
    await compareAll('rich types, compacted', foldHere({ base: EMPTY, updates: [rich] }).state!, [
      later,
    ])
  })

  it('a DocState answers the same with the worker as without (a large trace, then a poisoned log)', async () => {
    // Past the size below which a DocState folds on the event loop, so that the worker works.
    const log = [textEdit(null, 'x'.repeat(70_000), 9), ...traceLog('automerge-paper', 3_000, 20)]
    const [chain, deletion] = poisonousPair()
    for (const [what, updates] of [
      ['trace', log],
      ['trace with a poisoned pair', [...log.slice(0, 50), chain, deletion, ...log.slice(50)]],
    ] as const) {
      const answers = async (off: WorkerFolder | undefined) => {
        const recorded: number[] = []
        const state = new DocState(null, [...updates], updates.length, {
          onSetAside: (entries) => {
            recorded.push(...entries.map((e) => e.seq))
          },
        })
        const sv = Y.encodeStateVectorFromUpdate(
          foldHere({ base: EMPTY, updates: log.slice(0, 9) }).state!,
        )
        const diff = await state.diffOff(sv, off)
        state.push(textEdit(null, 'late', 99), updates.length + 1)
        const text = await state.text(off, TEXT_NAME)
        const version = await state.versionOff(off, TEXT_NAME, undefined)
        const snapshot = await state.snapshotOff(off)
        return {
          diff,
          text,
          version,
          snapshot: { ...snapshot, setAside: snapshot.setAside.map((e) => [e.seq, e.reason]) },
          recorded,
        }
      }
      let jobs = 0
      const counted = {
        fold: (request: FoldRequest) => {
          jobs++
          return folder.fold(request)
        },
      }
      const here = await answers(undefined)
      const there = await answers(counted as WorkerFolder)
      expect(jobs, what).toBeGreaterThanOrEqual(3)
      expect(digested(there), what).toEqual(digested(here))
      expect(here.text.length, what).toBeGreaterThan(1000)
    }
  })
})
