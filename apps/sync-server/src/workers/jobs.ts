import {
  type AttributedSpan,
  type AttributionRecord,
  attributeText,
  DocStructure,
  minimalEdit,
  type StructureRuns,
  validateUpdateWithStateVector,
} from '@tandem/protocol'
import * as Y from 'yjs'
import { EMPTY_UPDATE, fold, isEmptyUpdate, UndecodableUpdateError } from '../rooms/doc-state.js'

/**
 * Work for a {@link Folder}: a base and the updates to apply after it (bytes in), and what to
 * give back (bytes out). The document is built (a fresh `Y.Doc`) only when there are updates
 * or something asked for needs it; a diff or a validation of the base alone reads its bytes.
 */
export interface FoldRequest {
  base: Uint8Array
  updates: readonly Uint8Array[]
  /** The root type whose text to give back. */
  textName?: string
  /** The root type whose text length to give back (without sending the text). */
  textLengthOf?: string
  /** A state vector to give back the diff against (what a peer that has it lacks). */
  diffAgainst?: Uint8Array
  /** A document to compare with: whether both hold the same content (`Y.equalSnapshots`). */
  compareWith?: Uint8Array
  /**
   * An update that makes the text of root type `textName` equal to `target`: the smallest
   * replacement (`minimalEdit`), by a new client id.
   */
  replaceText?: { textName: string; target: string }
  /** Whether to read the whole state as `validateUpdateWithStateVector` reads it. */
  validate?: boolean
  /** The text of root type `textName` cut into spans by who wrote it, per `records`. */
  attribute?: { textName: string; records: readonly AttributionRecord[] }
  /** Fold without garbage collection: deleted content stays in `state` (history playback). */
  keepDeleted?: boolean
  /** Whether to give back the whole state garbage-collected too (`collected`): for a version. */
  collect?: boolean
  /**
   * Instead of folding: the structure of the parts as stored (the base unless it is empty, then
   * the updates). `whole`: as `DocStructure.ofLog` reads it, `null` unless every part integrates
   * whole; `integrated`: what Yjs integrates of them (`DocStructure.integrated`).
   */
  structure?: 'whole' | 'integrated'
}

/** A part of a {@link FoldRequest} left out of the fold because applying it threw. */
export interface SetAsidePart {
  /** -1 for the base, `i` for `updates[i]`. */
  index: number
  /** What it threw (`String(err)`). */
  reason: string
}

/** What a {@link Folder} gives back for a {@link FoldRequest}. */
export interface FoldResult {
  /** The compact encoding of the fold (`Y.encodeStateAsUpdate`), if there were updates. */
  state?: Uint8Array | undefined
  /** The state vector of the fold, whenever the document was built. */
  stateVector?: Uint8Array | undefined
  text?: string | undefined
  textLength?: number | undefined
  /** The diff against `diffAgainst`, of the fold if there were updates, else of the base. */
  diff?: Uint8Array | undefined
  sameAs?: boolean | undefined
  /** The update `replaceText` asked for ({@link EMPTY_UPDATE} if the text already equals it). */
  edit?: Uint8Array | undefined
  /** With `validate`: the state vector validation read, or why the state does not decode. */
  validated?: { stateVector: Uint8Array } | { invalid: string } | undefined
  /** With `collect`: the whole state, deleted content dropped (`Y.Doc({ gc: true })`). */
  collected?: Uint8Array | undefined
  /** With `attribute`: the text, and who wrote each span of it (`attributeText`). */
  attributed?: { text: string; spans: AttributedSpan[] } | undefined
  /** With `structure`: the structure (`DocStructure.toRuns`), or `null`. */
  structure?: StructureRuns | null | undefined
  /** Parts that threw when applied and were left out (see `fold` in `rooms/doc-state.ts`). */
  setAside: SetAsidePart[]
}

/**
 * A part of a {@link FoldRequest} threw when applied and does not decode at all: the document
 * is corrupt, not poisoned (see `UndecodableUpdateError`).
 */
export class UndecodablePartError extends Error {
  override readonly name = 'UndecodablePartError'
  constructor(
    /** -1 for the base, `i` for `updates[i]`. */
    readonly index: number,
    readonly reason: string,
  ) {
    super(`part ${index} does not decode: ${reason}`)
  }
}

/** From this size, bytes a job is given reach a worker in shared memory (see {@link inSharedMemory}). */
export const SHARE_FROM_BYTES = 256 * 1024

/**
 * `bytes` in shared memory if they are large (a copy; else `bytes` themselves): posted to a
 * worker, shared memory is shared, where a plain array is copied on the event loop (7-14 ms for
 * 10 MB here). A room keeps a large state this way, so that every job on it posts it for free.
 */
export function inSharedMemory(bytes: Uint8Array): Uint8Array {
  if (bytes.length < SHARE_FROM_BYTES || bytes.buffer instanceof SharedArrayBuffer) return bytes
  const shared = new Uint8Array(new SharedArrayBuffer(bytes.length))
  shared.set(bytes)
  return shared
}

/** Folds update bytes somewhere other than the event loop (a worker thread): bytes in, bytes out. */
export interface Folder {
  /**
   * Does `request` as {@link foldHere} does it. Rejects with {@link UndecodablePartError} as it
   * does, and with another error if the folder cannot do it (closed, too busy, its worker died).
   */
  fold(request: FoldRequest): Promise<FoldResult>
}

/** Whether `request` needs the document built, rather than its base's bytes read. */
function needsDocument(request: FoldRequest): boolean {
  return (
    request.updates.length > 0 ||
    request.textName !== undefined ||
    request.textLengthOf !== undefined ||
    request.compareWith !== undefined ||
    request.replaceText !== undefined ||
    request.attribute !== undefined ||
    request.collect === true
  )
}

/** What `validate` answers for `state`. */
function validated(state: Uint8Array): FoldResult['validated'] {
  try {
    return { stateVector: validateUpdateWithStateVector(state) }
  } catch (err) {
    return { invalid: err instanceof Error ? err.message : String(err) }
  }
}

/**
 * Does a {@link FoldRequest} on the event loop: the reference that the worker program
 * (`folder.ts`) follows step for step, and what a caller does for a small document or when no
 * worker can. Parts that throw are set aside exactly as `fold` sets them aside.
 */
export function foldHere(request: FoldRequest): FoldResult {
  const { base, updates } = request
  if (request.structure) {
    const parts = isEmptyUpdate(base) ? updates : [base, ...updates]
    const structure =
      request.structure === 'whole' ? DocStructure.ofLog(parts) : DocStructure.integrated(parts)
    return { structure: structure?.toRuns() ?? null, setAside: [] }
  }
  if (!needsDocument(request)) {
    return {
      diff: request.diffAgainst && Y.diffUpdate(base, request.diffAgainst),
      validated: request.validate ? validated(base) : undefined,
      setAside: [],
    }
  }
  let folded: { value: Omit<FoldResult, 'setAside'>; setAside: { seq: number; reason: string }[] }
  try {
    // Numbered by index, the base as -1, so that what is set aside says which part it was.
    const seqs = updates.map((_, i) => i)
    const { keepDeleted } = request
    folded = fold({ base, baseSeq: -1, updates, seqs, keepDeleted }, (doc) => {
      const state = updates.length > 0 ? Y.encodeStateAsUpdate(doc) : undefined
      const whole = state ?? base
      const out: Omit<FoldResult, 'setAside'> = {
        state,
        stateVector: Y.encodeStateVector(doc),
      }
      if (request.textName !== undefined) out.text = doc.getText(request.textName).toString()
      if (request.textLengthOf !== undefined) {
        out.textLength = doc.getText(request.textLengthOf).length
      }
      if (request.diffAgainst) out.diff = Y.diffUpdate(whole, request.diffAgainst)
      if (request.validate) out.validated = validated(whole)
      if (request.collect) {
        const collected = new Y.Doc({ gc: true })
        try {
          Y.applyUpdate(collected, whole)
          out.collected = Y.encodeStateAsUpdate(collected)
        } finally {
          collected.destroy()
        }
      }
      if (request.attribute) {
        const text = doc.getText(request.attribute.textName)
        out.attributed = {
          text: text.toString(),
          spans: attributeText(text, request.attribute.records),
        }
      }
      if (request.compareWith) {
        const other = new Y.Doc({ gc: true })
        try {
          Y.applyUpdate(other, request.compareWith)
          out.sameAs = Y.equalSnapshots(Y.snapshot(doc), Y.snapshot(other))
        } finally {
          other.destroy()
        }
      }
      // Last: it changes the document.
      if (request.replaceText) {
        const text = doc.getText(request.replaceText.textName)
        const edit = minimalEdit(text.toString(), request.replaceText.target)
        let captured: Uint8Array = EMPTY_UPDATE
        doc.on('update', (update: Uint8Array) => {
          captured = update
        })
        doc.transact(() => {
          if (edit.deleteCount > 0) text.delete(edit.index, edit.deleteCount)
          if (edit.insert.length > 0) text.insert(edit.index, edit.insert)
        })
        out.edit = captured
      }
      return out
    })
  } catch (err) {
    if (err instanceof UndecodableUpdateError) throw new UndecodablePartError(err.seq, err.reason)
    throw err
  }
  return {
    ...folded.value,
    setAside: folded.setAside.map(({ seq, reason }) => ({ index: seq, reason })),
  }
}
