import { defaultKeymap } from '@codemirror/commands'
import { markdown, markdownLanguage } from '@codemirror/lang-markdown'
import { bracketMatching, indentOnInput } from '@codemirror/language'
import { highlightSelectionMatches, searchKeymap } from '@codemirror/search'
import { EditorState, type Extension } from '@codemirror/state'
import {
  crosshairCursor,
  drawSelection,
  dropCursor,
  EditorView,
  highlightActiveLine,
  highlightSpecialChars,
  keymap,
  placeholder,
  rectangularSelection,
} from '@codemirror/view'
import { markdownStyles } from './markdown-styles'
import { tandemTheme } from './theme'

/**
 * The editing basics for Markdown prose, like CodeMirror's `basicSetup` without line numbers,
 * folding, autocompletion or `history()`: undo comes from the collaboration extension, so that it
 * undoes only your own edits.
 */
export function proseSetup(): Extension {
  return [
    highlightSpecialChars(),
    drawSelection(),
    dropCursor(),
    EditorState.allowMultipleSelections.of(true),
    indentOnInput(),
    bracketMatching(),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    EditorView.lineWrapping,
    EditorView.contentAttributes.of({ spellcheck: 'true', 'aria-label': 'Document text' }),
    placeholder('Start writing. Everyone with the link sees your changes as you type.'),
    markdown({ base: markdownLanguage }),
    markdownStyles(),
    tandemTheme(),
    keymap.of([...searchKeymap, ...defaultKeymap]),
  ]
}

/** Whether the document can be edited; put it in a compartment to switch at run time. */
export function editable(on: boolean): Extension {
  return [EditorView.editable.of(on), EditorState.readOnly.of(!on)]
}
