import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { acceptsGzip, createStaticHandler } from './static.js'

/** A GET (or HEAD) of `path` with `headers`; the raw body, as it came over the socket. */
function get(
  server: Server,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  const { port } = server.address() as AddressInfo
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
    })
    req.on('error', reject)
    req.end()
  })
}

describe('the web app’s files', () => {
  let dir: string
  let server: Server
  const script = `export const text = ${JSON.stringify('collaborative '.repeat(2000))}\n`
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4])

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tandem-static-'))
    mkdirSync(join(dir, 'assets'))
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Tandem</title>\n')
    writeFileSync(join(dir, 'assets', 'app-1234.js'), script)
    writeFileSync(join(dir, 'assets', 'logo-1234.png'), png)
    const serve = createStaticHandler(dir)
    server = createServer(
      (req, res) => void serve(req, res, new URL(req.url ?? '/', 'http://x').pathname),
    )
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  })
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    rmSync(dir, { recursive: true, force: true })
  })

  it('sends text gzipped to a browser that accepts it, with its length and Vary', async () => {
    const res = await get(server, '/assets/app-1234.js', { 'accept-encoding': 'gzip, deflate, br' })
    expect(res.status).toBe(200)
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.headers.vary).toBe('Accept-Encoding')
    expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8')
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
    expect(Number(res.headers['content-length'])).toBe(res.body.length)
    expect(res.body.length).toBeLessThan(script.length / 10)
    expect(gunzipSync(res.body).toString()).toBe(script)
    // Asked again: the same bytes (compressed once, kept).
    const again = await get(server, '/assets/app-1234.js', { 'accept-encoding': 'gzip' })
    expect(again.body.equals(res.body)).toBe(true)
  })

  it('sends the file as it is without gzip in Accept-Encoding, or with gzip refused', async () => {
    for (const accept of [undefined, 'br', 'gzip;q=0', 'identity']) {
      const res = await get(
        server,
        '/assets/app-1234.js',
        accept ? { 'accept-encoding': accept } : {},
      )
      expect(res.headers['content-encoding'], accept).toBeUndefined()
      expect(res.body.toString(), accept).toBe(script)
    }
  })

  it('never compresses what is already compressed (images)', async () => {
    const res = await get(server, '/assets/logo-1234.png', { 'accept-encoding': 'gzip' })
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.body.equals(png)).toBe(true)
  })

  it('a page of the app is index.html, gzipped too; HEAD has the headers and no body', async () => {
    const page = await get(server, '/d/notes', { 'accept-encoding': 'gzip' })
    expect(page.headers['content-encoding']).toBe('gzip')
    expect(page.headers['cache-control']).toBe('no-cache')
    expect(gunzipSync(page.body).toString()).toContain('<title>Tandem</title>')
    const head = await get(server, '/d/notes', { 'accept-encoding': 'gzip' }, 'HEAD')
    expect(head.headers['content-length']).toBe(page.headers['content-length'])
    expect(head.body.length).toBe(0)
  })
})

describe('acceptsGzip', () => {
  it('reads Accept-Encoding as RFC 9110 says: named or *, unless its weight is 0', () => {
    expect(acceptsGzip('gzip')).toBe(true)
    expect(acceptsGzip('deflate, GZIP;q=0.5')).toBe(true)
    expect(acceptsGzip('*')).toBe(true)
    expect(acceptsGzip('gzip;q=0, *')).toBe(false)
    expect(acceptsGzip('gzip; q=0.000')).toBe(false)
    expect(acceptsGzip('*;q=0')).toBe(false)
    expect(acceptsGzip('br, deflate')).toBe(false)
    expect(acceptsGzip(undefined)).toBe(false)
  })
})
