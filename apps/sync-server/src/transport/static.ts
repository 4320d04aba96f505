import { createReadStream } from 'node:fs'
import { stat } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { extname, join, resolve, sep } from 'node:path'

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

/** Headers on every page of the web app. */
const securityHeaders = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy':
    "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
}

/**
 * Serves the built single-page web app from `root`: files as they are (hashed `/assets/` for a
 * year), and `index.html` for any other extension-less path such as `/d/<name>`.
 */
export function createStaticHandler(
  root: string,
): (req: IncomingMessage, res: ServerResponse, pathname: string) => Promise<void> {
  const base = resolve(root)
  const index = join(base, 'index.html')

  async function sendFile(
    req: IncomingMessage,
    res: ServerResponse,
    file: string,
    cacheControl: string,
  ): Promise<boolean> {
    const info = await stat(file).catch(() => null)
    if (!info?.isFile()) return false
    res.writeHead(200, {
      ...securityHeaders,
      'Content-Type': contentTypes[extname(file)] ?? 'application/octet-stream',
      'Content-Length': info.size,
      'Cache-Control': cacheControl,
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
