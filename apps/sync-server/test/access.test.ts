import { execFile } from 'node:child_process'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { startTandem, type Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { loadConfig } from '../src/config.js'
import { createLogger } from '../src/log.js'
import { MemoryStore } from '../src/persistence/memory.js'
import type { DocStore } from '../src/persistence/store.js'
import { clientAddress } from '../src/request-url.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import { upgrade } from './raw.js'

const SECRET = 'an access test secret that is long enough'
const signer = new TokenSigner(new TextEncoder().encode(SECRET))

interface Answer {
  status: number
  headers: IncomingMessage['headers']
  body: string
}

/** An HTTP request with any headers (`Host` included), answered in full. */
function send(
  server: Tandem,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: server.url.hostname,
        port: server.url.port,
        path,
        method: init.method ?? 'GET',
        headers: {
          ...(init.body === undefined ? {} : { 'Content-Length': Buffer.byteLength(init.body) }),
          ...init.headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(init.body)
  })
}

const errorOf = (answer: Answer) => (JSON.parse(answer.body) as { error: string }).error
const docPath = (name: string) => `/api/docs/${encodeURIComponent(name)}`

describe('access (issue 14, HTTP side)', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let server: Tandem | undefined
  const clients: Client[] = []
  const start = async (env: Record<string, string> = {}, store?: DocStore) => {
    dir = tempDir()
    server = await startServer(dir.path, { AUTH_SECRET: SECRET, ...env }, store)
    return server
  }
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server?.close()
    dir?.remove()
    server = undefined
  })

  describe('Host (DNS rebinding)', () => {
    it('T30: a request or upgrade naming a foreign host gets 421; own names pass', async () => {
      const s = await start({ ALLOWED_HOSTS: 'notes.example.com, *.team.example:8443' })
      const port = s.url.port
      await s.store.append('doc', textUpdate('secret text'))
      const refused = await send(s, `${docPath('doc')}/text`, {
        headers: { Host: `evil.example:${port}` },
      })
      expect(refused.status).toBe(421)
      expect(errorOf(refused)).toBe('misdirected_request')
      expect(refused.body).not.toContain('secret text')
      // Deleting through a rebound name: refused before anything happens.
      const deleted = await send(s, docPath('doc'), {
        method: 'DELETE',
        headers: { Host: `evil.example:${port}`, Origin: `http://evil.example:${port}` },
      })
      expect(deleted.status).toBe(421)
      expect((await s.store.list()).map((d) => d.name)).toEqual(['doc'])
      expect((await send(s, '/healthz', { headers: { Host: 'evil.example' } })).status).toBe(421)
      expect((await upgrade(`${wsUrl(s)}/doc`, { Host: `evil.example:${port}` })).status).toBe(421)

      for (const host of [
        `127.0.0.1:${port}`,
        `localhost:${port}`,
        'app.localhost',
        `[::1]:${port}`,
        '192.0.2.7:8080',
        'notes.example.com',
        'NOTES.example.com:443',
        'a.team.example:8443',
      ]) {
        const answer = await send(s, `${docPath('doc')}/text`, { headers: { Host: host } })
        expect({ host, status: answer.status }).toEqual({ host, status: 200 })
      }
      for (const host of ['team.example:8443', 'a.team.example:9000', 'notes.example.com.evil']) {
        const answer = await send(s, '/healthz', { headers: { Host: host } })
        expect({ host, status: answer.status }).toEqual({ host, status: 421 })
      }
      expect((await upgrade(`${wsUrl(s)}/doc`, { Host: 'notes.example.com' })).status).toBe(101)
    })

    it('T30: ALLOWED_HOSTS entries are checked at start', () => {
      expect(() => loadConfig({ ALLOWED_HOSTS: 'notes.example.com, https://x/' })).toThrow(
        /ALLOWED_HOSTS/,
      )
      expect(loadConfig({ ALLOWED_HOSTS: '*' }).ALLOWED_HOSTS).toEqual(['*'])
    })

    it('T30: listening on every interface without ALLOWED_HOSTS, the server says so at start', async () => {
      dir = tempDir()
      const lines: string[] = []
      const log = createLogger('info', { write: (line: string) => void lines.push(line) })
      const config = loadConfig({ HOST: '0.0.0.0', PORT: '0', DATA_DIR: dir.path, WEB_DIR: '' })
      server = await startTandem(config, log, new MemoryStore())
      expect(lines.some((l) => l.includes('ALLOWED_HOSTS is not set'))).toBe(true)
      const port = server.url.port
      expect(
        (await send(server, '/healthz', { headers: { Host: `localhost:${port}` } })).status,
      ).toBe(200)
      expect(
        (await send(server, '/healthz', { headers: { Host: 'notes.example.com' } })).status,
      ).toBe(421)
      expect(lines.some((l) => l.includes('unknown Host'))).toBe(true)
    })

    it('T31: Origin is compared with the server names, not with whatever Host says', async () => {
      const s = await start({ ALLOWED_HOSTS: 'notes.example.com' })
      const port = s.url.port
      const put = (headers: Record<string, string>) =>
        send(s, `${docPath('doc')}/text`, { method: 'PUT', headers, body: 'x' })
      // A proxy that rewrote Host to the upstream address: the page's origin is a known name.
      expect(
        (await put({ Host: `127.0.0.1:${port}`, Origin: 'https://notes.example.com' })).status,
      ).toBe(200)
      expect(
        (await put({ Host: `127.0.0.1:${port}`, Origin: `http://localhost:${port}` })).status,
      ).toBe(200)
      for (const origin of [
        'http://evil.example',
        `http://localhost:${Number(port) + 1}`,
        'http://192.0.2.66',
        'null',
      ]) {
        const answer = await put({ Host: `127.0.0.1:${port}`, Origin: origin })
        expect({ origin, status: answer.status }).toEqual({ origin, status: 403 })
        expect(errorOf(answer)).toBe('origin_not_allowed')
      }
      const wsUpgrade = (origin: string) =>
        upgrade(`${wsUrl(s)}/doc`, { Origin: origin }).then((r) => r.status)
      expect(await wsUpgrade('https://notes.example.com')).toBe(101)
      expect(await wsUpgrade('http://evil.example')).toBe(403)
    })
  })

  describe('origin on every change', () => {
    it('T32: admin routes and every state-changing request pass the origin check', async () => {
      const s = await start()
      await s.store.append('doc', textUpdate('hello'))
      const evil = { Origin: 'http://evil.example' }
      const compact = await send(s, '/api/compact', { method: 'POST', headers: evil })
      expect(compact.status).toBe(403)
      expect(errorOf(compact)).toBe('origin_not_allowed')
      for (const [method, path] of [
        ['DELETE', docPath('doc')],
        ['POST', `${docPath('doc')}/rename`],
        ['PUT', `${docPath('doc')}/text`],
        ['POST', `${docPath('doc')}/links`],
        ['POST', '/api/trash/doc/restore'],
      ] as const) {
        const answer = await send(s, path, { method, headers: evil, body: '{"to":"x"}' })
        expect({ method, path, status: answer.status }).toEqual({ method, path, status: 403 })
      }
      expect((await s.store.list()).map((d) => d.name)).toEqual(['doc'])
      // Reads carry on; the own origin may change things.
      expect((await send(s, `${docPath('doc')}/text`, { headers: evil })).body).toBe('hello')
      const own = await send(s, '/api/compact', {
        method: 'POST',
        headers: { Origin: `http://${s.url.host}` },
      })
      expect(own.status).toBe(200)
    })
  })

  describe('second documents', () => {
    it('T33: rename checks edit access to the target name too', async () => {
      const s = await start({ AUTH_MODE: 'token' })
      await s.store.append('mine', textUpdate('planted'))
      await s.store.append('team-b/other', textUpdate('theirs'))
      const mine = await signer.sign({ doc: 'mine', mode: 'edit' }, 60)
      const rename = (token: string, to: string) =>
        send(s, `${docPath('mine')}/rename`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
          body: JSON.stringify({ to }),
        })
      const refused = await rename(mine, 'team-b/roadmap')
      expect(refused.status).toBe(403)
      expect(errorOf(refused)).toBe('token_wrong_document')
      expect((await s.store.list()).map((d) => d.name).sort()).toEqual(['mine', 'team-b/other'])

      // Viewing the target is not enough.
      const mineAndViewB = await signer.sign({ prefix: 'team-b', mode: 'view' }, 60)
      expect((await rename(mineAndViewB, 'team-b/roadmap')).status).toBe(403)
      // A token whose prefix covers both names may rename.
      const both = await signer.sign({ prefix: 'mine', mode: 'edit' }, 60)
      const allowed = await rename(both, 'mine/renamed')
      expect(allowed.status).toBe(200)
      expect((await s.store.list()).map((d) => d.name).sort()).toEqual([
        'mine/renamed',
        'team-b/other',
      ])
    })
  })

  describe('prefix tokens', () => {
    it('T34: a prefix matches whole path segments', async () => {
      const s = await start({ AUTH_MODE: 'token' })
      const team = await signer.sign({ prefix: 'team', mode: 'edit' }, 60)
      const status = async (name: string, token: string) =>
        (await send(s, `${docPath(name)}/text`, { headers: { Authorization: `Bearer ${token}` } }))
          .status
      await s.store.append('team', textUpdate('a'))
      await s.store.append('team/x', textUpdate('b'))
      await s.store.append('teammate-private', textUpdate('c'))
      expect(await status('team', team)).toBe(200)
      expect(await status('team/x', team)).toBe(200)
      expect(await status('teammate-private', team)).toBe(403)
      const slash = await signer.sign({ prefix: 'team/', mode: 'view' }, 60)
      expect(await status('team/x', slash)).toBe(200)
      expect(await status('teammate-private', slash)).toBe(403)
      expect((await upgrade(`${wsUrl(s)}/teammate-private?token=${team}`)).status).toBe(403)
      expect((await upgrade(`${wsUrl(s)}/team/x?token=${team}`)).status).toBe(101)
    })

    it('T34: an empty prefix is refused when minting and when verifying', async () => {
      await expect(signer.sign({ prefix: '', mode: 'edit' }, 60)).rejects.toThrow(/prefix/)
      await expect(signer.sign({ prefix: '/', mode: 'edit' }, 60)).rejects.toThrow(/prefix/)
      const s = await start({ AUTH_MODE: 'token' })
      await s.store.append('anything', textUpdate('x'))
      // A token with an empty prefix, signed with the right key by something other than Tandem.
      const forged = await new SignJWT({ prefix: '', mode: 'edit' })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer('tandem')
        .setExpirationTime(Math.floor(Date.now() / 1000) + 60)
        .sign(new TextEncoder().encode(SECRET))
      const answer = await send(s, `${docPath('anything')}/text`, {
        headers: { Authorization: `Bearer ${forged}` },
      })
      expect(answer.status).toBe(401)
      expect((await upgrade(`${wsUrl(s)}/anything?token=${forged}`)).status).toBe(401)
    })
  })

  describe('smaller ones', () => {
    it('T35: a failed request is logged with its path, never its query', async () => {
      dir = tempDir()
      const lines: string[] = []
      const log = createLogger('info', { write: (line: string) => void lines.push(line) })
      const store = new MemoryStore()
      store.health = () => {
        throw new Error('health check broke')
      }
      const config = loadConfig({ HOST: '127.0.0.1', PORT: '0', DATA_DIR: dir.path, WEB_DIR: '' })
      server = await startTandem(config, log, store)
      const answer = await send(server, '/readyz?token=very-secret-token')
      expect(answer.status).toBe(500)
      const failed = lines.find((l) => l.includes('request failed'))
      expect(failed).toBeDefined()
      expect(JSON.parse(failed!).path).toBe('/readyz')
      expect(lines.join('\n')).not.toContain('very-secret-token')
    })

    it('T35: /metrics takes exactly its token', async () => {
      const s = await start({ METRICS_TOKEN: 'a-long-metrics-token' })
      const metrics = (authorization?: string) =>
        send(s, '/metrics', authorization ? { headers: { Authorization: authorization } } : {})
      expect((await metrics()).status).toBe(401)
      expect((await metrics('Bearer a-long-metrics-tokeN')).status).toBe(401)
      expect((await metrics('Bearer a-long-metrics-token-and-more')).status).toBe(401)
      expect((await metrics('Bearer a-long-metrics-token')).status).toBe(200)
    })

    it('T17: with fewer X-Forwarded-For entries than TRUSTED_PROXY_HOPS, the peer address counts', async () => {
      const s = await start({ TRUSTED_PROXY_HOPS: '2', MAX_UPGRADES_PER_IP_PER_MINUTE: '6' })
      // Each attempt claims a fresh address in a single entry: not written by two proxies.
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) {
        statuses.push(
          (await upgrade(`${wsUrl(s)}/doc`, { 'X-Forwarded-For': `203.0.113.${i}` })).status,
        )
      }
      expect(statuses).toEqual([101, 429, 429, 429])
      const req = (header: string) =>
        ({
          headers: { 'x-forwarded-for': header },
          socket: { remoteAddress: '10.0.0.1' },
        }) as unknown as IncomingMessage
      expect(clientAddress(req('203.0.113.9'), 2)).toBe('10.0.0.1')
      expect(clientAddress(req('198.51.100.1, 203.0.113.9'), 2)).toBe('198.51.100.1')
      expect(clientAddress(req('6.6.6.6, 198.51.100.1, 203.0.113.9'), 2)).toBe('198.51.100.1')
    })

    it('T36: per-address limits count an IPv6 /64 as one address', async () => {
      const s = await start({ TRUSTED_PROXY_HOPS: '1', MAX_UPGRADES_PER_IP_PER_MINUTE: '6' })
      const statuses: number[] = []
      for (let i = 1; i <= 4; i++) {
        statuses.push(
          (await upgrade(`${wsUrl(s)}/doc`, { 'X-Forwarded-For': `2001:db8:1:2::${i}` })).status,
        )
      }
      expect(statuses).toEqual([101, 429, 429, 429])
      expect(
        (await upgrade(`${wsUrl(s)}/doc`, { 'X-Forwarded-For': '2001:db8:1:3::1' })).status,
      ).toBe(101)
    })
  })

  describe('document names', () => {
    it('T37: "café" composed and decomposed is one document; format characters are refused', async () => {
      const s = await start()
      const composed = 'caf\u00e9'
      const decomposed = 'cafe\u0301'
      const put = await send(s, `${docPath(decomposed)}/text`, { method: 'PUT', body: 'one' })
      expect(put.status).toBe(200)
      expect((await send(s, `${docPath(composed)}/text`)).body).toBe('one')
      expect((await s.store.list()).map((d) => d.name)).toEqual([composed])
      const client = connectClient(wsUrl(s), decomposed)
      clients.push(client)
      await synced(client)
      expect(client.text.toString()).toBe('one')

      for (const name of ['a\u202eb', 'a\u200bb']) {
        const answer = await send(s, `${docPath(name)}/text`, { method: 'PUT', body: 'x' })
        expect(answer.status).toBe(400)
        expect(errorOf(answer)).toBe('invalid_name')
        expect((await upgrade(`${wsUrl(s)}/${encodeURIComponent(name)}`)).status).toBe(400)
      }
      const rename = await send(s, `${docPath(composed)}/rename`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ to: 'evil\u202etxt.exe' }),
      })
      expect(rename.status).toBe(400)
    })
  })

  describe('API budgets (issue 13, item 4)', () => {
    it('T38: 20 concurrent reads of a large document: some get 429 with Retry-After; /healthz answers', async () => {
      const s = await start()
      await storeLargeDocument(s.store, 'big')
      // From another process, as real clients are: this one's event loop is the server's.
      const answers = await fireFromAnotherProcess(s.url.href, [
        ...Array.from({ length: 20 }, () => `${docPath('big')}/text`),
        '/healthz',
      ])
      const health = answers.pop()!
      expect(health.status).toBe(200)
      const limited = answers.filter((a) => a.status === 429)
      const served = answers.filter((a) => a.status === 200)
      expect(limited.length).toBeGreaterThan(0)
      expect(served.length).toBeGreaterThan(0)
      expect(served.length + limited.length).toBe(20)
      for (const answer of limited) {
        expect(JSON.parse(answer.body).error).toBe('rate_limited')
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1)
      }
      expect(served[0]!.length).toBeGreaterThan(100_000)
    })

    it('T38: an address over its request budget gets 429 with Retry-After; another token or address is not held back', async () => {
      const s = await start({ API_MAX_REQUESTS_PER_IP_PER_MINUTE: '60' })
      await s.store.append('doc', textUpdate('x'))
      const statuses: number[] = []
      for (let i = 0; i < 12; i++) statuses.push((await send(s, `${docPath('doc')}/text`)).status)
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200))
      expect(statuses.slice(10)).toEqual([429, 429])
      const over = await send(s, `${docPath('doc')}/text`)
      expect(errorOf(over)).toBe('rate_limited')
      expect(Number(over.headers['retry-after'])).toBeGreaterThanOrEqual(1)
      expect((await send(s, '/healthz')).status).toBe(200)
    })

    it('T38: a token over its request budget gets 429, whatever address it comes from', async () => {
      const s = await start({
        AUTH_MODE: 'token',
        API_MAX_REQUESTS_PER_TOKEN_PER_MINUTE: '6',
        TRUSTED_PROXY_HOPS: '1',
      })
      await s.store.append('doc', textUpdate('x'))
      const token = await signer.sign({ doc: 'doc', mode: 'view' }, 60)
      const other = await signer.sign({ doc: 'doc', mode: 'view', name: 'B' }, 60)
      const read = (t: string, i: number) =>
        send(s, `${docPath('doc')}/text`, {
          headers: { Authorization: `Bearer ${t}`, 'X-Forwarded-For': `198.51.100.${i}` },
        })
      expect((await read(token, 1)).status).toBe(200)
      expect((await read(token, 2)).status).toBe(429)
      expect((await read(other, 3)).status).toBe(200)
    })

    it('T39: text is read from the loaded room, or from a cache while the document is unchanged', async () => {
      const store = new MemoryStore()
      let loads = 0
      const load = store.load.bind(store)
      store.load = async (name) => {
        loads++
        return load(name)
      }
      const s = await start({ ROOM_UNLOAD_DELAY_MS: '60000' }, store)
      await store.append('doc', textUpdate('first'))
      expect((await send(s, `${docPath('doc')}/text`)).body).toBe('first')
      expect(loads).toBe(1)
      expect((await send(s, `${docPath('doc')}/text`)).body).toBe('first')
      expect(loads).toBe(1)
      await store.append('doc', textUpdate(' second', 2))
      expect((await send(s, `${docPath('doc')}/text`)).body).toMatch(/second/)
      expect(loads).toBe(2)

      const client = connectClient(wsUrl(s), 'doc')
      clients.push(client)
      await synced(client)
      const loadsOpen = loads
      client.text.insert(0, 'live ')
      await vi.waitFor(async () =>
        expect((await send(s, `${docPath('doc')}/text`)).body).toMatch(/^live /),
      )
      expect(loads).toBe(loadsOpen)
    })
  })
})

function textUpdate(text: string, clientID = 1): Uint8Array {
  const doc = new Y.Doc()
  doc.clientID = clientID
  doc.getText('codemirror').insert(0, text)
  return Y.encodeStateAsUpdate(doc)
}

interface Fired {
  status: number
  retryAfter: string | null
  length: number
  body: string
}

/** Sends GET requests for `paths` all at once from a child process; their answers, in order. */
function fireFromAnotherProcess(base: string, paths: string[]): Promise<Fired[]> {
  const script = `
    const [base, paths] = JSON.parse(process.argv[1])
    Promise.all(paths.map(async (path) => {
      const res = await fetch(new URL(path, base))
      const text = await res.text()
      return {
        status: res.status,
        retryAfter: res.headers.get('retry-after'),
        length: text.length,
        body: res.status === 200 ? '' : text,
      }
    })).then((answers) => process.stdout.write(JSON.stringify(answers)))
  `
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', script, JSON.stringify([base, paths])],
      { maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as Fired[])),
    )
  })
}

/** A document of about 400 KB stored as 2,000 separate updates, so that reading it folds them. */
async function storeLargeDocument(store: DocStore, name: string): Promise<void> {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (update: Uint8Array) => updates.push(update))
  const text = doc.getText('codemirror')
  for (let i = 0; i < 2_000; i++) text.insert(text.length, `line ${i} ${'x'.repeat(190)}\n`)
  // Appended in one turn: one commit.
  await Promise.all(updates.map((update) => store.append(name, update)))
}
