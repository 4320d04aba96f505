import { Compartment, EditorState } from '@codemirror/state'
import { EditorView } from '@codemirror/view'
import { type RefObject, useEffect, useRef, useState } from 'react'
import type { CollabSession } from '../collab/session'
import { authorship } from '../editor/authorship'
import {
  applyToText,
  bindingAnnotations,
  bindingChanges,
  pendingEdits,
  showBase,
} from '../editor/before-bound'
import { collaboration } from '../editor/collab'
import { followPerson } from '../editor/follow'
import { editable, loadEditing, proseSetup } from '../editor/setup'

/**
 * The CodeMirror editor bound to a session's shared text. The view is created once per mount
 * (and per session); `readOnly` is switched through a compartment. `viewRef` receives the view,
 * for focusing it; `onFollowChange` hears when following someone starts or stops.
 *
 * Until the session has loaded its offline copy, the editor shows the copy's stored text and
 * keeps what is typed (`editor/before-bound.ts`); once loaded, it carries those edits into the
 * shared text and binds to it.
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
  const [binding] = useState(() => new Compartment())
  const followListener = useRef(onFollowChange)
  followListener.current = onFollowChange
  const readOnlyNow = useRef(readOnly)
  readOnlyNow.current = readOnly

  useEffect(() => {
    if (parent.current === null) return
    const bound = () => [
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
    ]
    const loaded = session.isLoaded()
    const created = new EditorView({
      parent: parent.current,
      state: EditorState.create({
        doc: session.text.toString(),
        extensions: [
          editability.of(editable(!readOnlyNow.current)),
          proseSetup(),
          authorship({ cursor: true }),
          editing.of([]),
          binding.of(loaded ? bound() : pendingEdits),
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
    if (!loaded) {
      void session.storedText.then((stored) => {
        if (destroyed || stored === null || session.isLoaded()) return
        const show = showBase(created.state, stored)
        if (show !== null) created.dispatch(show)
      })
      void session.loaded.then(() => {
        if (destroyed) return
        const { toShared, toEditor } = bindingChanges(created.state, session.text.toString())
        if (!toShared.empty) session.edit(() => applyToText(session.text, toShared))
        if (!toEditor.empty)
          created.dispatch({ changes: toEditor, annotations: bindingAnnotations })
        created.dispatch({ effects: binding.reconfigure(bound()) })
      })
    }
    return () => {
      destroyed = true
      window.removeEventListener('online', load)
      view.current = null
      if (viewRef?.current === created) viewRef.current = null
      created.destroy()
    }
  }, [session, editability, editing, binding, viewRef])

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
