import { useEffect, useRef } from 'react'
import type * as Y from 'yjs'
import { type RenderOptions, renderMarkdown } from '../lib/markdown'
import { linkDefinitions, splitMarkdown } from '../lib/markdown-parts'

/** The shortest pause between two renderings, in ms; longer for texts that take long to read. */
const MIN_INTERVAL_MS = 50
/** Characters of Markdown rendered as one part (`lib/markdown-parts.ts`). */
const PART_CHARS = 16_000
/** Rendering yields to the page after this long, in ms, and goes on in a later task. */
const SLICE_MS = 12

/**
 * The shared text rendered as Markdown, sanitised (see `lib/markdown.ts`), following every
 * change: rendered at most once per frame-ish interval, which grows with the time a rendering
 * takes, so that a long text does not slow typing down. A long text is rendered in parts, a few
 * at a time between which the page goes on, and after an edit only the parts that changed are
 * rendered again: a document of megabytes never holds the page for more than a slice. Images
 * of the document's files come from `fileUrl` (see `renderMarkdown`).
 */
export default function MarkdownPreview({
  text,
  fileUrl,
  local,
}: {
  text: Y.Text
  fileUrl?: (hash: string) => string
  /** Files not uploaded yet, as object URLs by placeholder id (see `useUploads`). */
  local?: ReadonlyMap<string, string>
}) {
  const body = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const options: RenderOptions = {
      fileUrl,
      origin: location.origin,
      localUrl: (id) => local?.get(id),
    }
    let timer: ReturnType<typeof setTimeout> | null = null
    let lastRenderMs = 0
    let lastCostMs = 0
    let rendered: string | null = null
    // The parts shown, by the Markdown each was rendered from.
    let shown = new Map<string, HTMLElement[]>()
    let generation = 0

    const render = () => {
      timer = null
      const element = body.current
      if (element === null) return
      const source = text.toString()
      if (source === rendered) return
      const started = performance.now()
      const current = ++generation
      const definitions = linkDefinitions(source)
      const keys = splitMarkdown(source, PART_CHARS).map((part) =>
        definitions === '' ? part : `${part}\n\n${definitions}\n`,
      )
      const next = new Map<string, HTMLElement[]>()
      const keep = (key: string, part: HTMLElement) => {
        const list = next.get(key)
        if (list) list.push(part)
        else next.set(key, [part])
      }
      const todo: { key: string; part: HTMLElement }[] = []
      const parts = keys.map((key) => {
        const reused = shown.get(key)?.pop()
        if (reused !== undefined) {
          keep(key, reused)
          return reused
        }
        const part = document.createElement('div')
        part.className = 'preview-part'
        todo.push({ key, part })
        return part
      })
      // Only rendered parts are kept for reuse: a rendering cut short leaves nothing half done.
      shown = next
      rendered = source
      element.dataset.empty = String(source.trim() === '')
      // Parts not yet rendered stay empty until their turn, in order from the top.
      replaceParts(element, parts)
      lastRenderMs = performance.now()
      lastCostMs = lastRenderMs - started
      const renderSome = () => {
        if (current !== generation) return
        const sliceStart = performance.now()
        while (todo.length > 0 && performance.now() - sliceStart < SLICE_MS) {
          const { key, part } = todo.shift() as { key: string; part: HTMLElement }
          part.replaceChildren(renderMarkdown(key, options))
          keep(key, part)
        }
        if (todo.length > 0) setTimeout(renderSome, 0)
      }
      renderSome()
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
      generation++
      text.unobserve(schedule)
      if (timer !== null) clearTimeout(timer)
    }
  }, [text, fileUrl, local])

  return <div className="markdown-body" ref={body} />
}

/**
 * Makes `parts` the children of `element`, touching only those between the unchanged start and
 * end: a preview of megabytes is laid out again around the edit, not as a whole.
 */
function replaceParts(element: HTMLElement, parts: HTMLElement[]): void {
  const old = element.children
  let start = 0
  while (start < parts.length && start < old.length && old[start] === parts[start]) start++
  let end = 0
  while (
    end < parts.length - start &&
    end < old.length - start &&
    old[old.length - 1 - end] === parts[parts.length - 1 - end]
  ) {
    end++
  }
  const before = old[old.length - end] ?? null
  for (let i = old.length - end - 1; i >= start; i--) old[i]?.remove()
  const fresh = document.createDocumentFragment()
  fresh.append(...parts.slice(start, parts.length - end))
  element.insertBefore(fresh, before)
}
