// The editing traces of ../shared/traces: loading, code-point positions, and building a Y.Doc.
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import * as Y from 'yjs'

/**
 * @typedef {[number, number, string]} Patch  position, deleted count, inserted text (code points)
 * @typedef {{ startContent?: string, endContent: string, kind?: string, numAgents?: number,
 *   txns: { patches: Patch[], agent?: number, parents?: number[] }[] }} Trace
 */

/** @param {string} file @returns {Trace} */
export function loadTrace(file) {
  return JSON.parse(gunzipSync(readFileSync(file)).toString('utf8'))
}

const surrogate = /[\uD800-\uDFFF]/

/** Whether any text of the trace holds a character outside the BMP. @param {Trace} trace */
export function hasAstral(trace) {
  if (surrogate.test(trace.startContent ?? '') || surrogate.test(trace.endContent)) return true
  return trace.txns.some((txn) => txn.patches.some((patch) => surrogate.test(patch[2])))
}

/**
 * Turns code-point positions and counts into UTF-16 ones for a text that currently reads
 * `content` (a plain walk: the traces here have no astral characters, so this is the rare path).
 * @param {string} content
 * @param {Patch} patch
 * @returns {{ index: number, length: number, next: string }}
 */
export function toUtf16(content, [pos, del, ins]) {
  let index = 0
  for (let cp = 0; cp < pos; cp++) index += (content.codePointAt(index) ?? 0) > 0xffff ? 2 : 1
  let end = index
  for (let cp = 0; cp < del; cp++) end += (content.codePointAt(end) ?? 0) > 0xffff ? 2 : 1
  return { index, length: end - index, next: content.slice(0, index) + ins + content.slice(end) }
}

/**
 * The edits of a sequential trace in UTF-16 units, in order: [index, deleteLength, insert].
 * @param {Trace} trace
 * @returns {Patch[]}
 */
export function utf16Edits(trace) {
  /** @type {Patch[]} */
  const edits = []
  if (!hasAstral(trace)) {
    for (const txn of trace.txns) for (const patch of txn.patches) edits.push(patch)
    return edits
  }
  let content = trace.startContent ?? ''
  for (const txn of trace.txns) {
    for (const patch of txn.patches) {
      const { index, length, next } = toUtf16(content, patch)
      edits.push([index, length, patch[2]])
      content = next
    }
  }
  return edits
}

/**
 * Applies one edit to a Y.Text. @param {Y.Text} text @param {Patch} edit
 */
export function applyEdit(text, [index, length, insert]) {
  if (length > 0) text.delete(index, length)
  if (insert.length > 0) text.insert(index, insert)
}

/**
 * The whole editing history of a sequential trace as one Yjs update (of the `codemirror` text),
 * typed in transactions of `perTransaction` edits.
 * @param {Trace} trace
 */
export function traceAsUpdate(trace, perTransaction = 100) {
  const doc = new Y.Doc()
  const text = doc.getText('codemirror')
  if (trace.startContent) text.insert(0, trace.startContent)
  const edits = utf16Edits(trace)
  for (let i = 0; i < edits.length; i += perTransaction) {
    doc.transact(() => {
      for (const edit of edits.slice(i, i + perTransaction)) applyEdit(text, edit)
    })
  }
  if (text.toString() !== trace.endContent)
    throw new Error('trace did not replay to its endContent')
  return Y.encodeStateAsUpdate(doc)
}

/**
 * A document of at least `minBytes` of Yjs update (issue 17's "10 MB document"): the sequential
 * traces replayed one after another at the end of one `codemirror` text, each pass by a new
 * client, in transactions of `perTransaction` edits, until the encoded state reaches the size.
 * Returns the update and the text it reads.
 * @param {Trace[]} traces  sequential traces (they must replay to their endContent)
 * @param {number} minBytes
 */
export function hugeDocument(traces, minBytes, perTransaction = 100) {
  let state = new Uint8Array(0)
  let text = ''
  for (let pass = 0; state.length < minBytes; pass++) {
    const trace = traces[pass % traces.length]
    const doc = new Y.Doc()
    if (state.length > 0) Y.applyUpdate(doc, state)
    const ytext = doc.getText('codemirror')
    const base = ytext.length
    if (trace.startContent) ytext.insert(base, trace.startContent)
    const edits = utf16Edits(trace)
    for (let i = 0; i < edits.length; i += perTransaction) {
      doc.transact(() => {
        for (const [index, length, insert] of edits.slice(i, i + perTransaction))
          applyEdit(ytext, [base + index, length, insert])
      })
    }
    text += trace.endContent
    if (ytext.length !== text.length) throw new Error(`pass ${pass} did not replay to its end`)
    state = Y.encodeStateAsUpdate(doc)
    doc.destroy()
  }
  return { update: state, text }
}
