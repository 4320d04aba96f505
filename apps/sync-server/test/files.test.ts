import { createHash } from 'node:crypto'
import { connect } from 'node:net'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { SqliteStore } from '../src/persistence/sqlite.js'
import { startServer, tempDir } from './helpers.js'

const SECRET = 'a files test secret that is long enough'
const signer = new TokenSigner(new TextEncoder().encode(SECRET))

/** A real 1×1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  'base64',
)
const GIF = Buffer.from('R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==', 'base64')
const SVG = Buffer.from(
  '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
)
const HTML = Buffer.from('<!doctype html><script>alert(1)</script>')

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')
const docPath = (name: string) => `/api/docs/${encodeURIComponent(name)}`

describe('HTTP API: files of a document', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem | undefined
  let store: SqliteStore | undefined

  const start = async (env: Record<string, string> = {}) => {
    store = SqliteStore.open(dir.path)
    server = await startServer(dir.path, { AUTH_SECRET: SECRET, ...env }, store)
    return server
  }
  const call = (path: string, init?: RequestInit) => fetch(new URL(path, server!.url), init)
  const upload = (
    doc: string,
    body: Uint8Array,
    { name, headers = {} }: { name?: string; headers?: Record<string, string> } = {},
  ) =>
    call(`${docPath(doc)}/files${name === undefined ? '' : `?name=${encodeURIComponent(name)}`}`, {
      method: 'POST',
      headers,
      body,
    })
  const refusal = async (response: Response) => ({
    status: response.status,
    error: ((await response.json()) as { error: string }).error,
  })
  const files = async (doc: string) => (await store!.listFiles(doc)).map((f) => f.name)

  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    await server?.close()
    server = undefined
    dir.remove()
  })

  it('F7: an uploaded image answers 201 with its address and Markdown, and is served as it was, cached for good', async () => {
    await start()
    const response = await upload('notes', PNG, {
      name: 'screen [1].png',
      headers: { 'content-type': 'image/png' },
    })
    expect(response.status).toBe(201)
    const hash = sha256(PNG)
    const url = `/api/docs/notes/files/${hash}`
    expect(await response.json()).toEqual({
      url,
      markdown: `![screen \\[1\\].png](${url})`,
      hash,
      name: 'screen [1].png',
      type: 'image/png',
      size: PNG.length,
    })

    const got = await call(url)
    expect(got.status).toBe(200)
    expect(Buffer.from(await got.arrayBuffer())).toEqual(PNG)
    expect(got.headers.get('content-type')).toBe('image/png')
    expect(got.headers.get('etag')).toBe(`"${hash}"`)
    expect(got.headers.get('cache-control')).toBe('public, max-age=31536000, immutable')
    expect(got.headers.get('x-content-type-options')).toBe('nosniff')
    expect(got.headers.get('content-security-policy')).toContain('sandbox')
    expect(got.headers.get('content-disposition')).toMatch(/^inline; /)
    const again = await call(url, { headers: { 'if-none-match': `"${hash}"` } })
    expect(again.status).toBe(304)
    expect(await again.arrayBuffer()).toHaveProperty('byteLength', 0)

    // The same bytes again: the same address, nothing new stored.
    const twice = await upload('notes', PNG, { name: 'other.png' })
    expect(twice.status).toBe(200)
    expect(((await twice.json()) as { url: string }).url).toBe(url)
    expect(await files('notes')).toEqual(['screen [1].png'])

    // The name in a header, percent-encoded; a file that is no image is a link.
    const text = await upload('notes', Buffer.from('plain text'), {
      headers: { 'x-file-name': encodeURIComponent('notes – é.txt') },
    })
    expect(text.status).toBe(201)
    const link = (await text.json()) as { markdown: string; type: string; url: string }
    expect(link.type).toBe('application/octet-stream')
    expect(link.markdown).toBe(`[notes – é.txt](${link.url})`)

    // A document name with parentheses: its address stays one Markdown link destination.
    const odd = await upload('notes (draft)', PNG, { name: 'p.png' })
    const oddUrl = ((await odd.json()) as { url: string }).url
    expect(oddUrl).toBe(`/api/docs/notes%20%28draft%29/files/${hash}`)
    expect((await call(oddUrl)).status).toBe(200)

    // A restart serves it from the store.
    await server!.close()
    await start()
    expect(Buffer.from(await (await call(url)).arrayBuffer())).toEqual(PNG)
  })

  it('F8: only a raster image is served inline; SVG and HTML are downloads whatever they claimed', async () => {
    await start()
    for (const [bytes, claimed] of [
      [SVG, 'image/svg+xml'],
      [HTML, 'text/html'],
    ] as const) {
      const response = await upload('notes', bytes, {
        name: 'page.html',
        headers: { 'content-type': claimed },
      })
      expect(response.status).toBe(201)
      const { url, type } = (await response.json()) as { url: string; type: string }
      expect(type).toBe('application/octet-stream')
      const got = await call(url)
      expect(got.headers.get('content-type')).toBe('application/octet-stream')
      expect(got.headers.get('content-disposition')).toMatch(/^attachment; filename="page.html"/)
      expect(got.headers.get('x-content-type-options')).toBe('nosniff')
      expect(got.headers.get('content-security-policy')).toMatch(/default-src 'none'.*sandbox/)
    }
    // A GIF is recognised by its bytes, whatever it is called.
    const gif = await upload('notes', GIF, { name: 'really.png' })
    expect(((await gif.json()) as { type: string }).type).toBe('image/gif')
  })

  it('F9: a body that is not the image its Content-Type names is refused with 415, and nothing is stored', async () => {
    await start()
    expect(
      await refusal(await upload('notes', SVG, { headers: { 'content-type': 'image/png' } })),
    ).toEqual({ status: 415, error: 'unsupported_media_type' })
    expect(
      await refusal(await upload('notes', PNG, { headers: { 'content-type': 'image/gif' } })),
    ).toEqual({ status: 415, error: 'unsupported_media_type' })
    expect(await files('notes')).toEqual([])
    expect((await call(`${docPath('notes')}/files/${sha256(SVG)}`)).status).toBe(404)
  })

  it('F9: with FILE_TYPES=images a file that is no image is refused with 415', async () => {
    await start({ FILE_TYPES: 'images' })
    expect(await refusal(await upload('notes', Buffer.from('%PDF-1.7')))).toEqual({
      status: 415,
      error: 'unsupported_media_type',
    })
    expect((await upload('notes', PNG)).status).toBe(201)
    expect(await files('notes')).toEqual(['image.png'])
  })

  it('F10: empty, badly named, truncated or mis-digested uploads get 400 and store nothing', async () => {
    const s = await start()
    expect(await refusal(await upload('notes', new Uint8Array(0)))).toEqual({
      status: 400,
      error: 'invalid_file',
    })
    for (const name of ['a/b.png', 'a\\b.png', 'line\nbreak.png', ' ', 'x'.repeat(256)]) {
      expect(await refusal(await upload('notes', PNG, { name }))).toEqual({
        status: 400,
        error: 'invalid_file_name',
      })
    }
    expect(
      await refusal(await upload('notes', PNG, { headers: { 'x-file-name': '%E0%A4%A' } })),
    ).toEqual({ status: 400, error: 'invalid_file_name' })
    const wrongDigest = createHash('sha256').update('something else').digest('base64')
    expect(
      await refusal(
        await upload('notes', PNG, { headers: { 'content-digest': `sha-256=:${wrongDigest}:` } }),
      ),
    ).toEqual({ status: 400, error: 'invalid_file' })
    const rightDigest = createHash('sha256').update(PNG).digest('base64')
    expect(
      (await upload('other', PNG, { headers: { 'content-digest': `sha-256=:${rightDigest}:` } }))
        .status,
    ).toBe(201)

    // Content-Length says 100 bytes; 50 arrive, then the client ends its side.
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(s.url.port), s.url.hostname, () => {
        socket.write(
          `POST ${docPath('notes')}/files HTTP/1.1\r\nHost: ${s.url.host}\r\nContent-Length: 100\r\n\r\n`,
        )
        socket.end(PNG.subarray(0, 50))
      })
      let received = ''
      socket.on('data', (chunk) => {
        received += chunk.toString('latin1')
      })
      socket.on('close', () => resolve(received))
      socket.on('error', reject)
    })
    expect(answer).toMatch(/^HTTP\/1\.1 400 /)
    expect(await files('notes')).toEqual([])
  })

  it('F11: a file over FILE_MAX_BYTES, or one the document has no room for, gets 413 and stores nothing', async () => {
    await start({ FILE_MAX_BYTES: '1000', FILE_MAX_BYTES_PER_DOC: '1500' })
    const big = Buffer.alloc(1001, 1)
    expect(await refusal(await upload('notes', big))).toEqual({
      status: 413,
      error: 'payload_too_large',
    })
    // Sent without a length (chunked): refused once too much has arrived.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(big.subarray(0, 600))
        controller.enqueue(big.subarray(600))
        controller.close()
      },
    })
    const chunked = await call(`${docPath('notes')}/files`, {
      method: 'POST',
      body: stream,
      duplex: 'half',
    } as RequestInit)
    expect(await refusal(chunked)).toEqual({ status: 413, error: 'payload_too_large' })

    expect((await upload('notes', Buffer.alloc(1000, 2))).status).toBe(201)
    expect(await refusal(await upload('notes', Buffer.alloc(501, 3)))).toEqual({
      status: 413,
      error: 'document_files_full',
    })
    expect((await upload('notes', Buffer.alloc(500, 4))).status).toBe(201)
    expect((await store!.listFiles('notes')).map((f) => f.size)).toEqual([1000, 500])
    // Another document has room of its own.
    expect((await upload('other', Buffer.alloc(501, 3))).status).toBe(201)
  })

  it('F12: uploads count against the API request budgets (429 with Retry-After)', async () => {
    await start({ API_MAX_REQUESTS_PER_IP_PER_MINUTE: '6' })
    const statuses: number[] = []
    let retryAfter: string | null = null
    for (let i = 0; i < 8; i++) {
      const response = await upload('notes', Buffer.from(`file ${i}`))
      statuses.push(response.status)
      if (response.status === 429) retryAfter = response.headers.get('retry-after')
      await response.arrayBuffer()
    }
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(6)
    expect(statuses.at(-1)).toBe(429)
    expect(Number(retryAfter)).toBeGreaterThan(0)
    expect((await store!.listFiles('notes')).length).toBe(statuses.filter((s) => s === 201).length)
  })

  it('F7: a file of several MiB is stored and served whole, a slice at a time', async () => {
    await start()
    const bytes = Buffer.concat([PNG, Buffer.alloc(3 * 1024 * 1024 + 17, 7)])
    const response = await upload('notes', bytes, { name: 'big.png' })
    expect(response.status).toBe(201)
    const { url, size } = (await response.json()) as { url: string; size: number }
    expect(size).toBe(bytes.length)
    const got = await call(url)
    expect(got.headers.get('content-length')).toBe(String(bytes.length))
    expect(got.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes)).toBe(true)
  })

  it('F13: GET of an unknown hash, a malformed one, or another document’s file is 404', async () => {
    await start()
    const { url } = (await (await upload('mine', PNG)).json()) as { url: string }
    expect((await call(url)).status).toBe(200)
    expect((await call(`${docPath('theirs')}/files/${sha256(PNG)}`)).status).toBe(404)
    expect((await call(`${docPath('mine')}/files/${sha256(GIF)}`)).status).toBe(404)
    expect((await call(`${docPath('mine')}/files/not-a-hash`)).status).toBe(404)
    expect((await call(`${docPath('mine')}/files/${sha256(PNG).toUpperCase()}`)).status).toBe(404)
  })

  it('F14: a view token reads the files (as ?token=, as an <img> sends it) but cannot upload; another document’s token reads nothing', async () => {
    await start({ AUTH_MODE: 'token' })
    const edit = await signer.sign({ doc: 'mine', mode: 'edit' }, 60)
    const view = await signer.sign({ doc: 'mine', mode: 'view' }, 60)
    const other = await signer.sign({ doc: 'theirs', mode: 'edit' }, 60)
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

    expect(await refusal(await upload('mine', PNG))).toEqual({
      status: 401,
      error: 'token_required',
    })
    expect(await refusal(await upload('mine', PNG, { headers: bearer(view) }))).toEqual({
      status: 403,
      error: 'read_only',
    })
    expect(await files('mine')).toEqual([])
    const uploaded = await upload('mine', PNG, { headers: bearer(edit) })
    expect(uploaded.status).toBe(201)
    const { url } = (await uploaded.json()) as { url: string }

    const viewed = await call(`${url}?token=${view}`)
    expect(viewed.status).toBe(200)
    expect(Buffer.from(await viewed.arrayBuffer())).toEqual(PNG)
    expect(viewed.headers.get('cache-control')).toBe('private, max-age=31536000, immutable')
    expect((await call(url, { headers: bearer(view) })).status).toBe(200)

    expect(await refusal(await call(url))).toEqual({ status: 401, error: 'token_required' })
    expect(await refusal(await call(`${url}?token=${other}`))).toEqual({
      status: 403,
      error: 'token_wrong_document',
    })
    // Their own document's address with their token: that document has no such file.
    expect((await call(`${docPath('theirs')}/files/${sha256(PNG)}?token=${other}`)).status).toBe(
      404,
    )
  })

  it('F15: files go to the trash with their document, come back with it, and follow a rename', async () => {
    await start()
    const { url } = (await (await upload('notes', PNG)).json()) as { url: string }
    const hash = sha256(PNG)
    expect((await call(docPath('notes'), { method: 'DELETE' })).status).toBe(200)
    expect((await call(url)).status).toBe(404)
    expect((await call('/api/trash/notes/restore', { method: 'POST' })).status).toBe(200)
    expect((await call(url)).status).toBe(200)
    const renamed = await call(`${docPath('notes')}/rename`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'renamed' }),
    })
    expect(renamed.status).toBe(200)
    expect((await call(url)).status).toBe(404)
    expect((await call(`${docPath('renamed')}/files/${hash}`)).status).toBe(200)
  })
})
