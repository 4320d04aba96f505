import { Annotation, ChangeSet, type EditorState, StateField, Transaction } from '@codemirror/state'
import type * as Y from 'yjs'

/**
 * Before the editor is bound to the shared text (the offline copy of a large document takes
 * seconds to apply), it shows the copy's stored text and takes typing like any editor. This
 * keeps what was typed meanwhile, as changes from the text it showed, so that binding can carry
 * them into the shared text: {@link bindingChanges}.
 */

/** Marks a transaction that sets the text the edits are counted from (not an edit). */
const baseText = Annotation.define<true>()

interface Pending {
  /** The text shown before any edit. */
  readonly base: string
  /** From `base` to the editor's text. */
  readonly changes: ChangeSet
}

/** What was typed since the editor showed its base text. */
export const pendingEdits = StateField.define<Pending>({
  create: (state) => ({ base: state.doc.toString(), changes: ChangeSet.empty(state.doc.length) }),
  update(pending, tr) {
    if (tr.annotation(baseText)) {
      return { base: tr.newDoc.toString(), changes: ChangeSet.empty(tr.newDoc.length) }
    }
    return tr.docChanged
      ? { base: pending.base, changes: pending.changes.compose(tr.changes) }
      : pending
  },
})

/**
 * A transaction spec that shows `text` as the base, if nothing was typed yet (else `null`: the
 * editor keeps what it has, and binding sorts it out).
 */
export function showBase(state: EditorState, text: string) {
  const pending = state.field(pendingEdits, false)
  if (pending === undefined || !pending.changes.empty || state.doc.toString() === text) return null
  return {
    changes: { from: 0, to: state.doc.length, insert: text },
    annotations: [baseText.of(true), Transaction.addToHistory.of(false)],
  }
}

/** The one change that turns `from` into `to`: what lies between their common start and end. */
export function difference(from: string, to: string): ChangeSet {
  const max = Math.min(from.length, to.length)
  let start = 0
  while (start < max && from.charCodeAt(start) === to.charCodeAt(start)) start++
  let end = 0
  while (
    end < max - start &&
    from.charCodeAt(from.length - 1 - end) === to.charCodeAt(to.length - 1 - end)
  ) {
    end++
  }
  return ChangeSet.of(
    start === from.length && start === to.length
      ? []
      : [{ from: start, to: from.length - end, insert: to.slice(start, to.length - end) }],
    from.length,
  )
}

/**
 * How to bind an editor that has `state` to a shared text that reads `shared`: `toShared`, the
 * edits typed since the base text was shown, moved onto `shared`; `toEditor`, what turns the
 * editor's text into `shared` with those edits. When the base was the shared text (the usual
 * case) `toEditor` is empty and `toShared` is what was typed.
 */
export function bindingChanges(
  state: EditorState,
  shared: string,
): { toShared: ChangeSet; toEditor: ChangeSet } {
  const { base, changes } = state.field(pendingEdits)
  const moved = base === shared ? ChangeSet.empty(base.length) : difference(base, shared)
  return { toShared: changes.map(moved), toEditor: moved.map(changes, true) }
}

/** The transaction annotations for `toEditor`: not an edit of this client. */
export const bindingAnnotations = [baseText.of(true), Transaction.addToHistory.of(false)]

/** Applies `changes` (from the text's current content) to the shared text `text`. */
export function applyToText(text: Y.Text, changes: ChangeSet): void {
  // Positions are of the text before the changes; later ones first, so earlier stay valid.
  const parts: { from: number; to: number; insert: string }[] = []
  changes.iterChanges((from, to, _fromB, _toB, insert) => {
    parts.push({ from, to, insert: insert.toString() })
  })
  for (const { from, to, insert } of parts.reverse()) {
    if (to > from) text.delete(from, to - from)
    if (insert.length > 0) text.insert(from, insert)
  }
}
