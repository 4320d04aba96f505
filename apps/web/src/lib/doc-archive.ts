import { fileHashOf } from '@tandem/protocol'
import { decodeImport, exportFileName } from './files'
import { readZip, writeZip, type ZipEntry } from './zip'

/** The files of a document as an export fetches them. */
export interface ArchivedFile {
  readonly bytes: Uint8Array
  /** The name the server gave it (`Content-Disposition`), if any. */
  readonly name: string | null
}

/** What a zip import holds: the text, and the files its links name. */
export interface ArchiveImport {
  /** The Markdown file's name in the archive. */
  readonly name: string
  readonly text: string
  /** The files the text links to, by the link target as written. */
  readonly files: ReadonlyMap<string, { readonly name: string; readonly bytes: Uint8Array }>
}

/** The most an imported archive may hold: 1,000 entries, 200 MB unpacked. */
export const ARCHIVE_LIMITS = { maxEntries: 1000, maxBytes: 200 * 1024 * 1024 }

/** A link or image target of Markdown: `](target)` or `](target "title")`. */
const LINK_TARGET = /\]\(\s*<?([^)\s>]+)>?(\s+"[^"]*")?\s*\)/g

/** The hashes of the file addresses (`/api/docs/…/files/<hash>`) the text links to, once each. */
export function linkedFiles(text: string, origin?: string): string[] {
  const hashes = new Set<string>()
  for (const match of text.matchAll(LINK_TARGET)) {
    const hash = fileHashOf(match[1] ?? '', origin)
    if (hash !== null) hashes.add(hash)
  }
  return [...hashes]
}

/** A file name safe on every file system, from what the server called it. */
function safeName(name: string | null): string {
  const cleaned = (name ?? '')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes.
    .replace(/[<>:"/\\|?*\u0000-\u001f\u007f]+/g, '-')
    .replace(/^[\s.]+|[\s.]+$/g, '')
  return cleaned || 'file'
}

/**
 * The document as a zip archive: its Markdown (`<name>.md`) and, under `files/`, every file of
 * the document the text links to, the links rewritten to those copies (relative, so the
 * archive reads anywhere). `fetchFile` gives a file's bytes, or `null` for one it cannot get
 * (its link is left as it was); `missing` counts those.
 */
export async function exportArchive(
  docName: string,
  text: string,
  fetchFile: (hash: string) => Promise<ArchivedFile | null>,
  origin?: string,
): Promise<{ zip: Uint8Array; missing: number }> {
  const entries: ZipEntry[] = []
  const paths = new Map<string, string>()
  let missing = 0
  for (const hash of linkedFiles(text, origin)) {
    const file = await fetchFile(hash)
    if (file === null) {
      missing++
      continue
    }
    const path = `files/${hash.slice(0, 12)}-${safeName(file.name)}`
    paths.set(hash, path)
    entries.push({ name: path, bytes: file.bytes })
  }
  const rewritten = text.replace(
    LINK_TARGET,
    (whole, target: string, title: string | undefined) => {
      const hash = fileHashOf(target, origin)
      const path = hash === null ? undefined : paths.get(hash)
      return path === undefined
        ? whole
        : `](${path.split('/').map(encodeURIComponent).join('/')}${title ?? ''})`
    },
  )
  const markdown = {
    name: exportFileName(docName, 'md'),
    bytes: new TextEncoder().encode(rewritten),
  }
  return { zip: writeZip([markdown, ...entries]), missing }
}

/** `path` resolved against the directory `dir` (`a/b` + `../c` is `a/c`), or `null` if it leaves the archive. */
function resolve(dir: string, path: string): string | null {
  const parts = dir === '' ? [] : dir.split('/')
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue
    if (part === '..') {
      if (parts.length === 0) return null
      parts.pop()
    } else parts.push(part)
  }
  return parts.join('/')
}

/**
 * Reads an exported archive (or any zip holding one Markdown or text file): the text, and the
 * archive's files its links name by a relative path. Throws a `ZipError`, or an `Error` saying
 * what is wrong, for an archive it cannot take.
 */
export async function readArchive(bytes: Uint8Array): Promise<ArchiveImport> {
  const entries = await readZip(bytes, ARCHIVE_LIMITS)
  const texts = entries
    .filter((e) => /\.(md|markdown|txt)$/i.test(e.name) && !e.name.startsWith('__MACOSX/'))
    .sort((a, b) => a.name.split('/').length - b.name.split('/').length)
  const main = texts[0]
  if (main === undefined) throw new Error('it holds no Markdown or text file')
  const read = decodeImport(main.bytes)
  if (!read.ok) throw new Error(read.problem)
  const dir = main.name.includes('/') ? main.name.slice(0, main.name.lastIndexOf('/')) : ''
  const byPath = new Map(entries.map((e) => [e.name, e]))
  const files = new Map<string, { name: string; bytes: Uint8Array }>()
  for (const match of read.text.matchAll(LINK_TARGET)) {
    const target = match[1] ?? ''
    if (files.has(target) || /^[a-z][a-z0-9+.-]*:|^\/|^#/i.test(target)) continue
    let decoded: string
    try {
      decoded = decodeURIComponent(target)
    } catch {
      continue
    }
    const path = resolve(dir, decoded)
    const entry = path === null ? undefined : byPath.get(path)
    if (entry === undefined || entry === main) continue
    const base = entry.name.slice(entry.name.lastIndexOf('/') + 1)
    // Exported names start with the hash's first 12 digits; the file keeps the rest.
    files.set(target, { name: base.replace(/^[0-9a-f]{12}-/, ''), bytes: entry.bytes })
  }
  return { name: main.name, text: read.text, files }
}

/** `text` with each link target of `urls` replaced by its new address. */
export function relink(text: string, urls: ReadonlyMap<string, string>): string {
  return text.replace(LINK_TARGET, (whole, target: string, title: string | undefined) => {
    const url = urls.get(target)
    return url === undefined ? whole : `](${url}${title ?? ''})`
  })
}
