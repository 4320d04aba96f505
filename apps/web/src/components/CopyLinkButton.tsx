import { useEffect, useState } from 'react'

type CopyState = 'idle' | 'copied' | 'failed'

const labels: Record<CopyState, string> = {
  idle: 'Copy link',
  copied: 'Link copied',
  failed: 'Copy the address bar',
}

/** Copies the page's address, the document's shareable link. */
export function CopyLinkButton() {
  const [state, setState] = useState<CopyState>('idle')

  useEffect(() => {
    if (state === 'idle') return
    const timer = setTimeout(() => setState('idle'), 2000)
    return () => clearTimeout(timer)
  }, [state])

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(location.href)
      setState('copied')
    } catch {
      setState('failed')
    }
  }

  return (
    <button type="button" className="button subtle" onClick={copy} aria-live="polite">
      {labels[state]}
    </button>
  )
}
