import { type SyntheticEvent, useEffect, useRef } from 'react'

/**
 * Shows a native `<dialog>` as a modal exactly while `open` is true, and calls `onDismiss` when
 * the browser closes it on its own (Escape). Spread the result on the `<dialog>`.
 *
 * The dismissal is taken from the `cancel` event, which the browser fires at once, before it
 * closes the dialog; not from `close`, which Chromium fires only at the next animation frame,
 * after as many tasks as a busy page runs until then. Between the two the dialog is already
 * closed while `open` would still be true, so a question asked again in that time (a second
 * file dropped at once) would change nothing and never show, and the late `close` would then
 * cancel it too. `close` still counts, but only when the dialog is closed while it should be
 * open.
 */
export function useModalDialog(open: boolean, onDismiss: () => void) {
  const ref = useRef<HTMLDialogElement>(null)

  useEffect(() => {
    const element = ref.current
    if (element === null) return
    if (open && !element.open) element.showModal()
    if (!open && element.open) element.close()
  }, [open])

  return {
    ref,
    onCancel: () => {
      if (open) onDismiss()
    },
    onClose: (event: SyntheticEvent<HTMLDialogElement>) => {
      if (open && !event.currentTarget.open) onDismiss()
    },
  }
}
