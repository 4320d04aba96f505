import type { Extension } from '@codemirror/state'
import { EditorView } from '@codemirror/view'

/**
 * Files pasted into the editor (a screenshot from the clipboard, files copied in a file
 * manager) go to `onFiles` instead of being dropped or pasted as their names; text pastes as
 * usual. Not while the editor is read-only: nothing of a paste reaches the handler then.
 */
export function filePaste(onFiles: (files: File[], view: EditorView) => void): Extension {
  return EditorView.domEventHandlers({
    paste(event, view) {
      const files = [...(event.clipboardData?.files ?? [])]
      if (files.length === 0 || view.state.readOnly || !view.state.facet(EditorView.editable)) {
        return false
      }
      event.preventDefault()
      onFiles(files, view)
      return true
    },
  })
}
