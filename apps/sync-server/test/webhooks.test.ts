import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { TokenSigner } from '../src/auth/tokens.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'

const SECRET = 'webhook-secret-for-the-tests'

interface Received {
  headers: IncomingMessage['headers']
  body: string
  json: {
    event: string
    id: string
    document: string
    textLength: number
    authors: string[]
    changes: number
    since: string
    at: string
  }
}

/**
 * A webhook receiver on a real local HTTP server. `answer` decides each response: a status,
 * or `hang` to never answer.
 */
async function startReceiver(answer: (n: number) => number | 'hang' = () => 200) {
  const received: Received[] = []
  const waiters: { count: number; resolve: () => void }[] = []
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => {
      received.push({ headers: req.headers, body, json: JSON.parse(body) })
      const reply = answer(received.length)
      if (reply !== 'hang') res.writeHead(reply).end()
      for (const w of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve()
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/tandem?key=k`,
    received,
    /** Resolves once `count` requests have been received. */
    requests(count: number): Promise<void> {
      if (received.length >= count) return Promise.resolve()
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
    close(): Promise<void> {
      server.closeAllConnections()
      return new Promise((resolve) => server.close(() => resolve()))
    },
  }
}

/** How a receiver checks a request, as docs/SELF-HOSTING.md shows it. */
function genuine(request: Received, secret: string): boolean {
  const timestamp = String(request.headers['x-tandem-timestamp'])
  const signature = String(request.headers['x-tandem-signature'])
  const expected = `sha256=${createHmac('sha256', secret).update(`${timestamp}.${request.body}`).digest('hex')}`
  const fresh = Math.abs(Date.now() / 1000 - Number(timestamp)) <= 300
  return (
    fresh &&
    signature.length === expected.length &&
    timingSafeEqual(Buffer.from(signature), Buffer.from(expected))
  )
}

async function metric(server: Tandem, series: string): Promise<number | undefined> {
  const text = await (await fetch(new URL('/metrics', server.url))).text()
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('webhooks', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem | undefined
  let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined
  const clients: Client[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    // The receiver first: a request it holds then fails at once instead of at the timeout.
    await receiver?.close()
    await server?.close()
    receiver = undefined
    server = undefined
    dir.remove()
  })

  function client(name: string, user: string): Client {
    const c = connectClient(wsUrl(server!), name)
    c.provider.awareness.setLocalStateField('user', { name: user, color: '#ff0000' })
    clients.push(c)
    return c
  }

  it('H1: one signed POST per changed document, however many edits, naming the authors', async () => {
    dir = tempDir()
    receiver = await startReceiver()
    server = await startServer(dir.path, {
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_DEBOUNCE_MS: '1000',
    })
    const ada = client('notes', 'Ada')
    const bob = client('plans', 'Bob')
    await Promise.all([synced(ada), synced(bob)])
    for (let i = 0; i < 30; i++) ada.text.insert(ada.text.length, `${i},`)
    bob.text.insert(0, 'plan')
    await receiver.requests(2)

    // Closing reports whatever is still pending: nothing more is.
    const tandem = server
    server = undefined
    await tandem.close()
    expect(receiver.received).toHaveLength(2)
    const byDoc = Object.fromEntries(receiver.received.map((r) => [r.json.document, r]))
    expect(byDoc.notes?.json).toMatchObject({
      event: 'document.changed',
      document: 'notes',
      textLength: ada.text.length,
      authors: ['Ada'],
    })
    expect(byDoc.notes?.json.changes).toBeGreaterThanOrEqual(1)
    expect(byDoc.plans?.json).toMatchObject({ document: 'plans', textLength: 4, authors: ['Bob'] })
    for (const request of receiver.received) {
      expect(request.headers['content-type']).toBe('application/json')
      expect(request.headers['x-tandem-event']).toBe('document.changed')
      expect(request.headers['x-tandem-delivery']).toBe(request.json.id)
      expect(genuine(request, SECRET)).toBe(true)
      expect(genuine(request, 'some-other-secret-value')).toBe(false)
      expect(genuine({ ...request, body: request.body.replace('"', ' "') }, SECRET)).toBe(false)
    }
  })

  it('H2: an edit through the HTTP API is attributed to the user its token names', async () => {
    dir = tempDir()
    receiver = await startReceiver()
    const authSecret = 'x'.repeat(32)
    server = await startServer(dir.path, {
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_DEBOUNCE_MS: '50',
      AUTH_SECRET: authSecret,
    })
    const token = await new TokenSigner(new TextEncoder().encode(authSecret)).sign(
      { doc: 'imported', mode: 'edit', name: 'Importer' },
      60,
    )
    const res = await fetch(new URL('/api/docs/imported/text', server.url), {
      method: 'PUT',
      headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${token}` },
      body: 'from a file',
    })
    expect(res.status).toBe(200)
    await receiver.requests(1)
    expect(receiver.received[0]?.json).toMatchObject({
      document: 'imported',
      textLength: 'from a file'.length,
      authors: ['Importer'],
    })
  })

  it('H3: a delivery answered with 500 is retried, as the same delivery, until it succeeds', async () => {
    dir = tempDir()
    receiver = await startReceiver((n) => (n === 1 ? 500 : 200))
    server = await startServer(dir.path, {
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_DEBOUNCE_MS: '50',
      WEBHOOK_RETRY_DELAY_MS: '50',
    })
    const ada = client('doc', 'Ada')
    await synced(ada)
    ada.text.insert(0, 'retry me')
    await receiver.requests(2)
    const [first, second] = receiver.received
    expect(second?.json).toEqual(first?.json)
    expect(genuine(second!, SECRET)).toBe(true)
    await vi.waitFor(async () => {
      expect(await metric(server!, 'tandem_webhook_deliveries_total{outcome="delivered"}')).toBe(1)
    })
    expect(await metric(server, 'tandem_webhook_attempt_failures_total')).toBe(1)
    expect(await metric(server, 'tandem_webhook_queued')).toBe(0)
  })

  it('H4: editing goes on while the receiver hangs, and the queue stays bounded', async () => {
    dir = tempDir()
    receiver = await startReceiver(() => 'hang')
    server = await startServer(dir.path, {
      WEBHOOK_URLS: receiver.url,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_DEBOUNCE_MS: '20',
      WEBHOOK_MAX_WAIT_MS: '20',
      WEBHOOK_TIMEOUT_MS: '600000',
    })
    const ada = client('doc', 'Ada')
    const bob = client('doc', 'Bob')
    await Promise.all([synced(ada), synced(bob)])
    ada.text.insert(0, 'a')
    await receiver.requests(1)
    // The receiver holds that request open. Edits still cross, through many debounce periods.
    for (let i = 0; i < 20; i++) {
      ada.text.insert(ada.text.length, 'b')
      await vi.waitFor(() => expect(bob.text.length).toBe(ada.text.length), { interval: 5 })
    }
    expect(bob.text.toString()).toBe(`a${'b'.repeat(20)}`)
    expect((await fetch(new URL('/healthz', server.url))).status).toBe(200)
    // One request per document at a time: the one in flight, and at most one more waiting.
    expect(receiver.received).toHaveLength(1)
    expect(await metric(server, 'tandem_webhook_queued')).toBeLessThanOrEqual(2)
  })
})
