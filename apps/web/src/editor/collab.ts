import type { Extension } from '@codemirror/state'
import { EditorView, keymap } from '@codemirror/view'
import {
  ySync as yCodemirrorSync,
  yCollab,
  yRemoteSelections,
  yUndoManagerKeymap,
} from 'y-codemirror.next'
import type { Awareness } from 'y-protocols/awareness'
import type * as Y from 'yjs'
import { remoteSelections } from './remote-selections'
import { ySync } from './y-sync'

export interface CollaborationOptions {
  /** The shared text the editor mirrors. */
  text: Y.Text
  /** Carries this client's cursor and `user` ({ name, color, colorLight }) to the others. */
  awareness: Awareness
  /** Tracks only this client's edits, so undo never reverts someone else's work. */
  undoManager: Y.UndoManager
}

/**
 * Binds the editor to a shared Y.Text: y-codemirror.next's `yCollab` for syncing and per-user
 * undo (Mod-z, Mod-y, Mod-Shift-z; a change of focus ends an undo step), with its remote-selection plugin replaced by one whose name
 * labels follow renames (see `remote-selections.ts`), and its sync plugin by one whose cost
 * for a change from elsewhere does not grow with the whole document (see `y-sync.ts`).
 */
export function collaboration({ text, awareness, undoManager }: CollaborationOptions): Extension {
  const parts = yCollab(text, awareness, { undoManager })
  if (
    !Array.isArray(parts) ||
    !parts.includes(yRemoteSelections) ||
    !parts.includes(yCodemirrorSync)
  ) {
    throw new Error(
      'yCollab no longer includes ySync and yRemoteSelections; revisit editor/collab.ts',
    )
  }
  return [
    parts.map((part) =>
      part === yRemoteSelections
        ? remoteSelections({ text, awareness })
        : part === yCodemirrorSync
          ? ySync
          : part,
    ),
    keymap.of(yUndoManagerKeymap),
    // Typing, then doing something else (the search panel, a dialog) and coming back, is two
    // steps to undo, however quickly it happened: the undo manager otherwise merges edits made
    // within 500 ms of each other.
    EditorView.focusChangeEffect.of(() => {
      undoManager.stopCapturing()
      return null
    }),
  ]
}
