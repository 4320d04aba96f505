import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import {
  type ChangeEvent,
  ConfigError,
  createTandem,
  type SignInRequest,
  type TandemServer,
} from '../src/index.js'
import { createLogger } from '../src/log.js'
import { tempDir } from './helpers.js'
import { attachDoc, flavours, openHpSocket } from './hocuspocus-helpers.js'
import { upgrade } from './raw.js'

/** The sessions of the host application: a cookie `sid` names one. */
const sessions: Record<string, { mode: 'edit' | 'view'; subject: string; name: string }> = {
  ada: { mode: 'edit', subject: 'u1', name: 'Ada' },
  bob: { mode: 'view', subject: 'u2', name: 'Bob' },
}

/** A stock y-websocket client whose WebSocket sends `cookie`. */
function cookieClient(base: string, name: string, cookie: string) {
  class CookieWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: { cookie } })
    }
  }
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(base, name, doc, {
    WebSocketPolyfill: CookieWebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
  })
  const synced = new Promise<void>((resolve) => {
    if (provider.synced) resolve()
    provider.on('sync', (s: boolean) => s && resolve())
  })
  return {
    doc,
    text: doc.getText('codemirror'),
    provider,
    synced,
    destroy() {
      provider.destroy()
      doc.destroy()
    },
  }
}

describe('the library API (issue 20)', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let host: Server | undefined
  const tandems: TandemServer[] = []
  const cleanups: (() => void)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) c()
    for (const t of tandems.splice(0)) await t.close()
    await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()))
    host = undefined
    dir?.remove()
  })

  /** A host application on node:http with its own route, and Tandem under `/collab`. */
  async function hostApp(hooks: Parameters<typeof createTandem>[1] = {}, settings = {}) {
    dir ??= tempDir()
    const tandem = await createTandem(
      { DATA_DIR: dir.path, ROOM_UNLOAD_DELAY_MS: 0, ...settings },
      { log: createLogger('silent'), ...hooks },
    )
    tandems.push(tandem)
    host = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(`app: ${req.url}`)
    })
    tandem.attach(host, { prefix: '/collab' })
    await new Promise<void>((resolve) => host?.listen(0, '127.0.0.1', resolve))
    const port = (host.address() as AddressInfo).port
    return { tandem, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}/collab` }
  }

  const signIn = ({ cookies }: SignInRequest) => sessions[cookies.sid ?? ''] ?? null

  it('M2: serves its routes under the prefix and leaves every other request to the host app', async () => {
    const app = await hostApp()
    expect(await (await fetch(`${app.http}/hello`)).text()).toBe('app: /hello')
    expect(await (await fetch(`${app.http}/collabx`)).text()).toBe('app: /collabx')
    const health = await fetch(`${app.http}/collab/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toEqual({ status: 'ok' })
    // No web app unless WEB_DIR names one.
    expect((await fetch(`${app.http}/collab/`)).status).toBe(404)
  })

  it("M2: leaves the host's own WebSocket endpoint alone, and mounts through handleRequest/handleUpgrade too", async () => {
    dir ??= tempDir()
    const tandem = await createTandem(
      { DATA_DIR: dir.path },
      { log: createLogger('silent'), authenticate: signIn },
    )
    tandems.push(tandem)
    // A framework that routes itself: Tandem's handlers first, the app's own after them.
    const own = new WebSocketServer({ noServer: true })
    cleanups.push(() => own.close())
    own.on('connection', (ws) => ws.send('hello from the app'))
    host = createServer((req, res) => {
      if (!tandem.handleRequest(req, res, { prefix: '/collab' })) res.end(`app: ${req.url}`)
    })
    host.on('upgrade', (req, socket, head) => {
      if (tandem.handleUpgrade(req, socket, head, { prefix: '/collab' })) return
      if (req.url === '/live')
        own.handleUpgrade(req, socket, head, (ws) => own.emit('connection', ws))
      else socket.destroy()
    })
    await new Promise<void>((resolve) => host?.listen(0, '127.0.0.1', resolve))
    const port = (host.address() as AddressInfo).port
    const greeting = await new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/live`)
      ws.once('message', (data) => {
        resolve(String(data))
        ws.close()
      })
      ws.once('error', reject)
    })
    expect(greeting).toBe('hello from the app')
    expect(await (await fetch(`http://127.0.0.1:${port}/other`)).text()).toBe('app: /other')
    expect((await fetch(`http://127.0.0.1:${port}/collab/healthz`)).status).toBe(200)
    const ada = cookieClient(`ws://127.0.0.1:${port}/collab`, 'framework', 'sid=ada')
    cleanups.push(ada.destroy)
    await ada.synced
    expect((await upgrade(`ws://127.0.0.1:${port}/collab/framework`)).status).toBe(401)
  })

  it('M3: lets in whom the authenticate hook lets in, as it says, and refuses the rest', async () => {
    const asked: SignInRequest[] = []
    const app = await hostApp({
      authenticate: (request) => {
        asked.push(request)
        return signIn(request)
      },
    })
    const ada = cookieClient(app.ws, 'team/notes', 'sid=ada; theme=dark')
    const bob = cookieClient(app.ws, 'team/notes', 'sid=bob')
    cleanups.push(ada.destroy, bob.destroy)
    await Promise.all([ada.synced, bob.synced])
    expect(asked[0]).toMatchObject({ document: 'team/notes', token: undefined })
    expect(asked[0]?.url.pathname).toBe('/collab/team/notes')
    expect(asked.map((a) => a.cookies.sid).sort()).toEqual(['ada', 'bob'])

    ada.text.insert(0, 'from Ada')
    await vi.waitFor(() => expect(bob.text.toString()).toBe('from Ada'))
    // Bob may view only: his edit stays his.
    bob.text.insert(0, 'from Bob ')
    ada.text.insert(ada.text.length, '!')
    await vi.waitFor(() => expect(bob.text.toString()).toBe('from Bob from Ada!'))
    expect(ada.text.toString()).toBe('from Ada!')
    // Ada's presence carries the name the application vouches for, whatever her client says.
    ada.provider.awareness.setLocalStateField('user', { name: 'Mallory', color: '#112233' })
    await vi.waitFor(() => {
      const names = [...bob.provider.awareness.getStates().values()].map(
        (s) => (s.user as { name?: string } | undefined)?.name,
      )
      expect(names).toContain('Ada')
      expect(names).not.toContain('Mallory')
    })

    // Refused: no session, an unknown one; with the code SECURITY.md gives.
    expect((await upgrade(`${app.ws}/team%2Fnotes`)).status).toBe(401)
    expect((await upgrade(`${app.ws}/team%2Fnotes`, { cookie: 'sid=eve' })).status).toBe(401)
    // The HTTP API under the prefix asks the same hook.
    const refused = await fetch(`${app.http}/collab/api/docs/team%2Fnotes/text`)
    expect(refused.status).toBe(401)
    expect(((await refused.json()) as { error: string }).error).toBe('sign_in_refused')
    const text = await fetch(`${app.http}/collab/api/docs/team%2Fnotes/text`, {
      headers: { cookie: 'sid=bob' },
    })
    expect(text.status).toBe(200)
    expect(await text.text()).toBe('from Ada!')
    const put = await fetch(`${app.http}/collab/api/docs/team%2Fnotes/text`, {
      method: 'PUT',
      headers: { cookie: 'sid=bob', 'content-type': 'text/plain' },
      body: 'overwritten',
    })
    expect(put.status).toBe(403)
    // With a sign-in, the server-wide API needs the admin key, as in token mode.
    expect(
      (await fetch(`${app.http}/collab/api/docs`, { headers: { cookie: 'sid=ada' } })).status,
    ).toBe(401)
  })

  it('M3: asks the hook about each document a Hocuspocus provider opens, with its in-band token', async () => {
    const asked: SignInRequest[] = []
    const app = await hostApp({
      authenticate: (request) => {
        asked.push(request)
        return request.token === 'session-ada' ? sessions.ada! : null
      },
    })
    const flavour = flavours[0]!
    const connection = openHpSocket(flavour, app.ws)
    const good = attachDoc(flavour, connection, 'hp-doc', 'session-ada')
    const bad = attachDoc(flavour, connection, 'hp-other', 'forged')
    cleanups.push(good.destroy, bad.destroy, connection.destroy)
    await vi.waitFor(() => {
      expect(good.authenticated).toEqual(['read-write'])
      expect(bad.failures).toEqual(['sign_in_refused'])
    })
    expect(asked.map((a) => [a.document, a.token, a.url.pathname]).sort()).toEqual([
      ['hp-doc', 'session-ada', '/collab'],
      ['hp-other', 'forged', '/collab'],
    ])
  })

  it('M4: refuses with 503 sign_in_unavailable when the hook fails or answers nonsense', async () => {
    const app = await hostApp({
      authenticate: ({ cookies }) => {
        if (cookies.sid === 'throw') throw new Error('session store down')
        if (cookies.sid === 'odd') return { mode: 'admin', subject: 'x' } as never
        return Promise.reject(new Error('rejected'))
      },
    })
    for (const sid of ['throw', 'odd', 'reject']) {
      expect((await upgrade(`${app.ws}/doc`, { cookie: `sid=${sid}` })).status).toBe(503)
      const answer = await fetch(`${app.http}/collab/api/docs/doc/text`, {
        headers: { cookie: `sid=${sid}` },
      })
      expect(answer.status).toBe(503)
      expect(((await answer.json()) as { error: string }).error).toBe('sign_in_unavailable')
    }
  })

  it('M7: tells onLoad, onChange (debounced) and onUnload, and closes gracefully inside the host', async () => {
    const events: string[] = []
    const changes: ChangeEvent[] = []
    const app = await hostApp(
      {
        authenticate: signIn,
        onLoad: ({ document }) => {
          events.push(`load ${document}`)
        },
        onUnload: ({ document }) => {
          events.push(`unload ${document}`)
        },
        onChange: async (event) => {
          changes.push(event)
        },
      },
      { WEBHOOK_DEBOUNCE_MS: 200, WEBHOOK_MAX_WAIT_MS: 1000 },
    )
    const ada = cookieClient(app.ws, 'minutes', 'sid=ada')
    await ada.synced
    await vi.waitFor(() => expect(events).toEqual(['load minutes']))
    for (const word of ['one ', 'two ', 'three']) ada.text.insert(ada.text.length, word)
    await vi.waitFor(() => expect(changes.length).toBe(1), { timeout: 5000 })
    expect(changes[0]).toMatchObject({
      event: 'document.changed',
      document: 'minutes',
      textLength: 'one two three'.length,
      authors: ['Ada'],
    })
    ada.destroy()
    await vi.waitFor(() => expect(events).toEqual(['load minutes', 'unload minutes']))

    // An edit relayed just before close is stored (stored before relayed); the host app keeps
    // serving; Tandem answers 503.
    const late = cookieClient(app.ws, 'minutes', 'sid=ada')
    const watcher = cookieClient(app.ws, 'minutes', 'sid=bob')
    cleanups.push(late.destroy, watcher.destroy)
    await Promise.all([late.synced, watcher.synced])
    const closedWith = new Promise<number>((resolve) =>
      late.provider.ws?.addEventListener('close', (e) => resolve(e.code)),
    )
    late.text.insert(late.text.length, ' four')
    await vi.waitFor(() => expect(watcher.text.toString()).toBe('one two three four'))
    await app.tandem.close()
    expect(await closedWith).toBe(1001)
    late.provider.disconnect()
    watcher.provider.disconnect()
    expect(events.at(-1)).toBe('unload minutes')
    expect(await (await fetch(`${app.http}/hello`)).text()).toBe('app: /hello')
    expect((await fetch(`${app.http}/collab/healthz`)).status).toBe(503)
    expect((await upgrade(`${app.ws}/minutes`, { cookie: 'sid=ada' })).status).toBe(503)

    // The same data directory, opened again, has every edit.
    const again = await createTandem(
      { DATA_DIR: dir?.path ?? '', STORAGE: 'durable' },
      { log: createLogger('silent') },
    )
    tandems.push(again)
    const text = await again.rooms.use('minutes', (room) => room.text(undefined, 'codemirror'))
    expect(text).toBe('one two three four')
  })

  it('M1: validates settings like the environment: bad values and unknown names, all at once', async () => {
    const attempt = createTandem({ PORT: 70000, DATA_DIRR: 'x' } as never, {
      log: createLogger('silent'),
    })
    await expect(attempt).rejects.toBeInstanceOf(ConfigError)
    const problems = await attempt.catch((err: ConfigError) => err.problems)
    expect(problems).toEqual(
      expect.arrayContaining([
        'DATA_DIRR is not a setting; did you mean DATA_DIR?',
        expect.stringMatching(/^PORT=70000: /),
      ]),
    )
    await expect(
      createTandem(
        { AUTH_CALLBACK_URL: 'http://127.0.0.1:9/check' },
        { authenticate: () => null, log: createLogger('silent') },
      ),
    ).rejects.toThrow(/only one way to sign in/)
    // Lists may be arrays.
    dir ??= tempDir()
    const tandem = await createTandem(
      {
        STORAGE: 'memory',
        DATA_DIR: dir.path,
        ALLOWED_ORIGINS: ['https://a.example', 'https://b.example'],
      },
      { log: createLogger('silent') },
    )
    tandems.push(tandem)
    expect(tandem.config.ALLOWED_ORIGINS).toEqual(['https://a.example', 'https://b.example'])
  })
})
