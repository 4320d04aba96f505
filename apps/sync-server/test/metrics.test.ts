import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Tandem } from '../src/app.js'
import { type Client, connectClient, startServer, synced, tempDir, wsUrl } from './helpers.js'
import { openRaw, upgradeStatus } from './raw.js'

/** The value of one sample line of a Prometheus text exposition, or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

describe('/metrics', () => {
  let dir: ReturnType<typeof tempDir>
  let server: Tandem
  const clients: Client[] = []
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    await server.close()
    dir.remove()
  })

  it('O1: reports connections, rooms, messages, refusals, closes and store latency', async () => {
    dir = tempDir()
    server = await startServer(dir.path)
    const a = connectClient(wsUrl(server), 'doc')
    const b = connectClient(wsUrl(server), 'doc')
    clients.push(a, b)
    await Promise.all([synced(a), synced(b)])
    a.text.insert(0, 'counted')
    await vi.waitFor(() => expect(b.text.toString()).toBe('counted'))
    expect(await upgradeStatus(`${wsUrl(server)}/a//b`)).toBe(400)
    const raw = await openRaw(`${wsUrl(server)}/doc`)
    raw.ws.send(new Uint8Array([0, 9, 9]))
    expect((await raw.closed).code).toBe(1007)

    const res = await fetch(new URL('/metrics', server.url))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/text\/plain/)
    const text = await res.text()
    await vi.waitFor(async () => {
      const now = await (await fetch(new URL('/metrics', server.url))).text()
      expect(sample(now, 'tandem_connections')).toBe(2)
    })
    expect(sample(text, 'tandem_rooms_loaded')).toBe(1)
    expect(sample(text, 'tandem_messages_received_total{type="sync"}')).toBeGreaterThan(0)
    expect(sample(text, 'tandem_messages_sent_total{type="sync"}')).toBeGreaterThan(0)
    expect(sample(text, 'tandem_received_bytes_total')).toBeGreaterThan(0)
    expect(sample(text, 'tandem_upgrades_refused_total{status="400"}')).toBe(1)
    expect(sample(text, 'tandem_connections_closed_total{code="1007"}')).toBe(1)
    expect(sample(text, 'tandem_store_append_seconds_count')).toBeGreaterThan(0)
    expect(text).toContain('tandem_nodejs_eventloop_lag_seconds')
    expect(text).toContain('tandem_process_resident_memory_bytes')
  })

  it('O2: with METRICS_TOKEN, /metrics needs it', async () => {
    dir = tempDir()
    server = await startServer(dir.path, { METRICS_TOKEN: 'a-long-metrics-token' })
    expect((await fetch(new URL('/metrics', server.url))).status).toBe(401)
    const ok = await fetch(new URL('/metrics', server.url), {
      headers: { Authorization: 'Bearer a-long-metrics-token' },
    })
    expect(ok.status).toBe(200)
  })
})
