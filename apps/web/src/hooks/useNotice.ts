import { useCallback, useEffect, useMemo, useState } from 'react'

/** A message shown above the editor. */
export interface Notice {
  readonly text: string
  /** An error stays until dismissed; anything else goes by itself after a while. */
  readonly error: boolean
}

/** How long a notice that is not an error stays, in milliseconds. */
const NOTICE_SHOWN_MS = 8_000

export interface Notices {
  /** The notice shown, if any: one at a time, the latest replacing the one before. */
  readonly notice: Notice | null
  /** Shows `text`: an error when `error` is true. Stable across renders. */
  readonly show: (text: string, error?: boolean) => void
  /** Takes the notice away. Stable across renders. */
  readonly dismiss: () => void
}

/** The page's one notice: set it, dismiss it; one that is not an error goes after 8 s. */
export function useNotice(): Notices {
  const [notice, setNotice] = useState<Notice | null>(null)

  useEffect(() => {
    if (notice === null || notice.error) return
    const timer = setTimeout(() => setNotice(null), NOTICE_SHOWN_MS)
    return () => clearTimeout(timer)
  }, [notice])

  const show = useCallback((text: string, error = false) => setNotice({ text, error }), [])
  const dismiss = useCallback(() => setNotice(null), [])
  return useMemo(() => ({ notice, show, dismiss }), [notice, show, dismiss])
}
