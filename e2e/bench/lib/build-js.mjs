// The web app's JavaScript as built (apps/web/dist): every chunk's gzipped size, and the chunks
// a document page needs before its editor can show: the entry that index.html loads, the
// document page's chunk, and everything either imports statically.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'

const staticImport =
  /import\s*(?:\{[^}]*\}|\*\s*as\s*[\w$]+|[\w$]+)?\s*(?:from)?\s*["'`]\.\/([^"'`]+\.js)["'`]/g

/**
 * @param {string} dist the built app's directory
 * @param {string} pageChunk the start of the document page chunk's file name
 */
export function builtJs(dist, pageChunk = 'DocumentPage-') {
  const assets = join(dist, 'assets')
  const files = readdirSync(assets).filter((file) => file.endsWith('.js'))
  const source = new Map(files.map((file) => [file, readFileSync(join(assets, file))]))
  const gzip = new Map(files.map((file) => [file, gzipSync(source.get(file)).length]))
  const html = readFileSync(join(dist, 'index.html'), 'utf8')
  const entry = /<script type="module"[^>]*src="\/assets\/([^"]+\.js)"/.exec(html)?.[1]
  const page = files.find((file) => file.startsWith(pageChunk))
  if (!entry || !page) throw new Error(`no entry or ${pageChunk} chunk in ${dist}`)
  const closure = new Set()
  const add = (file) => {
    if (closure.has(file)) return
    closure.add(file)
    for (const match of source.get(file).toString('utf8').matchAll(staticImport)) add(match[1])
  }
  add(entry)
  add(page)
  const sum = (list) => list.reduce((total, file) => total + (gzip.get(file) ?? 0), 0)
  return {
    chunks: files.map((file) => ({ file, gzip: gzip.get(file), firstScreen: closure.has(file) })),
    firstScreenGzip: sum([...closure]),
    totalGzip: sum(files),
  }
}
