import * as Y from 'yjs'

/** A person's selection in the shared text, as indexes; `head` is where their caret is. */
export interface CursorRange {
  readonly anchor: number
  readonly head: number
}

/**
 * Where the person with awareness `state` has their selection in `text` (the `cursor` field
 * y-codemirror.next publishes: Yjs relative positions), or `null` when they have none there.
 */
export function cursorRange(
  state: Record<string, unknown> | undefined,
  text: Y.Text,
): CursorRange | null {
  const doc = text.doc
  const cursor = state?.cursor as { anchor?: unknown; head?: unknown } | null | undefined
  if (doc === null || cursor?.anchor == null || cursor.head == null) return null
  const rootName = rootNameOf(text)
  const index = (relative: unknown) => {
    // A position naming another root type would make Yjs define that type in this document.
    const tname = (relative as { tname?: unknown } | null)?.tname
    if (tname != null && tname !== rootName) return null
    let position: Y.AbsolutePosition | null
    try {
      position = Y.createAbsolutePositionFromRelativePosition(
        Y.createRelativePositionFromJSON(relative),
        doc,
      )
    } catch {
      return null
    }
    return position !== null && position.type === text
      ? Math.min(position.index, text.length)
      : null
  }
  const anchor = index(cursor.anchor)
  const head = index(cursor.head)
  return anchor === null || head === null ? null : { anchor, head }
}

/** A key that changes whenever a person's published selection does (their activity). */
export function cursorKey(state: Record<string, unknown> | undefined): string {
  const cursor = state?.cursor
  return cursor == null ? '' : JSON.stringify(cursor)
}

/** The name under which `text` is a root type of its document, if it is one. */
function rootNameOf(text: Y.Text): string | null {
  if (text.doc === null || text._item !== null) return null
  for (const [name, type] of text.doc.share) if ((type as unknown) === text) return name
  return null
}
