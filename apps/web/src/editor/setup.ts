import { EditorState, type Extension } from '@codemirror/state'
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightSpecialChars,
  placeholder,
  rectangularSelection,
} from '@codemirror/view'
import { tandemTheme } from './theme'

/**
 * What the editor needs to show a document and take typing, from CodeMirror's core alone: the
 * first half of CodeMirror's `basicSetup` for prose (no line numbers, folding, autocompletion or
 * `history()`: undo comes from the collaboration extension, so that it undoes only your own
 * edits). Markdown and the key bindings come with {@link loadEditing}, once the editor shows.
 */
export function proseSetup(): Extension {
  return [
    highlightSpecialChars(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ spellcheck: 'true', 'aria-label': 'Document text' }),
    placeholder('Start writing. Everyone with the link sees your changes as you type.'),
    tandemTheme(),
  ]
}

/**
 * The rest of the editing setup (`editing.ts`: Markdown, its styles, the key bindings, search),
 * loaded apart so that the editor can show before it arrives; the browser types and moves the
 * cursor natively meanwhile.
 */
export function loadEditing(): Promise<Extension> {
  return import('./editing').then((module) => module.editingSetup())
}

/** Whether the document can be edited; put it in a compartment to switch at run time. */
export function editable(on: boolean): Extension {
  return [EditorView.editable.of(on), EditorState.readOnly.of(!on)]
}
