import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'
import { promisify } from 'node:util'
import { gzip } from 'node:zlib'

const gzipped = promisify(gzip)

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
}

/** Types sent gzipped to a browser that accepts it: text, which shrinks to a third or less. */
const compressible = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt'])

/** Files larger than this are sent as they are (the web app's largest is about 1 MB, a map). */
const MAX_COMPRESSED_FILE_BYTES = 8 * 1024 * 1024

/** Whether `accept` (an `Accept-Encoding` header) takes gzip: named, or `*`, without `q=0`. */
export function acceptsGzip(accept: string | string[] | undefined): boolean {
  const header = Array.isArray(accept) ? accept.join(',') : (accept ?? '')
  let star = false
  for (const part of header.split(',')) {
    const [coding = '', ...params] = part.trim().toLowerCase().split(';')
    const refused = params.some((p) => /^\s*q\s*=\s*0(\.0*)?\s*$/.test(p))
    if (coding.trim() === 'gzip') return !refused
    if (coding.trim() === '*') star = !refused
  }
  return star
}

/** Headers on every page of the web app. */
const securityHeaders = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
}

/**
 * Serves the built single-page web app from `root`: files as they are (hashed `/assets/` for a
 * year), gzipped for a browser that accepts it if they are text, and `index.html` for any other
 * extension-less path such as `/d/<name>`.
 */
export function createStaticHandler(
  root: string,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  const base = resolve(root)
  const index = join(base, 'index.html')
  /**
   * Each compressible file gzipped once, by path, while its size and time of change stay: the
   * built app does not change while the server runs, and compressing per request would cost
   * every visitor's CPU (level 9, off the event loop in zlib's thread pool).
   */
  const compressed = new Map<string, { key: string; bytes: Promise<Buffer> }>()

  function gzippedFile(file: string, size: number, mtimeMs: number): Promise<Buffer> {
    const key = `${size}:${mtimeMs}`
    let entry = compressed.get(file)
    if (entry?.key !== key) {
      entry = { key, bytes: readFile(file).then((raw) => gzipped(raw, { level: 9 })) }
      // A failure is not kept: the next request reads the file again.
      entry.bytes.catch(() => compressed.delete(file))
      compressed.set(file, entry)
    }
    return entry.bytes
  }

  async function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    cacheControl: string,
  ): Promise<boolean> {
    const info = await stat(file).catch(() => null)
    if (!info?.isFile()) return false
    const type = extname(file)
    if (
      compressible.has(type) &&
      info.size <= MAX_COMPRESSED_FILE_BYTES &&
      acceptsGzip(req.headers['accept-encoding'])
    ) {
      const body = await gzippedFile(file, info.size, info.mtimeMs).catch(() => null)
      if (body) {
        res.writeHead(200, {
          ...securityHeaders,
          'Content-Type': contentTypes[type] ?? 'application/octet-stream',
          'Content-Encoding': 'gzip',
          'Content-Length': body.length,
          'Cache-Control': cacheControl,
          Vary: 'Accept-Encoding',
        })
        res.end(req.method === 'HEAD' ? undefined : body)
        return true
      }
    }
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': contentTypes[type] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': cacheControl,
      ...(compressible.has(type) ? { Vary: 'Accept-Encoding' } : {}),
    })
    if (req.method === 'HEAD') {
      res.end()
      return true
    }
    await new Promise<void>((done) => {
      createReadStream(file)
        .on('error', () => res.destroy())
        .on('close', done)
        .pipe(res)
    })
    return true
  }

  return async (req, res, pathname) => {
    const file = resolve(base, `.${pathname}`)
    if (file.startsWith(base + sep)) {
      const cache = pathname.startsWith('/assets/')
        ? 'public, max-age=31536000, immutable'
        : 'no-cache'
      if (await sendFile(req, res, file, cache)) return
    }
    if (extname(pathname) === '' && (await sendFile(req, res, index, 'no-cache'))) return
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n')
  }
}
