import { CloseCode } from '@tandem/protocol'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import { openRaw, upgrade } from './raw.js'

const SECRET = 'a links test secret that is long enough!'
const signer = new TokenSigner(new TextEncoder().encode(SECRET))
const ADMIN_KEY = 'an admin key for the links tests, long enough'
const DAY_S = 24 * 60 * 60

/** `vi.waitFor` with room for a busy machine. */
const waitFor = <T>(check: () => T | Promise<T>) =>
  vi.waitFor(check, { timeout: 10_000, interval: 20 })

interface MintedLink {
  link: { id: string; name: string; mode: string; expiresAt: string; token: string }
  view?: { token: string; expiresAt: string }
}

describe('share links: names, subjects, expiry, listing and revocation (issue 14)', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let server: Tandem | undefined
  const clients: Client[] = []
  const start = async (env: Record<string, string> = {}) => {
    dir = tempDir()
    server = await startServer(dir.path, {
      AUTH_SECRET: SECRET,
      AUTH_MODE: 'token',
      ADMIN_KEY,
      ...env,
    })
    return server
  }
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server?.close()
    dir?.remove()
    server = undefined
  })

  const api = (path: string, token: string, init: RequestInit = {}) =>
    fetch(new URL(path, server!.url), {
      ...init,
      headers: { Authorization: `Bearer ${token}`, ...init.headers },
    })
  const mint = async (token: string, doc: string, body?: unknown): Promise<MintedLink> => {
    const res = await api(`/api/docs/${encodeURIComponent(doc)}/links`, token, {
      method: 'POST',
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } }),
    })
    expect(res.status).toBe(201)
    return (await res.json()) as MintedLink
  }
  const connect = (doc: string, token: string, name?: string, ydoc = new Y.Doc()) => {
    const client = connectClient(wsUrl(server!), doc, ydoc, { token })
    if (name) client.provider.awareness.setLocalStateField('user', { name })
    clients.push(client)
    return client
  }
  /** The `user.name` of every present state `client` sees, by client id. */
  const names = (client: Client) =>
    new Map(
      [...client.provider.awareness.getStates()].map(([id, state]) => [
        id,
        (state as { user?: { name?: string } }).user?.name,
      ]),
    )

  it("T40: a view link's holder appears under the link's name, not as its minter", async () => {
    await start()
    const alice = await signer.sign(
      { doc: 'notes', mode: 'edit', sub: 'alice', name: 'Alice' },
      3600,
    )
    const { link } = await mint(alice, 'notes')
    expect(link.name).toBe('Guest')
    const named = await mint(alice, 'notes', { name: 'Reviewer' })
    expect(named.link.name).toBe('Reviewer')

    const owner = connect('notes', alice, 'Alice')
    await synced(owner)
    // The holder claims to be Alice.
    const holder = connect('notes', link.token, 'Alice')
    const reviewer = connect('notes', named.link.token, 'Alice')
    await Promise.all([synced(holder), synced(reviewer)])
    await waitFor(() => {
      const seen = names(owner)
      expect(seen.get(holder.doc.clientID)).toBe('Guest')
      expect(seen.get(reviewer.doc.clientID)).toBe('Reviewer')
      expect(seen.get(owner.doc.clientID)).toBe('Alice')
    })
  })

  it('T41: two tokens with the same name but different subjects own their presence apart', async () => {
    await start()
    const sam1 = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'sam-1', name: 'Sam' }, 3600)
    const sam2 = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'sam-2', name: 'Sam' }, 3600)
    const observer = connect('notes', sam1)
    await synced(observer)
    const first = connect('notes', sam1)
    await synced(first)
    first.provider.awareness.setLocalStateField('cursor', 'first')
    const id = first.doc.clientID
    await waitFor(() =>
      expect((observer.provider.awareness.getStates().get(id) as { cursor?: string })?.cursor).toBe(
        'first',
      ),
    )
    // The second Sam sends presence under the first one's client id (its document keeps its own,
    // so that the two documents stay apart).
    const second = connect('notes', sam2)
    await synced(second)
    second.provider.awareness.clientID = id
    second.provider.awareness.setLocalState({ cursor: 'second' })
    // Frames of one connection are handled in order: once its edit arrives, its presence has
    // been handled too.
    second.text.insert(0, 'done')
    await waitFor(() => expect(observer.text.toString()).toBe('done'))
    const state = observer.provider.awareness.getStates().get(id) as { cursor?: string }
    expect(state.cursor).toBe('first')
  })

  it("T41: the API's per-token budget is per subject: two tokens of one subject share it", async () => {
    await start({ API_MAX_REQUESTS_PER_TOKEN_PER_MINUTE: '6' })
    const mine = await signer.sign({ doc: 'notes', mode: 'view', sub: 'sam-1', name: 'Sam' }, 60)
    const alsoMine = await signer.sign({ doc: 'notes', mode: 'view', sub: 'sam-1' }, 120)
    const theirs = await signer.sign({ doc: 'notes', mode: 'view', sub: 'sam-2', name: 'Sam' }, 60)
    // 404: the document is not stored, but the request got past the budgets.
    expect((await api('/api/docs/notes/text', mine)).status).toBe(404)
    expect((await api('/api/docs/notes/text', alsoMine)).status).toBe(429)
    expect((await api('/api/docs/notes/text', theirs)).status).toBe(404)
  })

  it('T43: a link never outlives the token that minted it; the admin key mints the full term', async () => {
    await start()
    const brief = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'alice' }, 60)
    const { exp } = await signer.verify(brief).then((c) => ({ exp: c.expiresAtMs }))
    const asked = await mint(brief, 'notes', { ttlSeconds: 30 * DAY_S })
    const linkClaims = await signer.verify(asked.link.token)
    expect(linkClaims.expiresAtMs).toBeLessThanOrEqual(exp)
    expect(Date.parse(asked.link.expiresAt)).toBe(linkClaims.expiresAtMs)
    const byDefault = await mint(brief, 'notes')
    expect((await signer.verify(byDefault.link.token)).expiresAtMs).toBeLessThanOrEqual(exp)

    const admin = await mint(ADMIN_KEY, 'notes')
    const adminClaims = await signer.verify(admin.link.token)
    expect(adminClaims.expiresAtMs).toBeGreaterThan(Date.now() + 29 * DAY_S * 1000)
    expect(adminClaims).toMatchObject({ doc: 'notes', mode: 'view', name: 'Guest' })
    expect(adminClaims.jti).toBe(admin.link.id)
  })

  it('T44: links are listed (edit access) without their tokens, and revoked one by one', async () => {
    await start()
    const alice = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'alice' }, 3600)
    const a = await mint(alice, 'notes', { name: 'Team' })
    const b = await mint(alice, 'notes', { mode: 'edit', name: 'Co-author' })
    await mint(alice, 'notes')
    const other = await signer.sign({ doc: 'other', mode: 'edit' }, 3600)
    await mint(other, 'other')

    const list = async (token: string) => {
      const res = await api('/api/docs/notes/links', token)
      return { status: res.status, body: (await res.json()) as { links?: unknown[] } }
    }
    const listed = await list(alice)
    expect(listed.status).toBe(200)
    expect(listed.body.links).toHaveLength(3)
    expect(listed.body.links).toContainEqual({
      id: b.link.id,
      name: 'Co-author',
      mode: 'edit',
      createdAt: expect.any(String),
      expiresAt: b.link.expiresAt,
    })
    expect(JSON.stringify(listed.body)).not.toContain(a.link.token)
    // A view link may not see (or revoke) the others.
    expect((await list(a.link.token)).status).toBe(403)
    expect((await list(ADMIN_KEY)).status).toBe(200)

    const revoke = (id: string, token = alice) =>
      api(`/api/docs/notes/links/${id}`, token, { method: 'DELETE' })
    expect((await revoke(a.link.id, a.link.token)).status).toBe(403)
    expect((await revoke(a.link.id)).status).toBe(204)
    expect((await revoke(a.link.id)).status).toBe(404)
    expect((await revoke('not-a-link')).status).toBe(404)
    const after = await list(alice)
    expect((after.body.links as { id: string }[]).map((l) => l.id)).not.toContain(a.link.id)
    expect(after.body.links).toHaveLength(2)
    // Another document's link is not this one's to revoke.
    const theirs = await mint(other, 'other')
    expect((await revoke(theirs.link.id)).status).toBe(404)
  })

  it('T45: a revoked link is refused (401 token_revoked) and its open connections close with 4403', async () => {
    await start()
    const alice = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'alice' }, 3600)
    const { link } = await mint(alice, 'notes')
    const kept = await mint(alice, 'notes')
    const url = `${wsUrl(server!)}/notes?token=${encodeURIComponent(link.token)}`
    const open = await openRaw(url)
    const other = await openRaw(
      `${wsUrl(server!)}/notes?token=${encodeURIComponent(kept.link.token)}`,
    )
    const res = await api(`/api/docs/notes/links/${link.id}`, alice, { method: 'DELETE' })
    expect(res.status).toBe(204)
    expect((await open.closed).code).toBe(CloseCode.AccessRevoked)
    expect(await upgrade(url)).toMatchObject({ status: 401 })
    const refused = await api('/api/docs/notes/text', link.token)
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: string }).error).toBe('token_revoked')
    // The other link works on.
    expect(other.ws.readyState).toBe(other.ws.OPEN)
    // (access passes: nothing is stored yet)
    expect((await api('/api/docs/notes/text', kept.link.token)).status).toBe(404)
    other.ws.close()
  })

  it('T45: revocations survive a restart of the server', async () => {
    dir = tempDir()
    const env = { AUTH_SECRET: SECRET, AUTH_MODE: 'token' }
    server = await startServer(dir.path, env)
    const alice = await signer.sign({ doc: 'notes', mode: 'edit', sub: 'alice' }, 3600)
    const { link } = await mint(alice, 'notes')
    expect(
      (await api(`/api/docs/notes/links/${link.id}`, alice, { method: 'DELETE' })).status,
    ).toBe(204)
    await server.close()
    server = await startServer(dir.path, env)
    expect(
      await upgrade(`${wsUrl(server)}/notes?token=${encodeURIComponent(link.token)}`),
    ).toMatchObject({ status: 401 })
  })
})
