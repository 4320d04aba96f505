import type { PendingImport } from '../hooks/useFileImport'
import type { Version } from '../lib/history-api'
import { undoKey } from '../lib/keys'
import { describeTime } from '../lib/time'
import { versionTitle } from '../lib/versions'
import { ConfirmDialog } from './ConfirmDialog'

export interface ReplaceTextDialogProps {
  /** A file waiting to replace the text; it takes precedence over a restore. */
  pendingImport: PendingImport | null
  /** Whether a version waits to be restored, and which one (when its preview has loaded). */
  restoring: boolean
  version: Version | null
  onConfirmImport: () => void
  onConfirmRestore: () => void
  onCancel: () => void
}

/**
 * The one question asked before the whole text is replaced for everyone: by an imported file,
 * or by a version restored from the history.
 */
export function ReplaceTextDialog({
  pendingImport,
  restoring,
  version,
  onConfirmImport,
  onConfirmRestore,
  onCancel,
}: ReplaceTextDialogProps) {
  return (
    <ConfirmDialog
      open={pendingImport !== null || restoring}
      title={pendingImport ? 'Replace the text with this file?' : 'Restore this version?'}
      confirmLabel={pendingImport ? 'Replace text' : 'Restore'}
      onConfirm={pendingImport ? onConfirmImport : onConfirmRestore}
      onCancel={onCancel}
    >
      {pendingImport ? (
        <p>
          The whole document is replaced by “{pendingImport.name}” (
          {pendingImport.text.length.toLocaleString()} characters), for everyone editing it. You can
          undo it with {undoKey()}.
        </p>
      ) : (
        <p>
          The text becomes{' '}
          {version
            ? `“${versionTitle(version)}” of ${describeTime(version.createdAtMs, Date.now())}`
            : 'this version'}{' '}
          for everyone editing it. The restore is a new change: the version history keeps the text
          as it is now.
        </p>
      )}
    </ConfirmDialog>
  )
}
