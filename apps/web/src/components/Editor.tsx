import { Compartment, EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { type RefObject, useEffect, useRef, useState } from 'react'
import type { CollabSession } from '../collab/session'
import { collaboration } from '../editor/collab'
import { followPerson } from '../editor/follow'
import { editable, loadEditing, proseSetup } from '../editor/setup'

/**
 * The CodeMirror editor bound to a session's shared text. The view is created once per mount
 * (and per session); `readOnly` is switched through a compartment. `viewRef` receives the view,
 * for focusing it; `onFollowChange` hears when following someone starts or stops.
 */
export function Editor({
  session,
  readOnly,
  viewRef,
  onFollowChange,
}: {
  session: CollabSession
  readOnly: boolean
  viewRef?: RefObject<EditorView | null>
  onFollowChange?: (clientId: number | null) => void
}) {
  const parent = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const [editability] = useState(() => new Compartment())
  const [editing] = useState(() => new Compartment())
  const followListener = useRef(onFollowChange)
  followListener.current = onFollowChange
  const readOnlyNow = useRef(readOnly)
  readOnlyNow.current = readOnly

  useEffect(() => {
    if (parent.current === null) return
    const created = new EditorView({
      parent: parent.current,
      state: EditorState.create({
        doc: session.text.toString(),
        extensions: [
          editability.of(editable(!readOnlyNow.current)),
          proseSetup(),
          editing.of([]),
          collaboration({
            text: session.text,
            awareness: session.awareness,
            undoManager: session.undoManager,
          }),
          followPerson({
            text: session.text,
            awareness: session.awareness,
            onChange: (clientId) => followListener.current?.(clientId),
          }),
        ],
      }),
    })
    view.current = created
    if (viewRef) viewRef.current = created
    scrollerFocus(created, readOnlyNow.current)
    created.focus()
    // Markdown and the key bindings arrive after the editor shows; a failed load (the network
    // went away meanwhile) is tried again once the browser is back online.
    let destroyed = false
    const load = () => {
      loadEditing().then(
        (extension) => {
          if (!destroyed) created.dispatch({ effects: editing.reconfigure(extension) })
        },
        () => {
          if (!destroyed) window.addEventListener('online', load, { once: true })
        },
      )
    }
    load()
    return () => {
      destroyed = true
      window.removeEventListener('online', load)
      view.current = null
      if (viewRef?.current === created) viewRef.current = null
      created.destroy()
    }
  }, [session, editability, editing, viewRef])

  useEffect(() => {
    const current = view.current
    if (current === null) return
    current.dispatch({ effects: editability.reconfigure(editable(!readOnly)) })
    scrollerFocus(current, readOnly)
  }, [readOnly, editability])

  return <div className="editor" ref={parent} />
}

/** Read-only text cannot take the focus; its scroller can, so the keyboard can scroll it. */
function scrollerFocus(view: EditorView, readOnly: boolean): void {
  if (readOnly) {
    view.scrollDOM.tabIndex = 0
    view.scrollDOM.setAttribute('aria-label', 'Document text (read only)')
  } else {
    view.scrollDOM.removeAttribute('tabindex')
    view.scrollDOM.removeAttribute('aria-label')
  }
}
