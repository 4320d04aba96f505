import { fileHashOf } from '@tandem/protocol'
import DOMPurify, { type Config } from 'dompurify'
import { Marked } from 'marked'

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
}

/** `text` as HTML text: every character that could start markup escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => escapes[c] ?? c)
}

/**
 * Markdown (GitHub's dialect) to HTML. Raw HTML in the text is shown as text, as markdown-it's
 * `html: false` does: a shared document is anyone's input, and markup never reaches an HTML
 * parser (even an inert one makes the browser check an inline handler against the page's
 * policy). Links keep whatever scheme they were given, so the result is NOT safe by itself: use
 * {@link renderMarkdown}, which sanitises it.
 */
const marked = new Marked({
  async: false,
  gfm: true,
  renderer: {
    html: ({ text, block }) => (block ? `<p>${escapeHtml(text)}</p>` : escapeHtml(text)),
    // Task list boxes as characters: form controls are not let through the sanitiser.
    checkbox: ({ checked }) => (checked ? '☑ ' : '☐ '),
  },
})

/** Markdown to (unsanitised) HTML. */
export function markdownToHtml(text: string): string {
  return marked.parse(text, { async: false })
}

/**
 * What the preview lets through: DOMPurify's HTML profile (no script, no event handler, no
 * `javascript:` or other unsafe URL), without elements that could pose as the app (forms,
 * frames, styles, SVG) and without attributes that could restyle or clobber it.
 */
const sanitizeConfig: Config = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: [
    'style',
    'link',
    'meta',
    'base',
    'form',
    'input',
    'button',
    'textarea',
    'select',
    'option',
    'iframe',
    'frame',
    'frameset',
    'object',
    'embed',
    'dialog',
    'template',
    'slot',
    'video',
    'audio',
    'source',
    'track',
    'picture',
    'svg',
    'math',
  ],
  FORBID_ATTR: [
    'style',
    'class',
    'id',
    'name',
    'srcset',
    'target',
    'ping',
    'form',
    'formaction',
    'action',
    'autofocus',
    'tabindex',
    'accesskey',
    'popover',
    'contenteditable',
  ],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  // DOMPurify's own list, plus the placeholders of uploads (`tandem-upload:<id>`), which
  // `renderMarkdown` replaces before anything could load them.
  ALLOWED_URI_REGEXP:
    /^(?:(?:(?:f|ht)tps?|mailto|tel|callto|sms|cid|xmpp|matrix|tandem-upload):|[^a-z]|[a-z+.-]+(?:[^a-z+.\-:]|$))/i,
}

const PLACEHOLDER = /^tandem-upload:([0-9a-z]{1,64})$/

/** Images embedded in the text itself; anything else would be fetched from elsewhere. */
const INLINE_IMAGE = /^data:image\/(?:png|gif|jpe?g|webp|avif);base64,[a-z0-9+/=\s]*$/i

/** How the preview reaches the document's files. */
export interface RenderOptions {
  /**
   * Where this page fetches the document's file `hash` from (with its token). Without it, file
   * addresses are shown as their alternative text like any other.
   */
  fileUrl?: (hash: string) => string
  /** The origin a file address may be written with besides a bare path (the API's). */
  origin?: string
  /**
   * The local copy (an object URL) of the file an upload placeholder stands for, while this
   * browser keeps it; `undefined` for one it does not.
   */
  localUrl?: (id: string) => string | undefined
}

/**
 * Markdown rendered for the preview: parsed with `marked` (raw HTML shown as text), sanitised
 * with DOMPurify into an inert fragment (parsed in a document without a window, so nothing in it
 * loads or runs), then finished: an image whose address is a file of a document
 * (`/api/docs/…/files/<hash>`) is shown from this document's files (`fileUrl`), sized to the
 * column and loaded lazily; other images that would be fetched from elsewhere become their
 * alternative text (the page loads nothing from other sites, and a shared document should not
 * learn who reads it); links to files go to this document's file, and every link opens in a
 * new tab without a referrer. Append the fragment to show it.
 */
export function renderMarkdown(text: string, options: RenderOptions = {}): DocumentFragment {
  const { fileUrl, origin, localUrl } = options
  const fragment = DOMPurify.sanitize(markdownToHtml(text), {
    ...sanitizeConfig,
    RETURN_DOM_FRAGMENT: true,
  })
  const doc = fragment.ownerDocument
  for (const img of fragment.querySelectorAll('img')) {
    const src = img.getAttribute('src') ?? ''
    if (INLINE_IMAGE.test(src)) continue
    const placeholder = PLACEHOLDER.exec(src)?.[1]
    const local = placeholder === undefined ? undefined : localUrl?.(placeholder)
    if (local?.startsWith('blob:')) {
      img.setAttribute('src', local)
      img.className = 'preview-file-image preview-local-image'
      img.title = 'Not uploaded yet: shown from this browser'
      continue
    }
    const hash = fileUrl ? fileHashOf(src, origin) : null
    if (hash !== null && fileUrl) {
      img.setAttribute('src', fileUrl(hash))
      img.setAttribute('loading', 'lazy')
      img.setAttribute('decoding', 'async')
      img.className = 'preview-file-image'
      continue
    }
    const alt = img.getAttribute('alt')?.trim()
    const stand = doc.createElement('span')
    stand.className = 'preview-image-placeholder'
    stand.title =
      placeholder !== undefined
        ? 'Being uploaded'
        : src
          ? `Image not shown: ${src}`
          : 'Image not shown'
    stand.textContent = `[${alt || 'image'}]`
    img.replaceWith(stand)
  }
  for (const link of fragment.querySelectorAll('a[href]')) {
    const href = link.getAttribute('href') ?? ''
    if (href.startsWith('#')) continue
    if (PLACEHOLDER.test(href)) {
      link.removeAttribute('href')
      continue
    }
    const hash = fileUrl ? fileHashOf(href, origin) : null
    if (hash !== null && fileUrl) link.setAttribute('href', fileUrl(hash))
    link.setAttribute('target', '_blank')
    link.setAttribute('rel', 'noopener noreferrer nofollow')
  }
  return fragment
}
