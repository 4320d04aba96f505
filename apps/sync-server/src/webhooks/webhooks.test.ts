import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import * as Y from 'yjs'
import { createLogger } from '../log.js'
import { Metrics } from '../metrics/metrics.js'
import type { Peer } from '../rooms/peer.js'
import { TEXT_NAME, textOf } from '../rooms/text.js'
import { signWebhook, verifyWebhook } from './signature.js'
import {
  type ChangedDocument,
  type ChangeEvent,
  type WebhookOptions,
  Webhooks,
} from './webhooks.js'

const log = createLogger('silent')

const options: WebhookOptions = {
  urls: ['http://receiver.invalid/hook'],
  secret: 'a-secret-of-16-chars-or-more',
  debounceMs: 2_000,
  maxWaitMs: 10_000,
  maxAttempts: 3,
  retryDelayMs: 1_000,
  timeoutMs: 5_000,
  maxQueue: 10,
}

function docWithText(name: string, text: string, names = new Map<Peer, string>()) {
  const doc = new Y.Doc()
  doc.getText(TEXT_NAME).insert(0, text)
  const state = Y.encodeStateAsUpdate(doc)
  const changed: ChangedDocument = {
    name,
    textLength: async () => textOf(state).length,
    history: { nameOf: (peer) => names.get(peer) ?? null },
  }
  return changed
}

function peer(id: string, tokenName?: string): Peer {
  return {
    id,
    send() {},
    close() {},
    ...(tokenName ? { identity: { name: tokenName } } : {}),
  }
}

interface Call {
  url: string
  headers: Record<string, string>
  body: string
  event: ChangeEvent
  signal: AbortSignal
}

/** A stand-in for `fetch` that records each request and answers as `respond` says. */
function recorder(respond: (call: Call) => Promise<Response> | Response = () => ok()) {
  const calls: Call[] = []
  const fetch = (async (url: string, init: RequestInit) => {
    const call: Call = {
      url,
      headers: init.headers as Record<string, string>,
      body: String(init.body),
      event: JSON.parse(String(init.body)) as ChangeEvent,
      signal: init.signal!,
    }
    calls.push(call)
    return respond(call)
  }) as unknown as typeof globalThis.fetch
  return { calls, fetch }
}

const ok = () => new Response(null, { status: 204 })

/** A request that never answers until it is aborted. */
const hang = (call: Call) =>
  new Promise<Response>((_, reject) =>
    call.signal.addEventListener('abort', () => reject(call.signal.reason)),
  )

async function outcomes(metrics: Metrics): Promise<Record<string, number>> {
  const counted: Record<string, number> = {}
  for (const v of (await metrics.webhookDeliveries.get()).values) {
    counted[String(v.labels.outcome)] = v.value
  }
  return counted
}

describe('Webhooks', () => {
  let webhooks: Webhooks | undefined
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(async () => {
    const closing = webhooks?.close()
    await vi.runAllTimersAsync()
    await closing
    webhooks = undefined
    vi.useRealTimers()
  })

  it('W1: debounces per document: a burst on one document is one POST, two documents two', async () => {
    const { calls, fetch } = recorder()
    webhooks = new Webhooks(options, log, undefined, fetch)
    const ada = peer('c1')
    const grace = peer('c2', 'Grace (token)')
    const a = docWithText('a', 'hello', new Map([[ada, 'Ada']]))
    const b = docWithText('b', 'hi')
    for (let i = 0; i < 50; i++) {
      webhooks.changed(a, i % 2 === 0 ? ada : grace)
      await vi.advanceTimersByTimeAsync(20)
    }
    webhooks.changed(b, null, 'Api User')
    webhooks.changed(b, null)
    expect(calls).toHaveLength(0)
    // One debounce period after the last edit of each: one POST each, and nothing more.
    await vi.advanceTimersByTimeAsync(options.debounceMs)
    expect(calls.map((c) => c.event.document).sort()).toEqual(['a', 'b'])
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(2)

    const eventA = calls.find((c) => c.event.document === 'a')!.event
    expect(eventA).toMatchObject({
      event: 'document.changed',
      document: 'a',
      textLength: 5,
      changes: 50,
    })
    expect(eventA.authors.sort()).toEqual(['Ada', 'Grace (token)'])
    expect(Date.parse(eventA.at) - Date.parse(eventA.since)).toBe(49 * 20)
    const eventB = calls.find((c) => c.event.document === 'b')!.event
    expect(eventB.authors.sort()).toEqual(['Api User', 'anonymous'])
    expect(eventB.textLength).toBe(2)
  })

  it('W2: continuous editing is reported every WEBHOOK_MAX_WAIT_MS, not held back', async () => {
    const { calls, fetch } = recorder()
    webhooks = new Webhooks(options, log, undefined, fetch)
    const doc = docWithText('doc', 'x')
    // An edit every second for 30 s: never a 2 s pause.
    for (let t = 0; t < 30_000; t += 1_000) {
      webhooks.changed(doc, peer('p'))
      await vi.advanceTimersByTimeAsync(1_000)
    }
    expect(calls).toHaveLength(3)
    expect(calls.map((c) => c.event.changes)).toEqual([10, 10, 10])
  })

  it('W3: signs each attempt: HMAC-SHA256 of timestamp "." raw body, verifiable', async () => {
    const { calls, fetch } = recorder()
    webhooks = new Webhooks(options, log, undefined, fetch)
    webhooks.changed(docWithText('doc', 'signed'), peer('p'))
    await vi.advanceTimersByTimeAsync(options.debounceMs)
    const [call] = calls
    const signature = call!.headers['X-Tandem-Signature']!
    const timestamp = call!.headers['X-Tandem-Timestamp']!
    expect(signature).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(Number(timestamp)).toBe(Math.floor(Date.now() / 1000))
    expect(signature).toBe(signWebhook(options.secret, Number(timestamp), call!.body))
    expect(call!.headers['X-Tandem-Delivery']).toBe(call!.event.id)
    const headers = { signature, timestamp }
    expect(verifyWebhook(options.secret, headers, call!.body)).toBe(true)
    expect(verifyWebhook('another-secret-16chars', headers, call!.body)).toBe(false)
    expect(verifyWebhook(options.secret, headers, call!.body.replace('doc', 'dod'))).toBe(false)
    expect(verifyWebhook(options.secret, { signature, timestamp: '1' }, call!.body)).toBe(false)
    // Replayed ten minutes later: refused.
    expect(verifyWebhook(options.secret, headers, call!.body, 300, Date.now() + 600_000)).toBe(
      false,
    )
  })

  it('W4: retries with exponential backoff, a bounded number of times; never a 4xx', async () => {
    const metrics = new Metrics()
    const { calls, fetch } = recorder(
      (call) => new Response(null, { status: call.event.document === 'gone' ? 410 : 503 }),
    )
    webhooks = new Webhooks(options, log, metrics, fetch)
    webhooks.changed(docWithText('doc', 'x'), peer('p'))
    webhooks.changed(docWithText('gone', 'x'), peer('p'))
    await vi.advanceTimersByTimeAsync(options.debounceMs)
    const times = () => calls.filter((c) => c.event.document === 'doc').map(() => Date.now())
    expect(times()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(times()).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(times()).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1_999)
    expect(times()).toHaveLength(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(times()).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(600_000)
    const doc = calls.filter((c) => c.event.document === 'doc')
    expect(doc).toHaveLength(options.maxAttempts)
    // Every attempt is the same delivery, signed anew.
    expect(new Set(doc.map((c) => c.event.id)).size).toBe(1)
    expect(calls.filter((c) => c.event.document === 'gone')).toHaveLength(1)
    expect(await outcomes(metrics)).toEqual({ failed: 2 })
    expect((await metrics.webhookAttemptFailures.get()).values[0]?.value).toBe(4)
    expect(webhooks.queued).toBe(0)
  })

  it('W5: a dead endpoint holds at most WEBHOOK_MAX_QUEUE deliveries, one per document', async () => {
    const metrics = new Metrics()
    const { calls, fetch } = recorder(hang)
    webhooks = new Webhooks({ ...options, timeoutMs: 3_600_000 }, log, metrics, fetch)
    const docs = Array.from({ length: 50 }, (_, i) => docWithText(`doc-${i}`, 'x'))
    for (let round = 0; round < 20; round++) {
      for (const doc of docs) webhooks.changed(doc, peer('p'))
      await vi.advanceTimersByTimeAsync(options.maxWaitMs)
      expect(webhooks.queued).toBeLessThanOrEqual(options.maxQueue)
    }
    expect(webhooks.queued).toBe(options.maxQueue)
    // Four requests in flight, hanging; nothing else was sent.
    expect(calls).toHaveLength(4)
    const counted = await outcomes(metrics)
    expect(counted.dropped).toBeGreaterThan(0)
    expect(counted.delivered).toBeUndefined()
  })

  it('W6: a delivery waiting for its retry takes in the newer changes of its document', async () => {
    let fail = true
    const { calls, fetch } = recorder(() => new Response(null, { status: fail ? 500 : 200 }))
    // The first retry comes 5 s after the failure, after the next change is due (2 s).
    webhooks = new Webhooks({ ...options, retryDelayMs: 5_000 }, log, undefined, fetch)
    const ada = peer('a', 'Ada')
    const bob = peer('b', 'Bob')
    webhooks.changed(docWithText('doc', 'x'), ada)
    await vi.advanceTimersByTimeAsync(options.debounceMs)
    expect(calls).toHaveLength(1)
    fail = false
    webhooks.changed(docWithText('doc', 'xyz'), bob)
    await vi.advanceTimersByTimeAsync(options.debounceMs)
    expect(calls).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(3_000)
    // One retry, carrying both changes.
    expect(calls).toHaveLength(2)
    expect(calls[1]!.event.id).not.toBe(calls[0]!.event.id)
    expect(calls[1]!.event.authors.sort()).toEqual(['Ada', 'Bob'])
    expect(calls[1]!.event).toMatchObject({ changes: 2, textLength: 3 })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(2)
  })

  it('W7: close reports the pending changes at once and aborts what does not answer in time', async () => {
    const { calls, fetch } = recorder(hang)
    webhooks = new Webhooks(options, log, undefined, fetch)
    webhooks.changed(docWithText('doc', 'x'), peer('p'))
    const closing = webhooks.close()
    // Sent once the text length is read (off the event loop for a large document).
    await vi.waitFor(() => expect(calls).toHaveLength(1))
    await vi.advanceTimersByTimeAsync(3_000)
    await closing
    expect(calls[0]!.signal.aborted).toBe(true)
    expect(webhooks.queued).toBe(0)
    webhooks.changed(docWithText('doc', 'x'), peer('p'))
    expect(webhooks.pendingDocuments).toBe(0)
  })
})
