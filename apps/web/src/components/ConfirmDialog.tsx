import { type ReactNode, useId } from 'react'
import { useModalDialog } from '../hooks/useModalDialog'

export interface ConfirmDialogProps {
  /** Shown while true. */
  open: boolean
  title: string
  children: ReactNode
  confirmLabel: string
  onConfirm: () => void
  /** Cancel or Escape. */
  onCancel: () => void
}

/**
 * A modal question with Cancel and a confirming button: the native `<dialog>`, so focus stays
 * inside while it is open, Escape cancels and focus returns to where it was. Cancel has the
 * focus first, since what is confirmed replaces text. Its test ids (`confirm-dialog`,
 * `confirm-accept`) are set only while it is open: a page may hold several closed ones (the
 * document's, the share dialog's), and the open one is what a test means.
 */
export function ConfirmDialog({
  open,
  title,
  children,
  confirmLabel,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const dialog = useModalDialog(open, onCancel)
  const id = useId()

  return (
    <dialog
      {...dialog}
      className="dialog"
      data-testid={open ? 'confirm-dialog' : undefined}
      aria-labelledby={`${id}-title`}
      aria-describedby={`${id}-body`}
    >
      <form
        method="dialog"
        className="dialog-body"
        onSubmit={(event) => {
          event.preventDefault()
          onConfirm()
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        <div id={`${id}-body`} className="dialog-text">
          {children}
        </div>
        <div className="dialog-actions">
          {/* biome-ignore lint/a11y/noAutofocus: the safe choice takes the focus in a modal dialog. */}
          <button type="button" className="button secondary" onClick={onCancel} autoFocus>
            Cancel
          </button>
          <button
            type="submit"
            className="button primary"
            data-testid={open ? 'confirm-accept' : undefined}
          >
            {confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  )
}
