import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { isEmptyUpdate } from '../src/rooms/doc-state.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'

const DAY_MS = 24 * 60 * 60 * 1000

describe('HTTP API: delete, trash and rename', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  const clients: Client[] = []
  const connect = (name: string) => {
    const client = connectClient(wsUrl(server), name)
    clients.push(client)
    return client
  }
  const call = (path: string, init?: RequestInit) => fetch(new URL(path, server.url), init)
  const docPath = (name: string) => `/api/docs/${encodeURIComponent(name)}`
  const putText = async (name: string, text: string) => {
    const response = await call(`${docPath(name)}/text`, { method: 'PUT', body: text })
    expect(response.status).toBe(200)
  }
  const getText = (name: string) => call(`${docPath(name)}/text`)
  const remove = (name: string, init: RequestInit = {}) =>
    call(docPath(name), { method: 'DELETE', ...init })
  const rename = (name: string, body: unknown, init: RequestInit = {}) =>
    call(`${docPath(name)}/rename`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      ...init,
    })
  const restore = (name: string, init: RequestInit = {}) =>
    call(`/api/trash/${encodeURIComponent(name)}/restore`, { method: 'POST', ...init })
  const error = async (response: Response) => ({
    status: response.status,
    error: ((await response.json()) as { error: string }).error,
  })
  /** Until the server has seen every connection to `name` close (the room stays loaded). */
  const closedOnServer = (name: string) =>
    vi.waitFor(async () => expect((await server.rooms.get(name))?.size ?? 0).toBe(0))

  const start = async (env: Record<string, string> = {}) => {
    // A long unload delay: a document its last client left is still loaded, though not open.
    server = await startServer(dir.path, { ROOM_UNLOAD_DELAY_MS: '60000', ...env })
  }

  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    dir.remove()
  })

  describe('open mode', () => {
    beforeEach(() => start())

    it('R7: delete is refused while a client is connected, then moves the document to the trash and frees its name', async () => {
      const a = connect('team/notes')
      await synced(a)
      a.text.insert(0, 'kept in the trash')
      await vi.waitFor(async () =>
        expect(await (await getText('team/notes')).text()).toBe('kept in the trash'),
      )

      expect(await error(await remove('team/notes'))).toEqual({
        status: 409,
        error: 'document_open',
      })
      expect(await (await getText('team/notes')).text()).toBe('kept in the trash')

      a.destroy()
      await closedOnServer('team/notes')
      // Empty but still loaded: unloaded first (its edits stored), then deleted.
      expect(await server.rooms.get('team/notes')).toBeDefined()
      const deleted = await remove('team/notes')
      expect(deleted.status).toBe(200)
      const body = (await deleted.json()) as Record<string, unknown>
      expect(body).toEqual({
        ok: true,
        name: 'team/notes',
        deletedAt: expect.any(String),
        purgeAt: expect.any(String),
        retentionDays: 30,
      })
      expect(Date.parse(body.purgeAt as string) - Date.parse(body.deletedAt as string)).toBe(
        30 * DAY_MS,
      )
      expect(await server.rooms.get('team/notes')).toBeUndefined()
      expect((await getText('team/notes')).status).toBe(404)
      expect((await error(await call(`${docPath('team/notes')}/versions`))).status).toBe(404)
      const list = (await (await call('/api/docs')).json()) as { documents: unknown[] }
      expect(list.documents).toEqual([])
      const trash = (await (await call('/api/trash')).json()) as {
        documents: Record<string, unknown>[]
      }
      expect(trash.documents).toEqual([
        {
          name: 'team/notes',
          deletedAt: body.deletedAt,
          purgeAt: body.purgeAt,
          updatedAt: expect.any(String),
          storedBytes: expect.any(Number),
        },
      ])

      // The name is free at once: a client opening it gets an empty document.
      const b = connect('team/notes')
      await synced(b)
      expect(b.text.toString()).toBe('')
      expect(await error(await remove('no such doc'))).toEqual({ status: 404, error: 'not_found' })
    })

    it('R8: restore brings a deleted document back with its text and versions; refused while the name is in use again', async () => {
      await putText('doc', 'first text')
      await putText('doc', 'second text')
      const versions = async () =>
        ((await (await call(`${docPath('doc')}/versions`)).json()) as { versions: unknown[] })
          .versions
      const before = await versions()
      expect(before).toHaveLength(1)
      expect((await remove('doc')).status).toBe(200)

      // Someone opens the name again, and writes: it is taken.
      const a = connect('doc')
      await synced(a)
      expect(await error(await restore('doc'))).toEqual({ status: 409, error: 'name_taken' })
      a.text.insert(0, 'new')
      await vi.waitFor(async () => expect((await getText('doc')).status).toBe(200))
      a.destroy()
      await closedOnServer('doc')
      expect(await error(await restore('doc'))).toEqual({ status: 409, error: 'name_taken' })

      expect((await remove('doc')).status).toBe(200)
      // The most recently deleted copy comes back first.
      expect((await restore('doc')).status).toBe(200)
      expect(await (await getText('doc')).text()).toBe('new')
      expect((await rename('doc', { to: 'newer' })).status).toBe(200)
      const restored = await restore('doc')
      expect(restored.status).toBe(200)
      expect(await restored.json()).toEqual({ ok: true, name: 'doc' })
      expect(await (await getText('doc')).text()).toBe('second text')
      // Its versions too (and the one its room took when it unloaded before the deletion).
      expect(await versions()).toEqual(expect.arrayContaining(before))
      expect(await error(await restore('doc'))).toEqual({ status: 404, error: 'not_found' })

      // And it is live again: a client sees its text.
      const b = connect('doc')
      await synced(b)
      expect(b.text.toString()).toBe('second text')
    })

    it('R9: rename moves the text and versions; refuses a bad name, an open document and a taken name', async () => {
      await putText('draft', 'one')
      await putText('draft', 'two')
      await putText('taken', 'someone else’s')

      expect(await error(await rename('draft', { to: 'a?b' }))).toEqual({
        status: 400,
        error: 'invalid_name',
      })
      expect(await error(await rename('draft', { to: '' }))).toEqual({
        status: 400,
        error: 'invalid_name',
      })
      expect(await error(await rename('draft', { name: 'x' }))).toEqual({
        status: 400,
        error: 'invalid_body',
      })
      expect(await error(await rename('draft', { to: 'taken' }))).toEqual({
        status: 409,
        error: 'name_taken',
      })
      expect(await error(await rename('draft', { to: 'draft' }))).toEqual({
        status: 409,
        error: 'name_taken',
      })
      expect(await error(await rename('nothing', { to: 'x' }))).toEqual({
        status: 404,
        error: 'not_found',
      })

      const a = connect('draft')
      await synced(a)
      expect(await error(await rename('draft', { to: 'final/v1' }))).toEqual({
        status: 409,
        error: 'document_open',
      })
      // Someone has the target name open (nothing stored yet): it is taken too.
      const b = connect('final/v1')
      await synced(b)
      a.destroy()
      await closedOnServer('draft')
      expect(await error(await rename('draft', { to: 'final/v1' }))).toEqual({
        status: 409,
        error: 'name_taken',
      })
      b.destroy()
      await closedOnServer('final/v1')

      const versionsOf = async (name: string) =>
        ((await (await call(`${docPath(name)}/versions`)).json()) as { versions: unknown[] })
          .versions
      const versions = await versionsOf('draft')
      const renamed = await rename('draft', { to: 'final/v1' })
      expect(renamed.status).toBe(200)
      expect(await renamed.json()).toEqual({ ok: true, name: 'final/v1' })
      expect(await (await getText('final/v1')).text()).toBe('two')
      expect(await versionsOf('final/v1')).toEqual(versions)
      expect((await getText('draft')).status).toBe(404)

      const c = connect('final/v1')
      await synced(c)
      expect(c.text.toString()).toBe('two')
      c.text.insert(3, ' three')
      await vi.waitFor(async () =>
        expect(await (await getText('final/v1')).text()).toBe('two three'),
      )
    })

    it('R10: a connection that arrives while a document is deleted waits, then gets the empty name', async () => {
      await putText('doc', 'old text')
      let during: Promise<Uint8Array> | undefined
      await server.rooms.whileUnloaded(['doc'], async () => {
        // Arrives in the middle: neither loads the half-deleted document nor blocks the deletion.
        during = server.rooms.use('doc', (room) => room.update)
        const late = connect('doc')
        expect(await server.store.trash('doc')).toBe(true)
        expect(server.rooms.size).toBe(0)
        return late
      })
      expect(isEmptyUpdate(await during!)).toBe(true)
      const late = clients.at(-1)!
      await synced(late)
      expect(late.text.toString()).toBe('')
      expect((await server.store.listTrash()).map((t) => t.name)).toEqual(['doc'])
      // The late client holds the name now: nothing is restored over it.
      expect(await error(await restore('doc'))).toEqual({ status: 409, error: 'name_taken' })
      late.destroy()
      await closedOnServer('doc')
      expect((await restore('doc')).status).toBe(200)
      expect(await (await getText('doc')).text()).toBe('old text')
    })
  })

  describe('access', () => {
    it('R11: delete and rename need edit access; the trash list needs the admin key', async () => {
      await start({ ADMIN_KEY: 'k'.repeat(32) })
      await putText('doc', 'text')
      expect((await call('/api/trash')).status).toBe(401)
      const admin = { headers: { authorization: `Bearer ${'k'.repeat(32)}` } }
      expect((await call('/api/trash', admin)).status).toBe(200)
      expect((await remove('doc')).status).toBe(200)
      expect((await restore('doc')).status).toBe(200)
    })

    it('R11: in token mode a view token can neither delete, rename nor restore', async () => {
      await start({ AUTH_MODE: 'token', AUTH_SECRET: 'a trash test secret that is long enough' })
      const { TokenSigner } = await import('../src/auth/tokens.js')
      const signer = new TokenSigner(
        new TextEncoder().encode('a trash test secret that is long enough'),
      )
      const edit = await signer.sign({ doc: 'doc', mode: 'edit' }, 60)
      const view = await signer.sign({ doc: 'doc', mode: 'view' }, 60)
      const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
      expect(
        (await call(`${docPath('doc')}/text`, { method: 'PUT', body: 'text', ...as(edit) })).status,
      ).toBe(200)
      expect(await error(await remove('doc'))).toEqual({ status: 401, error: 'token_required' })
      expect(await error(await remove('doc', as(view)))).toEqual({
        status: 403,
        error: 'read_only',
      })
      expect(
        await error(
          await call(`${docPath('doc')}/rename`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', ...as(view).headers },
            body: '{"to":"x"}',
          }),
        ),
      ).toEqual({ status: 403, error: 'read_only' })
      expect((await remove('doc', as(edit))).status).toBe(200)
      expect(await error(await restore('doc', as(view)))).toEqual({
        status: 403,
        error: 'read_only',
      })
      expect((await restore('doc', as(edit))).status).toBe(200)
      // Token mode without ADMIN_KEY: nobody lists the trash.
      expect((await call('/api/trash', as(edit))).status).toBe(401)
    })
  })
})
