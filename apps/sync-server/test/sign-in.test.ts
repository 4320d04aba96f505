import { writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { exportJWK, exportSPKI, generateKeyPair, type JWK, SignJWT } from 'jose'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { ConfigError, loadConfig } from '../src/config.js'
import { startServer, tempDir, wsUrl } from './helpers.js'
import { upgrade } from './raw.js'

const SECRET = 'a sign-in test secret that is long enough'

/** A stock y-websocket client sending `headers` with its upgrade and `params` in its URL. */
function client(
  server: Tandem,
  name: string,
  options: { headers?: Record<string, string>; params?: Record<string, string> } = {},
) {
  class HeaderWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols, { headers: options.headers ?? {} })
    }
  }
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(wsUrl(server), name, doc, {
    WebSocketPolyfill: HeaderWebSocket as unknown as typeof globalThis.WebSocket,
    disableBc: true,
    ...(options.params ? { params: options.params } : {}),
  })
  const synced = new Promise<void>((resolve) => {
    provider.on('sync', (s: boolean) => s && resolve())
  })
  return { doc, text: doc.getText('codemirror'), provider, synced }
}

/** A local HTTP server answering with `handler`; its URL. */
async function service(
  handler: (req: IncomingMessage, body: string) => { status: number; body?: unknown } | null,
): Promise<{
  server: Server
  url: string
  seen: { headers: IncomingMessage['headers']; body: string }[]
}> {
  const seen: { headers: IncomingMessage['headers']; body: string }[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      seen.push({ headers: req.headers, body })
      const answer = handler(req, body)
      if (!answer) return // never answers
      const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {})
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen }
}

const closeServer = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

async function apiError(server: Tandem, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(new URL(path, server.url), { headers })
  const body = res.status === 200 ? null : ((await res.json()) as { error: string }).error
  return { status: res.status, error: body }
}

describe('sign-in by AUTH_CALLBACK_URL (issue 20)', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let tandem: Tandem | undefined
  const services: Server[] = []
  const providers: WebsocketProvider[] = []
  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy()
    await tandem?.close()
    tandem = undefined
    for (const s of services.splice(0)) await closeServer(s)
    dir?.remove()
  })

  async function start(callback: string, env: Record<string, string> = {}) {
    dir = tempDir()
    tandem = await startServer(dir.path, {
      AUTH_SECRET: SECRET,
      AUTH_CALLBACK_URL: callback,
      AUTH_CALLBACK_COOKIES: 'sid',
      AUTH_CALLBACK_HEADERS: 'authorization,x-team',
      ...env,
    })
    return tandem
  }

  /** The application: `sid=ada` edits, `sid=bob` views, everyone else is refused. */
  const app = (req: IncomingMessage) => {
    const sid = /(?:^|; )sid=([^;]*)/.exec(req.headers.cookie ?? '')?.[1]
    if (sid === 'ada') return { status: 200, body: { mode: 'edit', subject: 'u-ada', name: 'Ada' } }
    if (sid === 'bob') return { status: 200, body: { mode: 'view', subject: 'u-bob', name: 'Bob' } }
    return { status: 401 }
  }

  it('M3, M5: asks the service with the allowed headers and cookies only, and does what it answers', async () => {
    const check = await service(app)
    services.push(check.server)
    const server = await start(`${check.url}/tandem/check?key=k1`)
    const ada = client(server, 'plan', {
      headers: { cookie: 'sid=ada; theme=dark', 'x-team': 'blue', 'x-other': 'no' },
    })
    const bob = client(server, 'plan', { headers: { cookie: 'sid=bob' } })
    providers.push(ada.provider, bob.provider)
    await Promise.all([ada.synced, bob.synced])

    const first = check.seen[0]!
    expect(JSON.parse(first.body)).toEqual({ document: 'plan', token: null })
    expect(first.headers.cookie).toBe('sid=ada')
    expect(first.headers['x-team']).toBe('blue')
    expect(first.headers['x-other']).toBeUndefined()

    ada.text.insert(0, 'agenda')
    await vi.waitFor(() => expect(bob.text.toString()).toBe('agenda'))
    bob.text.insert(0, 'ignored ')
    ada.text.insert(6, '.')
    await vi.waitFor(() => expect(bob.text.toString()).toBe('ignored agenda.'))
    expect(ada.text.toString()).toBe('agenda.')

    expect((await upgrade(`${wsUrl(server)}/plan`, { cookie: 'sid=eve' })).status).toBe(401)
    expect(await apiError(server, '/api/docs/plan/text', { cookie: 'sid=eve' })).toEqual({
      status: 401,
      error: 'sign_in_refused',
    })
    expect((await apiError(server, '/api/docs/plan/text', { cookie: 'sid=bob' })).status).toBe(200)
    // The service sees the document, and a token that is not Tandem's, in the body.
    await upgrade(`${wsUrl(server)}/other?token=app-token-1`, { cookie: 'sid=ada' })
    expect(JSON.parse(check.seen.at(-1)!.body)).toEqual({ document: 'other', token: 'app-token-1' })
  })

  it('M3: Tandem tokens (share links) and the admin key still open documents without asking', async () => {
    const check = await service(app)
    services.push(check.server)
    const server = await start(`${check.url}/check`, { ADMIN_KEY: 'an admin key for the test' })
    const token = await new TokenSigner(new TextEncoder().encode(SECRET)).sign(
      { doc: 'plan', mode: 'view' },
      60,
    )
    expect((await upgrade(`${wsUrl(server)}/plan?token=${token}`)).status).toBe(101)
    expect(
      (await apiError(server, '/api/docs', { authorization: 'Bearer an admin key for the test' }))
        .status,
    ).toBe(200)
    expect(check.seen).toHaveLength(0)
  })

  it('M5: caches an answer for AUTH_CALLBACK_CACHE_MS, then asks again', async () => {
    const check = await service(app)
    services.push(check.server)
    const server = await start(`${check.url}/check`, { AUTH_CALLBACK_CACHE_MS: '2000' })
    // 404 not_found: let in (no such document yet), where a refusal is 401.
    for (let i = 0; i < 3; i++) {
      expect((await apiError(server, '/api/docs/plan/text', { cookie: 'sid=bob' })).status).toBe(
        404,
      )
      expect((await apiError(server, '/api/docs/plan/text', { cookie: 'sid=eve' })).status).toBe(
        401,
      )
    }
    expect(check.seen).toHaveLength(2)
    await vi.waitFor(
      async () => {
        await apiError(server, '/api/docs/plan/text', { cookie: 'sid=bob' })
        expect(check.seen).toHaveLength(3)
      },
      { timeout: 8000, interval: 200 },
    )
  })

  it('M4: refuses with 503 sign_in_unavailable when the service is down, slow, failing or odd', async () => {
    const modes = new Map<string, () => { status: number; body?: unknown } | null>([
      ['slow', () => null],
      ['fail', () => ({ status: 500 })],
      ['redirect', () => ({ status: 302 })],
      ['html', () => ({ status: 200, body: '<html>sign in</html>' })],
      ['admin', () => ({ status: 200, body: { mode: 'admin', subject: 'x' } })],
      ['nobody', () => ({ status: 200, body: { mode: 'edit' } })],
    ])
    const check = await service((req) => modes.get(req.headers['x-team'] as string)?.() ?? null)
    services.push(check.server)
    const server = await start(`${check.url}/check`, { AUTH_CALLBACK_TIMEOUT_MS: '300' })
    for (const mode of modes.keys()) {
      const started = Date.now()
      expect(await apiError(server, '/api/docs/plan/text', { 'x-team': mode })).toEqual({
        status: 503,
        error: 'sign_in_unavailable',
      })
      expect((await upgrade(`${wsUrl(server)}/plan`, { 'x-team': mode })).status).toBe(503)
      expect(Date.now() - started).toBeLessThan(5000)
    }
    // Down: nothing listens there any more.
    await closeServer(check.server)
    services.length = 0
    expect((await upgrade(`${wsUrl(server)}/plan`, { cookie: 'sid=ada' })).status).toBe(503)
    expect(await apiError(server, '/api/docs/plan/text', { cookie: 'sid=ada' })).toEqual({
      status: 503,
      error: 'sign_in_unavailable',
    })
  })
})

describe('sign-in by AUTH_JWKS_URL and AUTH_PUBLIC_KEY_FILE (issue 20)', () => {
  let dir: ReturnType<typeof tempDir> | undefined
  let tandem: Tandem | undefined
  const services: Server[] = []
  const providers: WebsocketProvider[] = []
  afterEach(async () => {
    for (const p of providers.splice(0)) p.destroy()
    await tandem?.close()
    tandem = undefined
    for (const s of services.splice(0)) await closeServer(s)
    dir?.remove()
  })

  const ISSUER = 'https://id.example'
  const AUDIENCE = 'tandem'

  async function provider() {
    const es = await generateKeyPair('ES256')
    const rs = await generateKeyPair('RS256')
    const other = await generateKeyPair('ES256')
    const keys: JWK[] = [
      { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256', use: 'sig' },
      { ...(await exportJWK(rs.publicKey)), kid: 'rs', alg: 'RS256', use: 'sig' },
    ]
    const jwks = await service(() => ({ status: 200, body: { keys } }))
    services.push(jwks.server)
    const sign = (
      claims: Record<string, unknown>,
      options: { key?: 'es' | 'rs' | 'other'; iss?: string; aud?: string; exp?: string } = {},
    ) => {
      const which = options.key ?? 'es'
      const alg = which === 'rs' ? 'RS256' : 'ES256'
      const key =
        which === 'rs' ? rs.privateKey : which === 'other' ? other.privateKey : es.privateKey
      return new SignJWT(claims)
        .setProtectedHeader({ alg, kid: which === 'other' ? 'es' : which })
        .setIssuer(options.iss ?? ISSUER)
        .setAudience(options.aud ?? AUDIENCE)
        .setExpirationTime(options.exp ?? '5m')
        .sign(key)
    }
    return { jwks, sign, rsPublic: rs.publicKey }
  }

  it("M6: opens documents with the provider's tokens, checked for key, issuer, audience, document and expiry", async () => {
    const idp = await provider()
    dir = tempDir()
    tandem = await startServer(dir.path, {
      AUTH_SECRET: SECRET,
      AUTH_JWKS_URL: `${idp.jwks.url}/.well-known/jwks.json`,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
    })
    const server = tandem
    const edit = await idp.sign({ sub: 'u1', doc: 'spec', mode: 'edit', name: 'Ada' })
    const view = await idp.sign({ sub: 'u2', doc: ['spec', 'other'], mode: 'view' }, { key: 'rs' })
    const ada = client(server, 'spec', { params: { token: edit } })
    const bob = client(server, 'spec', { params: { token: view } })
    providers.push(ada.provider, bob.provider)
    await Promise.all([ada.synced, bob.synced])
    ada.text.insert(0, 'rfc')
    await vi.waitFor(() => expect(bob.text.toString()).toBe('rfc'))
    bob.text.insert(0, 'x')
    ada.text.insert(3, '!')
    await vi.waitFor(() => expect(bob.text.toString()).toBe('xrfc!'))
    expect(ada.text.toString()).toBe('rfc!')

    const status = async (token: string, doc = 'spec') =>
      apiError(server, `/api/docs/${doc}/text`, { authorization: `Bearer ${token}` })
    expect((await status(edit)).status).toBe(200)
    expect(await status(edit, 'elsewhere')).toEqual({ status: 403, error: 'token_wrong_document' })
    expect(await status(await idp.sign({ doc: '*' }))).toEqual({ status: 200, error: null })
    expect(await status(await idp.sign({ doc: 'spec' }, { iss: 'https://evil.example' }))).toEqual({
      status: 401,
      error: 'token_invalid',
    })
    expect(await status(await idp.sign({ doc: 'spec' }, { aud: 'another-app' }))).toEqual({
      status: 401,
      error: 'token_invalid',
    })
    expect(await status(await idp.sign({ doc: 'spec' }, { key: 'other' }))).toEqual({
      status: 401,
      error: 'token_invalid',
    })
    expect(await status(await idp.sign({ doc: 'spec' }, { exp: '-1m' }))).toEqual({
      status: 401,
      error: 'token_expired',
    })
    expect(await status(await idp.sign({ doc: 'spec', mode: 'owner' }))).toEqual({
      status: 401,
      error: 'token_invalid',
    })
    expect(await apiError(server, '/api/docs/spec/text')).toEqual({
      status: 401,
      error: 'token_required',
    })
    // A token without a mode may view, not edit.
    const viewOnly = await idp.sign({ doc: 'spec' })
    const put = await fetch(new URL('/api/docs/spec/text', server.url), {
      method: 'PUT',
      headers: { authorization: `Bearer ${viewOnly}`, 'content-type': 'text/plain' },
      body: 'no',
    })
    expect(put.status).toBe(403)
    expect((await upgrade(`${wsUrl(server)}/spec?token=${edit}`)).status).toBe(101)
    expect((await upgrade(`${wsUrl(server)}/other?token=${edit}`)).status).toBe(403)
  })

  it('M4, M6: reads claims by the names configured, and refuses with 503 while the key set cannot be read', async () => {
    const idp = await provider()
    const jwksUrl = `${idp.jwks.url}/jwks`
    await closeServer(idp.jwks.server)
    services.length = 0
    dir = tempDir()
    tandem = await startServer(dir.path, {
      AUTH_SECRET: SECRET,
      AUTH_JWKS_URL: jwksUrl,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWT_DOCUMENT_CLAIM: 'https://app.example/docs',
      AUTH_JWT_MODE_CLAIM: 'https://app.example/access',
    })
    const token = await idp.sign({
      'https://app.example/docs': ['spec'],
      'https://app.example/access': 'edit',
    })
    expect(
      await apiError(tandem, '/api/docs/spec/text', { authorization: `Bearer ${token}` }),
    ).toEqual({ status: 503, error: 'sign_in_unavailable' })
    expect((await upgrade(`${wsUrl(tandem)}/spec?token=${token}`)).status).toBe(503)
  })

  it('M6: takes a public key file (RS256) instead of a key set', async () => {
    const idp = await provider()
    dir = tempDir()
    const pem = join(dir.path, 'idp.pem')
    writeFileSync(pem, await exportSPKI(idp.rsPublic))
    tandem = await startServer(dir.path, {
      AUTH_SECRET: SECRET,
      AUTH_PUBLIC_KEY_FILE: pem,
      AUTH_JWT_ISSUER: ISSUER,
      AUTH_JWT_AUDIENCE: AUDIENCE,
      AUTH_JWT_NAME_CLAIM: 'nickname',
    })
    const good = await idp.sign({ doc: 'spec', mode: 'edit', nickname: 'Ada' }, { key: 'rs' })
    const wrongKey = await idp.sign({ doc: 'spec', mode: 'edit' }, { key: 'es' })
    const auth = (t: string) => ({ authorization: `Bearer ${t}` })
    // 404 not_found: let in (no such document yet), where a refusal is 401.
    expect(await apiError(tandem, '/api/docs/spec/text', auth(good))).toEqual({
      status: 404,
      error: 'not_found',
    })
    expect(await apiError(tandem, '/api/docs/spec/text', auth(wrongKey))).toEqual({
      status: 401,
      error: 'token_invalid',
    })
  })

  it('M1, M6: needs an issuer and an audience, and one way to sign in', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env)
        return []
      } catch (err) {
        return (err as ConfigError).problems
      }
    }
    expect(problems({ AUTH_JWKS_URL: 'https://id.example/jwks' }).join('\n')).toMatch(
      /AUTH_JWT_ISSUER is not set[\s\S]*AUTH_JWT_AUDIENCE is not set/,
    )
    expect(
      problems({
        AUTH_JWKS_URL: 'https://id.example/jwks',
        AUTH_CALLBACK_URL: 'https://app.example/check',
        AUTH_JWT_ISSUER: 'a',
        AUTH_JWT_AUDIENCE: 'b',
      }),
    ).toEqual(['AUTH_CALLBACK_URL and AUTH_JWKS_URL: set only one way to sign in'])
    expect(problems({ AUTH_CALLBACK_URL: 'ftp://app.example' })[0]).toMatch(/http/)
    expect(problems({ AUTH_CALLBACK_COOKIES: 'sid,bad name' })[0]).toMatch(/not a cookie name/)
    expect(() => loadConfig({ AUTH_CALLBACK_URL: 'https://x.example' })).not.toThrow(ConfigError)
  })

  it('M1, M6: a public key file that is missing or holds no key stops the start with a ConfigError', async () => {
    dir = tempDir()
    const junk = join(dir.path, 'junk.pem')
    writeFileSync(junk, 'not a key')
    for (const file of [join(dir.path, 'missing.pem'), junk]) {
      await expect(
        startServer(dir.path, {
          AUTH_PUBLIC_KEY_FILE: file,
          AUTH_JWT_ISSUER: ISSUER,
          AUTH_JWT_AUDIENCE: AUDIENCE,
        }),
      ).rejects.toThrow(/^invalid configuration:\n {2}- AUTH_PUBLIC_KEY_FILE=/)
    }
  })
})
