import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { VersionJson } from '@tandem/protocol'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createApiHandler } from '../src/api/routes.js'
import type { Tandem } from '../src/app.js'
import type { Authorize } from '../src/auth/access.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { createLogger } from '../src/log.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'

const SECRET = 'an api test secret that is long enough'

describe('HTTP API', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  const clients: Client[] = []
  const extraServers: Server[] = []
  const connect = (name: string, user?: string) => {
    const client = connectClient(wsUrl(server), name)
    if (user) client.provider.awareness.setLocalStateField('user', { name: user, color: '#c33' })
    clients.push(client)
    return client
  }
  const call = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init)
  const json = async <T = Record<string, unknown>>(response: Response) =>
    (await response.json()) as T
  const docPath = (name: string) => `/api/docs/${encodeURIComponent(name)}`
  const putText = (name: string, text: string) =>
    call(`${docPath(name)}/text`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      body: text,
    })
  const getText = async (name: string) => (await call(`${docPath(name)}/text`)).text()
  const versions = async (name: string) =>
    (await json<{ versions: VersionJson[] }>(await call(`${docPath(name)}/versions`))).versions
  const restore = (name: string, id: number) =>
    call(`${docPath(name)}/versions/${id}/restore`, { method: 'POST' })

  const start = async (env: Record<string, string> = {}) => {
    server = await startServer(dir.path, {
      ROOM_UNLOAD_DELAY_MS: '50',
      AUTH_SECRET: SECRET,
      ...env,
    })
    return server
  }

  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    for (const s of extraServers.splice(0)) s.close()
    await server.close()
    dir.remove()
  })

  describe('documents and text', () => {
    beforeEach(() => start())

    it('R1: lists stored documents with their size, last change and live connections', async () => {
      const a = connect('team/notes')
      await synced(a)
      a.text.insert(0, 'hello')
      await vi.waitFor(async () => expect(await getText('team/notes')).toBe('hello'))
      const other = connect('other')
      await synced(other)
      other.text.insert(0, 'x')
      await vi.waitFor(async () => expect(await getText('other')).toBe('x'))
      other.destroy()

      const response = await call('/api/docs')
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8')
      const { documents } = await json<{ documents: Record<string, unknown>[] }>(response)
      expect(documents).toEqual([
        {
          name: 'other',
          updatedAt: expect.any(String),
          storedBytes: expect.any(Number),
          connected: expect.any(Number),
        },
        {
          name: 'team/notes',
          updatedAt: expect.any(String),
          storedBytes: expect.any(Number),
          connected: 1,
        },
      ])
      expect(Date.parse(documents[0]!.updatedAt as string)).toBeGreaterThan(Date.now() - 60_000)
      expect(documents[1]!.storedBytes).toBeGreaterThan(0)
      await vi.waitFor(async () => {
        const list = await json<{ documents: { connected: number }[] }>(await call('/api/docs'))
        expect(list.documents[0]!.connected).toBe(0)
      })
    })

    it('R1: pages through the documents with a cursor, a limit and a prefix', async () => {
      const names = ['b', 'team/c', 'a', 'team/a', 'teammate', 'team/b', 'z']
      for (const name of names) expect((await putText(name, name)).status).toBe(200)
      type Page = { documents: { name: string }[]; nextCursor: string | null }
      const page = async (query: string) => json<Page>(await call(`/api/docs?${query}`))

      const seen: string[] = []
      let cursor: string | null = null
      do {
        const next: Page = await page(
          `limit=3${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
        )
        expect(next.documents.length).toBeLessThanOrEqual(3)
        seen.push(...next.documents.map((d) => d.name))
        cursor = next.nextCursor
      } while (cursor !== null && seen.length <= names.length)
      expect(seen).toEqual([...names].sort())

      const team = await page(`prefix=${encodeURIComponent('team/')}&limit=2`)
      expect(team.documents.map((d) => d.name)).toEqual(['team/a', 'team/b'])
      expect(team.nextCursor).toBe('team/b')
      const rest = await page(`prefix=${encodeURIComponent('team/')}&limit=2&cursor=team%2Fb`)
      expect(rest).toMatchObject({ documents: [{ name: 'team/c' }], nextCursor: null })
      expect((await page('')).documents).toHaveLength(names.length)

      for (const limit of ['0', '501', '1.5', 'x', '', '-1']) {
        const refused = await call(`/api/docs?limit=${limit}`)
        expect(refused.status, limit).toBe(400)
        expect(await json(refused)).toMatchObject({ error: 'invalid_query' })
      }
    })

    it('H8: exports the current text as text/plain, and 404 for a document never stored, creating nothing', async () => {
      const a = connect('a/b ü')
      await synced(a)
      a.text.insert(0, 'line one\nline two 👋\n')
      await vi.waitFor(async () => expect(await getText('a/b ü')).toBe('line one\nline two 👋\n'))
      const response = await call('/api/docs/a%2Fb%20%C3%BC/text')
      expect(response.status).toBe(200)
      expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8')

      const missing = await call(`${docPath('nothing here')}/text`)
      expect(missing.status).toBe(404)
      expect(await missing.json()).toEqual({ error: 'not_found', message: expect.any(String) })
      expect((await call(`${docPath('nothing here')}/versions`)).status).toBe(404)
      expect((await store().list()).map((d) => d.name)).toEqual(['a/b ü'])
      expect(await server.rooms.get('nothing here')).toBeUndefined()
    })

    it('H7: an import replaces the text live for a connected stock client, and restoring the import version undoes it', async () => {
      const a = connect('imported')
      await synced(a)
      a.text.insert(0, 'The original text, kept.')
      await vi.waitFor(async () =>
        expect(await getText('imported')).toBe('The original text, kept.'),
      )

      const response = await putText('imported', 'The imported text, kept.\n')
      expect(response.status).toBe(200)
      const body = await json<{ ok: true; textLength: number; version: VersionJson }>(response)
      expect(body).toEqual({
        ok: true,
        textLength: 25,
        version: {
          id: expect.any(Number),
          createdAt: expect.any(String),
          kind: 'import',
          label: null,
          authors: [],
          textLength: 24,
        },
      })
      await vi.waitFor(() => expect(a.text.toString()).toBe('The imported text, kept.\n'))
      expect(await getText('imported')).toBe('The imported text, kept.\n')

      const undone = await restore('imported', body.version.id)
      expect(undone.status).toBe(200)
      await vi.waitFor(() => expect(a.text.toString()).toBe('The original text, kept.'))
      expect(await getText('imported')).toBe('The original text, kept.')
    })

    it('H7: importing into a new document creates it, with no version to go back to', async () => {
      const response = await putText('fresh', 'new text')
      expect(await json(response)).toEqual({ ok: true, textLength: 8, version: null })
      expect(await getText('fresh')).toBe('new text')
      const late = connect('fresh')
      await synced(late)
      await vi.waitFor(() => expect(late.text.toString()).toBe('new text'))
    })

    it('H6: a named version is listed and read back with its text', async () => {
      const a = connect('named', 'Ada')
      await synced(a)
      a.text.insert(0, 'Draft one')
      await vi.waitFor(async () => expect(await getText('named')).toBe('Draft one'))
      const created = await call(`${docPath('named')}/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ label: '  First draft ' }),
      })
      expect(created.status).toBe(201)
      const { version } = await json<{ version: VersionJson }>(created)
      expect(version).toMatchObject({ kind: 'named', label: 'First draft', textLength: 9 })
      expect(version.authors).toEqual(['Ada'])

      a.text.insert(9, ', revised')
      await vi.waitFor(async () => expect(await getText('named')).toBe('Draft one, revised'))
      // The list says who changed it too (B6): Ada's presence name, unverified in open mode.
      expect(await versions('named')).toEqual([
        { ...version, changedBy: [{ id: expect.any(Number), name: 'Ada', verified: false }] },
      ])
      const read = await call(`${docPath('named')}/versions/${version.id}`)
      expect(await json(read)).toEqual({ version, text: 'Draft one' })
    })

    it('H6: a restore reaches two connected clients, who converge and go on editing; restoring the restore version undoes it', async () => {
      const [a, b] = [connect('restored'), connect('restored')]
      await Promise.all([synced(a), synced(b)])
      a.text.insert(0, 'alpha beta gamma')
      await vi.waitFor(() => expect(b.text.toString()).toBe('alpha beta gamma'))
      const { version: draft } = await json<{ version: VersionJson }>(
        await call(`${docPath('restored')}/versions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ label: 'Greek' }),
        }),
      )
      b.text.delete(6, 5)
      a.text.insert(0, '> ')
      await vi.waitFor(() => {
        expect(a.text.toString()).toBe('> alpha gamma')
        expect(b.text.toString()).toBe('> alpha gamma')
      })

      const response = await restore('restored', draft.id)
      expect(response.status).toBe(200)
      const { version: before } = await json<{ ok: true; version: VersionJson }>(response)
      expect(before).toMatchObject({ kind: 'restore', textLength: 13 })
      await vi.waitFor(() => {
        expect(a.text.toString()).toBe('alpha beta gamma')
        expect(b.text.toString()).toBe('alpha beta gamma')
      })
      b.text.insert(16, '!')
      await vi.waitFor(() => expect(a.text.toString()).toBe('alpha beta gamma!'))
      expect((await versions('restored')).map((v) => v.kind)).toEqual(['restore', 'named'])

      expect((await restore('restored', before.id)).status).toBe(200)
      await vi.waitFor(() => {
        expect(a.text.toString()).toBe('> alpha gamma')
        expect(b.text.toString()).toBe('> alpha gamma')
      })
    })

    it('H2, H4: when the last client leaves, a version is kept with the names of who edited, once', async () => {
      const ada = connect('left', 'Ada')
      const grace = connect('left', 'Grace Hopper')
      const watcher = connect('left', 'Just Looking')
      await Promise.all([synced(ada), synced(grace), synced(watcher)])
      ada.text.insert(0, 'hello')
      await vi.waitFor(() => expect(grace.text.toString()).toBe('hello'))
      grace.text.insert(5, ' world')
      await vi.waitFor(() => expect(ada.text.toString()).toBe('hello world'))
      for (const c of clients.splice(0)) c.destroy()

      await vi.waitFor(async () => expect(await versions('left')).toHaveLength(1))
      const [version] = await versions('left')
      expect(version).toMatchObject({ kind: 'auto', label: null, textLength: 11 })
      expect([...version!.authors].sort()).toEqual(['Ada', 'Grace Hopper'])
      await vi.waitFor(() => expect(server.rooms.size).toBe(0))

      // Back without changing anything: no second version.
      const again = connect('left', 'Ada')
      await synced(again)
      again.destroy()
      await vi.waitFor(() => expect(server.rooms.size).toBe(0))
      expect(await versions('left')).toEqual([version])
    })
  })

  describe('bad requests', () => {
    beforeEach(() => start())

    it('R2: a document name that breaks the rules is refused with 400 invalid_name', async () => {
      for (const segment of [
        'a%2F%2Fb',
        '%2E%2E%2Fx',
        'bad%ZZ',
        'q%3Fx',
        'x%00y',
        `${'n'.repeat(129)}`,
      ]) {
        const response = await call(`/api/docs/${segment}/text`)
        expect(response.status, segment).toBe(400)
        expect(await response.json()).toEqual({
          error: 'invalid_name',
          message: expect.any(String),
        })
      }
      expect(await store().list()).toEqual([])
    })

    it('R3: a body over the limit is refused with 413, declared or streamed', async () => {
      const big = 'x'.repeat(10 * 1024 * 1024 + 1)
      const declared = await putText('big', big)
      expect(declared.status).toBe(413)
      expect(await declared.json()).toEqual({
        error: 'payload_too_large',
        message: expect.any(String),
      })
      const chunk = new TextEncoder().encode('y'.repeat(1024 * 1024))
      let sent = 0
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent++ > 10) controller.close()
          else controller.enqueue(chunk)
        },
      })
      const streamed = await call(`${docPath('big')}/text`, {
        method: 'PUT',
        body,
        duplex: 'half',
      } as RequestInit)
      expect(streamed.status).toBe(413)
      expect(await store().load('big')).toBeNull()
      // The server carries on.
      expect((await putText('big', 'small')).status).toBe(200)
    })

    it('R4: malformed requests get their error codes', async () => {
      const post = (path: string, init: RequestInit) =>
        call(path, { method: 'POST', headers: { 'content-type': 'application/json' }, ...init })
      expect((await putText('doc', 'text')).status).toBe(200)
      const cases: [() => Promise<Response>, number, string][] = [
        [
          () =>
            call(`${docPath('doc')}/text`, {
              method: 'PUT',
              headers: { 'content-type': 'application/json' },
              body: '{}',
            }),
          415,
          'unsupported_media_type',
        ],
        [
          () =>
            call(`${docPath('doc')}/text`, {
              method: 'PUT',
              headers: { 'content-type': 'text/plain; charset=latin1' },
              body: 'x',
            }),
          415,
          'unsupported_media_type',
        ],
        [
          () =>
            call(`${docPath('doc')}/text`, {
              method: 'PUT',
              body: new Uint8Array([0xff, 0xfe, 0x41]),
            }),
          400,
          'invalid_body',
        ],
        [() => post(`${docPath('doc')}/versions`, { body: 'not json' }), 400, 'invalid_body'],
        [() => post(`${docPath('doc')}/versions`, { body: '[]' }), 400, 'invalid_body'],
        [() => post(`${docPath('doc')}/versions`, { body: '{}' }), 400, 'invalid_label'],
        [
          () => post(`${docPath('doc')}/versions`, { body: '{"label":"   "}' }),
          400,
          'invalid_label',
        ],
        [
          () =>
            post(`${docPath('doc')}/versions`, {
              body: JSON.stringify({ label: 'x'.repeat(201) }),
            }),
          400,
          'invalid_label',
        ],
        [
          () => post(`${docPath('doc')}/versions`, { body: '{"label":"a\\nb"}' }),
          400,
          'invalid_label',
        ],
        [() => post(`${docPath('nobody')}/versions`, { body: '{"label":"x"}' }), 404, 'not_found'],
        [() => call(`${docPath('doc')}/versions/abc`), 400, 'invalid_version_id'],
        [() => call(`${docPath('doc')}/versions/0`), 400, 'invalid_version_id'],
        [() => call(`${docPath('doc')}/versions/99999999999999999999`), 400, 'invalid_version_id'],
        [() => call(`${docPath('doc')}/versions/4242`), 404, 'not_found'],
        [() => post(`${docPath('doc')}/versions/4242/restore`, {}), 404, 'not_found'],
        [() => call(`${docPath('doc')}/text`, { method: 'DELETE' }), 405, 'method_not_allowed'],
        [() => call('/api/docs/team/notes/text'), 404, 'not_found'],
        [() => call('/api/nothing'), 404, 'not_found'],
      ]
      for (const [request, status, error] of cases) {
        const response = await request()
        expect({ status: response.status, body: await response.json() }).toEqual({
          status,
          body: { error, message: expect.any(String) },
        })
      }
      expect((await json(await call('/api/docs/a/b/text'))).message).toMatch(/%2F/)
      const notAllowed = await call('/api/docs', { method: 'POST' })
      expect(notAllowed.status).toBe(405)
      expect(notAllowed.headers.get('allow')).toBe('GET')
      expect((await call(`${docPath('doc')}/text`, { method: 'PATCH' })).headers.get('allow')).toBe(
        'GET, PUT',
      )
      expect(await getText('doc')).toBe('text')
      expect((await store().list()).map((d) => d.name)).toEqual(['doc'])
    })
  })

  describe('access', () => {
    it('R5: a refusing authorize gets its status and code on every document route; listing asks nothing', async () => {
      await start()
      const asked: string[] = []
      const refuse: Authorize = async (_req, name) => {
        asked.push(name)
        return { ok: false, status: 403, code: 'origin_not_allowed', message: 'not from here' }
      }
      const base = await listen(refuse)
      const routes: [string, string][] = [
        ['GET', '/text'],
        ['PUT', '/text'],
        ['GET', '/versions'],
        ['POST', '/versions'],
        ['GET', '/versions/1'],
        ['POST', '/versions/1/restore'],
      ]
      for (const [method, path] of routes) {
        const response = await fetch(`${base}/api/docs/a%2Fb${path}`, {
          method,
          ...(method === 'GET' ? {} : { body: '{"label":"x"}' }),
        })
        expect({ method, path, status: response.status, body: await response.json() }).toEqual({
          method,
          path,
          status: 403,
          body: { error: 'origin_not_allowed', message: 'not from here' },
        })
      }
      expect(asked).toEqual(Array(routes.length).fill('a/b'))
      expect((await fetch(`${base}/api/docs`)).status).toBe(200)
      expect(asked).toHaveLength(routes.length)
      expect(await store().list()).toEqual([])
    })

    it('R5: with tokens, no token is 401, another document’s 403, and a view token reads but cannot change', async () => {
      await start({ AUTH_MODE: 'token' })
      const signer = new TokenSigner(new TextEncoder().encode(SECRET))
      const edit = await signer.sign({ doc: 'doc', mode: 'edit', name: 'Ada' }, 60)
      const view = await signer.sign({ doc: 'doc', mode: 'view' }, 60)
      const other = await signer.sign({ doc: 'other', mode: 'edit' }, 60)
      const withToken = (token: string, init: RequestInit = {}) => ({
        ...init,
        headers: { ...init.headers, authorization: `Bearer ${token}` },
      })

      const anonymous = await call(`${docPath('doc')}/text`, { method: 'PUT', body: 'x' })
      expect(anonymous.status).toBe(401)
      expect(anonymous.headers.get('www-authenticate')).toBe('Bearer')
      expect((await json(anonymous)).error).toBe('token_required')
      const wrong = await call(`${docPath('doc')}/text`, withToken(other))
      expect(wrong.status).toBe(403)
      expect((await json(wrong)).error).toBe('token_wrong_document')

      const put = await call(
        `${docPath('doc')}/text`,
        withToken(edit, { method: 'PUT', body: 'by Ada' }),
      )
      expect(put.status).toBe(200)
      expect(await (await call(`${docPath('doc')}/text`, withToken(view))).text()).toBe('by Ada')
      const refused = await call(
        `${docPath('doc')}/versions`,
        withToken(view, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"label":"mine"}',
        }),
      )
      expect(refused.status).toBe(403)
      expect((await json(refused)).error).toBe('read_only')
      const named = await call(
        `${docPath('doc')}/versions`,
        withToken(edit, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"label":"ok"}',
        }),
      )
      expect(named.status).toBe(201)
      // The token's user edited through the API: the version that ends their stretch of edits
      // names them (this one, or an automatic one the room took first when it emptied).
      const list = await call(`${docPath('doc')}/versions`, withToken(edit))
      const { versions } = await json<{ versions: VersionJson[] }>(list)
      expect(versions.map((v) => v.authors).filter((a) => a.length > 0)).toEqual([['Ada']])
    })
  })

  const store = () => server.store

  /** A second HTTP server with the API alone, on the same rooms and store, asking `authorize`. */
  async function listen(authorize: Authorize): Promise<string> {
    const api = createApiHandler({
      rooms: server.rooms,
      store: server.store,
      authorize,
      log: createLogger('silent'),
      signer: new TokenSigner(new TextEncoder().encode('x'.repeat(32))),
      admin: () => ({ ok: true }),
    })
    const http = createServer((req, res) => {
      void api(req, res, new URL(req.url ?? '/', 'http://localhost').pathname)
    })
    extraServers.push(http)
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    return `http://127.0.0.1:${(http.address() as AddressInfo).port}`
  }
})
