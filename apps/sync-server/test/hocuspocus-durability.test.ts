import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { type Client, connectClient, random, synced, tempDir } from './helpers.js'
import { connectHp, flavours, type HpClient } from './hocuspocus-helpers.js'
import { type ServerProcess, spawnServer } from './process.js'

describe.each(flavours)('@hocuspocus/provider $line: acknowledged means stored', (flavour) => {
  let dir: ReturnType<typeof tempDir>
  const clients: (Client | HpClient)[] = []
  const servers: ServerProcess[] = []
  const start = async () => {
    const server = await spawnServer({ DATA_DIR: dir.path })
    servers.push(server)
    return server
  }
  const kill = async (server: ServerProcess) => {
    server.child.kill('SIGKILL')
    await server.exited
  }
  beforeEach(() => {
    dir = tempDir()
  })
  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy()
    for (const s of servers.splice(0)) {
      if (s.child.exitCode === null && s.child.signalCode === null) await kill(s)
    }
    dir.remove()
  })

  it('Y5: hasUnsyncedChanges false, then kill -9: every acknowledged character survives the restart', async () => {
    const next = random(20261216)
    for (let round = 0; round < 4; round++) {
      const server = await start()
      const writer = connectHp(flavour, server.wsUrl, 'durable')
      clients.push(writer)
      await vi.waitFor(() => expect(writer.provider.synced).toBe(true), { timeout: 10_000 })
      const before = writer.text.toString()
      // A burst of single-character updates, each its own message, then nothing until the
      // provider reports that the server has acknowledged all of them.
      const burst = 5 + Math.floor(next() * 60)
      for (let i = 0; i < burst; i++) {
        writer.text.insert(writer.text.length, String.fromCharCode(97 + ((round + i) % 26)))
      }
      expect(writer.provider.hasUnsyncedChanges).toBe(true)
      await vi.waitFor(() => expect(writer.provider.hasUnsyncedChanges).toBe(false), {
        timeout: 10_000,
        interval: 1,
      })
      // The moment of the acknowledgement: what the writer has now is what it was told is safe.
      // More typing follows, unacknowledged, and the server dies at once.
      const acknowledged = writer.text.toString()
      writer.text.insert(writer.text.length, 'UNACKED')
      server.child.kill('SIGKILL')
      expect(acknowledged.length).toBe(before.length + burst)
      const written = writer.text.toString()
      await server.exited
      // The writer may not heal the restarted server by resending: it is gone with the first.
      for (const c of clients.splice(0)) c.destroy()

      const restarted = await start()
      const reader = connectClient(restarted.wsUrl, 'durable')
      clients.push(reader)
      await synced(reader)
      const text = reader.text.toString()
      expect(text.startsWith(acknowledged), `round ${round}: lost acknowledged text`).toBe(true)
      expect(written.startsWith(text), `round ${round}: text the writer never wrote`).toBe(true)
      // The next round starts from what was stored, without the unacknowledged tail.
      reader.text.delete(acknowledged.length, text.length - acknowledged.length)
      await vi.waitFor(
        async () => {
          const check = connectClient(restarted.wsUrl, 'durable')
          try {
            await synced(check)
            expect(check.text.toString()).toBe(acknowledged)
          } finally {
            check.destroy()
          }
        },
        { timeout: 10_000, interval: 50 },
      )
      for (const c of clients.splice(0)) c.destroy()
      await kill(restarted)
    }
  }, 90_000)
})
