import { useEffect, useRef } from 'react'
import type * as Y from 'yjs'
import { renderMarkdown } from '../lib/markdown'

/** The shortest pause between two renderings, in ms; longer for texts that take long. */
const MIN_INTERVAL_MS = 50

/**
 * The shared text rendered as Markdown, sanitised (see `lib/markdown.ts`), following every
 * change: rendered at most once per frame-ish interval, which grows with the time a rendering
 * takes, so that a long text does not slow typing down.
 */
export default function MarkdownPreview({ text }: { text: Y.Text }) {
  const body = useRef<HTMLDivElement>(null)

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | null = null
    let lastRenderMs = 0
    let lastCostMs = 0
    let rendered: string | null = null

    const render = () => {
      timer = null
      const element = body.current
      if (element === null) return
      const source = text.toString()
      if (source === rendered) return
      const started = performance.now()
      element.replaceChildren(renderMarkdown(source))
      element.dataset.empty = String(source.trim() === '')
      rendered = source
      lastRenderMs = performance.now()
      lastCostMs = lastRenderMs - started
    }
    const schedule = () => {
      if (timer !== null) return
      const interval = Math.max(MIN_INTERVAL_MS, lastCostMs * 4)
      const wait = Math.max(0, lastRenderMs + interval - performance.now())
      timer = setTimeout(render, wait)
    }

    render()
    text.observe(schedule)
    return () => {
      text.unobserve(schedule)
      if (timer !== null) clearTimeout(timer)
    }
  }, [text])

  return <div className="markdown-body" ref={body} />
}
