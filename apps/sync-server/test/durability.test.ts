import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Client, connectClient, random, synced, tempDir } from './helpers.js'
import { spawnServer } from './process.js'
import { openRaw } from './raw.js'

describe('durability of a server process', () => {
  let dir: ReturnType<typeof tempDir>
  const clients: Client[] = []
  const connect = (url: string, name: string) => {
    const c = connectClient(url, name)
    clients.push(c)
    return c
  }
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(() => {
    for (const c of clients.splice(0)) c.destroy()
    dir.remove()
  })

  it('D1: SIGTERM stores everything, closes sockets with 1001 and exits 0', async () => {
    const server = await spawnServer({ DATA_DIR: dir.path })
    const writer = connect(server.wsUrl, 'doc')
    await synced(writer)
    const raw = await openRaw(`${server.wsUrl}/doc`)
    for (let i = 0; i < 100; i++) writer.text.insert(writer.text.length, `${i},`)
    const expected = writer.text.toString()
    await vi.waitFor(() => expect(raw.received.length).toBeGreaterThan(1))
    // Wait until the writer's last edit has reached the server: a second client has it.
    const watcher = connect(server.wsUrl, 'doc')
    await vi.waitFor(() => expect(watcher.text.toString()).toBe(expected))
    server.child.kill('SIGTERM')
    expect((await raw.closed).code).toBe(1001)
    expect(await server.exited).toEqual({ code: 0, signal: null })
    for (const c of clients.splice(0)) c.destroy()

    const again = await spawnServer({ DATA_DIR: dir.path })
    try {
      const reader = connect(again.wsUrl, 'doc')
      await synced(reader)
      expect(reader.text.toString()).toBe(expected)
    } finally {
      again.child.kill('SIGKILL')
      await again.exited
    }
  })

  it('D2: an edit another client has received survives kill -9, at random moments', async () => {
    const next = random(20261125)
    const rounds = 8
    for (let round = 0; round < rounds; round++) {
      const server = await spawnServer({ DATA_DIR: dir.path })
      const writer = connect(server.wsUrl, 'doc')
      const observer = connect(server.wsUrl, 'doc')
      await Promise.all([synced(writer), synced(observer)])
      await vi.waitFor(() => expect(writer.text.toString()).toBe(observer.text.toString()))
      const before = observer.text.length
      const target = before + 5 + Math.floor(next() * 60)
      // The writer types until the observer has seen `target` characters, then the server dies.
      let typed = 0
      const typing = setInterval(() => {
        writer.text.insert(writer.text.length, String.fromCharCode(97 + (typed++ % 26)))
      }, 1)
      await vi.waitFor(() => expect(observer.text.length).toBeGreaterThanOrEqual(target), {
        timeout: 10_000,
        interval: 1,
      })
      server.child.kill('SIGKILL')
      clearInterval(typing)
      const seen = observer.text.toString()
      const written = writer.text.toString()
      await server.exited
      // Neither client may heal the server by resending: they are gone with it.
      for (const c of clients.splice(0)) c.destroy()

      const restarted = await spawnServer({ DATA_DIR: dir.path })
      const fresh = connect(restarted.wsUrl, 'doc')
      await synced(fresh)
      const text = fresh.text.toString()
      expect(text.startsWith(seen), `round ${round}: lost what the observer saw`).toBe(true)
      expect(written.startsWith(text), `round ${round}: text the writer never wrote`).toBe(true)
      for (const c of clients.splice(0)) c.destroy()
      restarted.child.kill('SIGKILL')
      await restarted.exited
    }
  })
})

describe('SIGTERM under load', () => {
  it('D6: SIGTERM while three clients type stores everything any client saw, closing with 1001', async () => {
    const dir = tempDir()
    const clients: Client[] = []
    try {
      const server = await spawnServer({ DATA_DIR: dir.path })
      const writers = [0, 1, 2].map(() => connectClient(server.wsUrl, 'busy'))
      const watcher = connectClient(server.wsUrl, 'busy')
      clients.push(...writers, watcher)
      await Promise.all(clients.map(synced))
      const closes = clients.map(
        (c) =>
          new Promise<number>((resolve) =>
            c.provider.once('connection-close', (event: { code: number } | null) =>
              resolve(event?.code ?? 0),
            ),
          ),
      )
      let typed = 0
      const typing = setInterval(() => {
        for (const [w, c] of writers.entries()) c.text.insert(c.text.length, `<${w}.${typed}>`)
        typed++
      }, 1)
      await vi.waitFor(() => expect(watcher.text.length).toBeGreaterThan(3000), { timeout: 20_000 })
      server.child.kill('SIGTERM')
      const codes = await Promise.all(closes)
      clearInterval(typing)
      const seen = watcher.text.toString()
      expect(codes).toEqual([1001, 1001, 1001, 1001])
      expect(await server.exited).toEqual({ code: 0, signal: null })
      for (const c of clients.splice(0)) c.destroy()

      const again = await spawnServer({ DATA_DIR: dir.path })
      const reader = connectClient(again.wsUrl, 'busy')
      clients.push(reader)
      await synced(reader)
      const kept = reader.text.toString()
      for (const token of seen.match(/<[^>]*>/g) ?? []) expect(kept).toContain(token)
      again.child.kill('SIGKILL')
      await again.exited
    } finally {
      for (const c of clients.splice(0)) c.destroy()
      dir.remove()
    }
  })
})
