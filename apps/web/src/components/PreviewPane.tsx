import { lazy, Suspense } from 'react'
import type * as Y from 'yjs'

// Markdown and its sanitiser load when the preview is first shown.
const MarkdownPreview = lazy(() => import('./MarkdownPreview'))

/** The live Markdown preview of `text`, beside the editor; `id` for the toggle's `aria-controls`. */
export function PreviewPane({
  id,
  text,
  fileUrl,
  local,
}: {
  id: string
  text: Y.Text
  /** Where the document's files are fetched from (see `renderMarkdown`). */
  fileUrl?: (hash: string) => string
  /** Files not uploaded yet, as object URLs by placeholder id. */
  local?: ReadonlyMap<string, string>
}) {
  return (
    <section
      id={id}
      className="markdown-preview"
      data-testid="markdown-preview"
      aria-label="Preview"
      // biome-ignore lint/a11y/noNoninteractiveTabindex: the preview scrolls; the keyboard must reach it.
      tabIndex={0}
    >
      <Suspense fallback={<p className="muted preview-loading">Loading the preview…</p>}>
        <MarkdownPreview text={text} fileUrl={fileUrl} local={local} />
      </Suspense>
    </section>
  )
}
