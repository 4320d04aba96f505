import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import {
  attachDoc,
  CountingProxy,
  connectHp,
  flavours,
  type HpClient,
  type HpConnection,
  names,
  openHpSocket,
} from './hocuspocus-helpers.js'

const SECRET = 'a hocuspocus test secret that is long enough'
const signer = new TokenSigner(new TextEncoder().encode(SECRET))

/** `vi.waitFor` with room for a busy machine. */
function waitFor<T>(check: () => T | Promise<T>, timeout = 10_000): Promise<T> {
  return vi.waitFor(check, { timeout, interval: 20 })
}

describe.each(flavours)('@hocuspocus/provider $line against Tandem', (flavour) => {
  let dir: ReturnType<typeof tempDir> | undefined
  let server: Tandem | undefined
  let proxy: CountingProxy | undefined
  const clients: { destroy(): void }[] = []
  const start = async (env: Record<string, string> = {}) => {
    dir ??= tempDir()
    server = await startServer(dir.path, { AUTH_SECRET: SECRET, ...env })
    return server
  }
  /** A stock y-websocket client (the document name is its path). */
  const yws = (s: Tandem, name: string, token?: string): Client => {
    const c = connectClient(wsUrl(s), name, new Y.Doc(), token ? { token } : undefined)
    clients.push(c)
    return c
  }
  const hp = (s: Tandem, name: string, token: string | null = null) => {
    const c = connectHp(flavour, wsUrl(s), name, token)
    clients.push(c)
    return c
  }
  const socket = (url: string): HpConnection => {
    const c = openHpSocket(flavour, url)
    clients.push(c)
    return c
  }
  const attach = (connection: HpConnection, name: string, token: string | null = null) => {
    const c = attachDoc(flavour, connection, name, token)
    clients.unshift(c)
    return c
  }
  const hpSynced = (c: HpClient) => waitFor(() => expect(c.provider.synced).toBe(true))

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await proxy?.close()
    await server?.close()
    dir?.remove()
    proxy = undefined
    server = undefined
    dir = undefined
  })

  it('is the release line it claims to be', () => {
    expect(flavour.version.startsWith(flavour.line.replace('x', ''))).toBe(true)
  })

  it('Y1, Y6: co-edits one document with a stock y-websocket client: text and presence both ways', async () => {
    const s = await start()
    const h = hp(s, 'shared')
    const y = yws(s, 'shared')
    await Promise.all([hpSynced(h), synced(y)])

    h.text.insert(0, 'from hocuspocus;')
    await waitFor(() => expect(y.text.toString()).toBe('from hocuspocus;'))
    y.text.insert(y.text.length, ' from y-websocket;')
    await waitFor(() => expect(h.text.toString()).toBe('from hocuspocus; from y-websocket;'))
    // Concurrent edits from both sides converge.
    h.text.insert(0, '[h]')
    y.text.insert(y.text.length, '[y]')
    await waitFor(() => {
      expect(h.text.toString()).toBe(y.text.toString())
      expect(h.text.toString()).toContain('[h]')
      expect(h.text.toString()).toContain('[y]')
    })
    await waitFor(() => expect(h.provider.hasUnsyncedChanges).toBe(false))

    h.provider.setAwarenessField('user', { name: 'Hocus' })
    y.provider.awareness.setLocalStateField('user', { name: 'Yws' })
    await waitFor(() => {
      expect(names(h.provider.awareness)).toEqual(['Hocus', 'Yws'])
      expect(names(y.provider.awareness)).toEqual(['Hocus', 'Yws'])
    })

    // The room holds it for a newcomer of either protocol.
    const text = h.text.toString()
    const late = yws(s, 'shared')
    const lateHp = hp(s, 'shared')
    await waitFor(() => expect(late.text.toString()).toBe(text))
    // The provider calls itself synced only once it has the server's state.
    await hpSynced(lateHp)
    expect(lateHp.textWhenSynced[0]).toBe(text)
  })

  it('Y1, Y3: three documents share one HocuspocusProviderWebsocket: one TCP connection', async () => {
    const s = await start()
    proxy = await CountingProxy.start(wsUrl(s))
    const connection = socket(proxy.url)
    const docs = ['one', 'two', 'three']
    const hps = docs.map((name) => attach(connection, name))
    const peers = docs.map((name) => yws(s, name))
    await Promise.all([...hps.map(hpSynced), ...peers.map(synced)])

    for (const [i, h] of hps.entries()) h.text.insert(0, `hp:${docs[i]};`)
    for (const [i, y] of peers.entries()) {
      await waitFor(() => expect(y.text.toString()).toBe(`hp:${docs[i]};`))
      y.text.insert(y.text.length, `yws:${docs[i]};`)
    }
    for (const [i, h] of hps.entries()) {
      await waitFor(() => expect(h.text.toString()).toBe(`hp:${docs[i]};yws:${docs[i]};`))
    }
    await waitFor(() => {
      for (const h of hps) expect(h.provider.hasUnsyncedChanges).toBe(false)
    })
    expect(connection.opened()).toBe(1)
    expect(proxy.accepted).toBe(1)
    expect(connection.closes).toEqual([])
  })

  it("Y3: open mode: no token, an empty one or an application's own token edits; a Tandem view link keeps its scope", async () => {
    const s = await start()
    const connection = socket(wsUrl(s))
    const none = attach(connection, 'no-token', null)
    const empty = attach(connection, 'empty-token', '')
    const view = attach(
      connection,
      'view-token',
      await signer.sign({ doc: 'view-token', mode: 'view' }, 300),
    )
    const foreign = attach(connection, 'app-token', 'whatever the application sends')
    await Promise.all([hpSynced(none), hpSynced(empty), hpSynced(view), hpSynced(foreign)])
    expect(none.authenticated).toEqual(['read-write'])
    expect(empty.authenticated).toEqual(['read-write'])
    expect(foreign.authenticated).toEqual(['read-write'])
    expect(foreign.failures).toEqual([])
    // A view link stays a view link in open mode, as it does for a y-websocket client.
    expect(view.authenticated).toEqual(['readonly'])
    for (const h of [none, empty, foreign]) {
      h.text.insert(0, `${h.name} writes`)
      const y = yws(s, h.name)
      await waitFor(() => expect(y.text.toString()).toBe(`${h.name} writes`))
    }
    expect(connection.closes).toEqual([])
  })

  it('Y2, Y3: token mode: each document is authenticated on its own; a bad token fails that document alone', async () => {
    const s = await start({ AUTH_MODE: 'token' })
    proxy = await CountingProxy.start(wsUrl(s))
    const token = (doc: string, mode: 'edit' | 'view' = 'edit') => signer.sign({ doc, mode }, 300)
    const connection = socket(proxy.url)
    const alpha = attach(connection, 'alpha', await token('alpha'))
    const malformed = attach(connection, 'beta', 'not.a.jwt')
    const forged = attach(
      connection,
      'gamma',
      await new TokenSigner(new TextEncoder().encode('another secret of at least 32 bytes!')).sign(
        { doc: 'gamma', mode: 'edit' },
        300,
      ),
    )
    const elsewhere = attach(connection, 'delta', await token('alpha'))
    const omega = attach(connection, 'omega', await token('omega'))

    await waitFor(() => {
      expect(malformed.failures.length).toBeGreaterThan(0)
      expect(forged.failures.length).toBeGreaterThan(0)
      expect(elsewhere.failures.length).toBeGreaterThan(0)
    })
    await Promise.all([hpSynced(alpha), hpSynced(omega)])
    expect(alpha.authenticated).toEqual(['read-write'])
    expect(omega.authenticated).toEqual(['read-write'])
    for (const refused of [malformed, forged, elsewhere]) {
      expect(refused.authenticated).toEqual([])
      expect(refused.provider.isAuthenticated).toBe(false)
      refused.text.insert(0, 'never stored')
    }

    // The documents that passed keep syncing, both ways, over the same socket.
    const alphaPeer = yws(s, 'alpha', await token('alpha'))
    const omegaPeer = yws(s, 'omega', await token('omega'))
    await Promise.all([synced(alphaPeer), synced(omegaPeer)])
    alpha.text.insert(0, 'alpha from hp;')
    omega.text.insert(0, 'omega from hp;')
    await waitFor(() => {
      expect(alphaPeer.text.toString()).toBe('alpha from hp;')
      expect(omegaPeer.text.toString()).toBe('omega from hp;')
    })
    alphaPeer.text.insert(alphaPeer.text.length, 'alpha from yws;')
    omegaPeer.text.insert(omegaPeer.text.length, 'omega from yws;')
    await waitFor(() => {
      expect(alpha.text.toString()).toBe('alpha from hp;alpha from yws;')
      expect(omega.text.toString()).toBe('omega from hp;omega from yws;')
    })
    expect(connection.closes).toEqual([])
    expect(connection.opened()).toBe(1)
    expect(proxy.accepted).toBe(1)

    // What the refused documents sent before and after was never applied.
    for (const name of ['beta', 'gamma', 'delta']) {
      const reader = yws(s, name, await token(name))
      await synced(reader)
      expect(reader.text.toString()).toBe('')
    }
  })

  it('Y8: a stateless message reaches the document’s other Hocuspocus peers', async () => {
    const s = await start()
    const a = hp(s, 'talk')
    const b = hp(s, 'talk')
    const y = yws(s, 'talk')
    await Promise.all([hpSynced(a), hpSynced(b), synced(y)])
    a.provider.sendStateless('hello from a')
    await waitFor(() => expect(b.stateless).toEqual(['hello from a']))
    b.provider.sendStateless('hello from b')
    await waitFor(() => expect(a.stateless).toEqual(['hello from b']))
    // The stock y-websocket peer is never sent a frame it cannot parse: it goes on syncing.
    a.text.insert(0, 'still in sync')
    await waitFor(() => expect(y.text.toString()).toBe('still in sync'))
  })

  it('Y7: a view token makes the document read-only: the edit is refused with sync status 0 and never stored', async () => {
    const s = await start({ AUTH_MODE: 'token' })
    const edit = await signer.sign({ doc: 'doc', mode: 'edit' }, 300)
    const view = await signer.sign({ doc: 'doc', mode: 'view' }, 300)
    const editor = yws(s, 'doc', edit)
    await synced(editor)
    editor.text.insert(0, 'base')
    const viewer = hp(s, 'doc', view)
    await hpSynced(viewer)
    await waitFor(() => expect(viewer.text.toString()).toBe('base'))
    expect(viewer.authenticated).toEqual(['readonly'])

    viewer.text.insert(0, 'VIEWER ')
    await waitFor(() => expect(viewer.syncStatuses).toContain(0))
    expect(viewer.provider.hasUnsyncedChanges).toBe(true)
    // The viewer still receives what editors write.
    editor.text.insert(editor.text.length, ' after')
    await waitFor(() => expect(viewer.text.toString()).toBe('VIEWER base after'))
    expect(editor.text.toString()).toBe('base after')
    const late = yws(s, 'doc', edit)
    await synced(late)
    expect(late.text.toString()).toBe('base after')

    // Never stored: a restarted server on the same data has only the editor's text.
    for (const c of clients.splice(0)) c.destroy()
    await s.close()
    server = undefined
    const again = await start({ AUTH_MODE: 'token' })
    const reader = yws(again, 'doc', edit)
    await synced(reader)
    expect(reader.text.toString()).toBe('base after')
  })
})

describe('@hocuspocus/provider 4.x session awareness', () => {
  const flavour = flavours[0]!
  it('Y11: with sessionAwareness, two providers of one document share a socket, each answered at its own address', async () => {
    const dir = tempDir()
    const server = await startServer(dir.path)
    const connection = openHpSocket(flavour, wsUrl(server))
    const first = attachDoc(flavour, connection, 'twice', null, new Y.Doc(), {
      sessionAwareness: true,
    })
    const second = attachDoc(flavour, connection, 'twice', null, new Y.Doc(), {
      sessionAwareness: true,
    })
    const peer = connectClient(wsUrl(server), 'twice')
    try {
      await vi.waitFor(
        () => {
          expect(first.provider.synced).toBe(true)
          expect(second.provider.synced).toBe(true)
        },
        { timeout: 10_000 },
      )
      first.text.insert(0, 'first;')
      await vi.waitFor(() => expect(second.text.toString()).toBe('first;'), { timeout: 10_000 })
      second.text.insert(second.text.length, 'second;')
      await vi.waitFor(
        () => {
          expect(first.text.toString()).toBe('first;second;')
          expect(peer.text.toString()).toBe('first;second;')
          expect(first.provider.hasUnsyncedChanges).toBe(false)
          expect(second.provider.hasUnsyncedChanges).toBe(false)
        },
        { timeout: 10_000 },
      )
      expect(connection.opened()).toBe(1)
    } finally {
      first.destroy()
      second.destroy()
      connection.destroy()
      peer.destroy()
      await server.close()
      dir.remove()
    }
  })
})
