// The test both examples pass: a stock y-websocket client signs in through the host app's own
// login, co-edits under /collab, is refused without a session, and a viewer's edits go nowhere.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, vi } from 'vitest'
import { WebSocket } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

/** Signs in to the app at `url`; resolves with its session cookie, or the refusal's status. */
async function login(url, user, password) {
  const res = await fetch(`${url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user, password }),
  })
  if (res.status !== 200) return { status: res.status }
  const cookie = res.headers.get('set-cookie')?.split(';')[0]
  return { status: 200, cookie }
}

/** A stock y-websocket client whose WebSocket sends `cookie` (a browser sends it by itself). */
function connect(url, name, cookie) {
  class CookieWebSocket extends WebSocket {
    constructor(address, protocols) {
      super(address, protocols, cookie ? { headers: { cookie } } : {})
    }
  }
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(`${url.replace(/^http/, 'ws')}/collab`, name, doc, {
    WebSocketPolyfill: CookieWebSocket,
    disableBc: true,
  })
  const closes = []
  provider.on('connection-close', (event) => closes.push(event?.code))
  const synced = new Promise((resolve) => provider.on('sync', (s) => s && resolve()))
  return { doc, text: doc.getText('codemirror'), provider, synced, closes }
}

/** An upgrade to `/collab/<name>` with `cookie`; resolves with the HTTP status (101 if accepted). */
function upgradeStatus(url, name, cookie) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/collab/${name}`, {
      headers: cookie ? { cookie } : {},
    })
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode)
      ws.terminate()
    })
    ws.once('open', () => {
      resolve(101)
      ws.close()
    })
    ws.once('error', (err) => {
      if (!/Unexpected server response/.test(err.message)) reject(err)
    })
  })
}

/** Runs the example's `start` and checks sign-in, refusal and view-only against it. */
export async function checkExample(start) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tandem-example-'))
  const app = await start({ port: 0, dataDir })
  const clients = []
  try {
    // The app's own routes answer as before.
    expect((await fetch(`${app.url}/`)).status).toBe(200)

    // Sign-in through the app's own login; a wrong password gets no session.
    const ada = await login(app.url, 'ada', 'ada-password')
    const bob = await login(app.url, 'bob', 'bob-password')
    expect(ada.status).toBe(200)
    expect(bob.status).toBe(200)
    expect((await login(app.url, 'ada', 'guess')).status).toBe(401)

    // Refusal: no session, or one the app does not know.
    expect(await upgradeStatus(app.url, 'minutes', undefined)).toBe(401)
    expect(await upgradeStatus(app.url, 'minutes', 'sid=forged')).toBe(401)
    const api = await fetch(`${app.url}/collab/api/docs/minutes/text`)
    expect(api.status).toBe(401)
    expect((await api.json()).error).toBe('sign_in_refused')

    // Ada edits, Bob (view only) sees it, and his own edits reach nobody.
    const a = connect(app.url, 'minutes', ada.cookie)
    const b = connect(app.url, 'minutes', bob.cookie)
    clients.push(a, b)
    await Promise.all([a.synced, b.synced])
    a.text.insert(0, 'Agenda')
    await vi.waitFor(() => expect(b.text.toString()).toBe('Agenda'))
    b.text.insert(0, 'Bob was here. ')
    a.text.insert(a.text.length, ': budget')
    await vi.waitFor(() => expect(b.text.toString()).toBe('Bob was here. Agenda: budget'))
    expect(a.text.toString()).toBe('Agenda: budget')
    // Ada's cursor carries the name the app vouches for.
    a.provider.awareness.setLocalStateField('user', { name: 'Someone else', color: '#336699' })
    await vi.waitFor(() => {
      const names = [...b.provider.awareness.getStates().values()].map((s) => s.user?.name)
      expect(names).toContain('Ada')
    })
    const text = await fetch(`${app.url}/collab/api/docs/minutes/text`, {
      headers: { cookie: bob.cookie },
    })
    expect(await text.text()).toBe('Agenda: budget')

    // Signed out: the session no longer opens documents.
    await fetch(`${app.url}/logout`, { method: 'POST', headers: { cookie: ada.cookie } })
    expect(await upgradeStatus(app.url, 'minutes', ada.cookie)).toBe(401)
  } finally {
    for (const c of clients) c.provider.destroy()
    await app.close()
    rmSync(dataDir, { recursive: true, force: true })
  }
}
