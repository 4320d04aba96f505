import { Compartment, EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { type RefObject, useEffect, useRef, useState } from 'react'
import type { CollabSession } from '../collab/session'
import { collaboration } from '../editor/collab'
import { editable, proseSetup } from '../editor/setup'

/**
 * The CodeMirror editor bound to a session's shared text. The view is created once per mount
 * (and per session); `readOnly` is switched through a compartment. `viewRef` receives the view,
 * for focusing it.
 */
export function Editor({
  session,
  readOnly,
  viewRef,
}: {
  session: CollabSession
  readOnly: boolean
  viewRef?: RefObject<EditorView | null>
}) {
  const parent = useRef<HTMLDivElement>(null)
  const view = useRef<EditorView | null>(null)
  const [editability] = useState(() => new Compartment())

  useEffect(() => {
    if (parent.current === null) return
    const created = new EditorView({
      parent: parent.current,
      state: EditorState.create({
        doc: session.text.toString(),
        extensions: [
          editability.of(editable(true)),
          proseSetup(),
          collaboration({
            text: session.text,
            awareness: session.awareness,
            undoManager: session.undoManager,
          }),
        ],
      }),
    })
    view.current = created
    if (viewRef) viewRef.current = created
    created.focus()
    return () => {
      view.current = null
      if (viewRef?.current === created) viewRef.current = null
      created.destroy()
    }
  }, [session, editability, viewRef])

  useEffect(() => {
    view.current?.dispatch({ effects: editability.reconfigure(editable(!readOnly)) })
  }, [readOnly, editability])

  return <div className="editor" ref={parent} />
}
