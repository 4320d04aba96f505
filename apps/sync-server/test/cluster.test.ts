import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ConfigError, loadConfig } from '../src/config.js'
import {
  Balancer,
  clusterEnv,
  converged,
  dropSchema,
  logsOf,
  Nodes,
  namesSeenBy,
  PrivateRedis,
  readiness,
  redisUrl,
  unique,
} from './cluster-helpers.js'
import {
  type AckingClient,
  type Client,
  connectAckingClient,
  connectClient,
  synced,
  tempDir,
} from './helpers.js'
import { spawnServer } from './process.js'

/** `vi.waitFor` with room for a busy machine: 10 s unless told. */
function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeout?: number; interval?: number } = {},
): Promise<T> {
  return vi.waitFor(check, { timeout: 10_000, interval: 20, ...options })
}

/** Tokens `<w.i>` typed by writer `w`, in a text. */
function tokensIn(text: string): Set<string> {
  return new Set(text.match(/<[^<>]+>/g) ?? [])
}

/**
 * Has each client append a token `<label.i>` every `intervalMs` until `stop` is called; tokens
 * typed so far are in `typed`.
 */
function typing(writers: [label: string, client: Client][], intervalMs: number) {
  const typed: string[] = []
  const counts = new Map<string, number>()
  const timer = setInterval(() => {
    for (const [label, client] of writers) {
      const i = counts.get(label) ?? 0
      counts.set(label, i + 1)
      const token = `<${label}.${i}>`
      client.text.insert(client.text.length, token)
      typed.push(token)
    }
  }, intervalMs)
  return {
    typed,
    /** How many tokens `label` has typed. */
    count: (label: string) => counts.get(label) ?? 0,
    stop: () => clearInterval(timer),
  }
}

describe('a cluster of server processes on PostgreSQL and Redis', () => {
  let schema: string
  const nodes = new Nodes()
  const clients: Client[] = []
  const cleanups: (() => Promise<void> | void)[] = []
  const connect = (url: string, name: string, user?: string) => {
    const client = connectClient(url, name)
    if (user) client.provider.awareness.setLocalStateField('user', { name: user })
    clients.push(client)
    return client
  }

  beforeEach(() => {
    schema = unique('tandem_cluster')
  })
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      process.stderr.write(`${context.task.name}: node logs\n${logsOf(nodes.all)}\n`)
    }
    for (const c of clients.splice(0)) c.destroy()
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    await nodes.stopAll()
    await dropSchema(schema)
  })

  it('N1: clients on two nodes see each other’s edits and cursors', async () => {
    const env = clusterEnv(schema)
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    const doc = unique('doc')
    const ada = connect(a!.wsUrl, doc, 'Ada')
    const bob = connect(b!.wsUrl, doc, 'Bob')
    await Promise.all([synced(ada), synced(bob)])
    ada.text.insert(0, 'hello from a. ')
    bob.text.insert(0, 'hello from b. ')
    const text = await converged([ada, bob])
    expect(text).toContain('hello from a. ')
    expect(text).toContain('hello from b. ')
    await waitFor(() => {
      expect(namesSeenBy(ada)).toEqual(['Ada', 'Bob'])
      expect(namesSeenBy(bob)).toEqual(['Ada', 'Bob'])
    })
    // A cursor that leaves is removed on the other node too.
    ada.destroy()
    await waitFor(() => expect(namesSeenBy(bob)).toEqual(['Bob']))
  })

  it('N1, N2: three nodes, clients typing on each at once: every client gets every edit, once, and every cursor', async () => {
    const env = clusterEnv(schema)
    const started = await Promise.all([0, 1, 2].map(() => nodes.start(env)))
    const doc = unique('doc')
    const names = ['Ada', 'Bob', 'Cy']
    const writers = started.map((node, i) => connect(node.wsUrl, doc, names[i]))
    // A late joiner, and an edit through the HTTP API of another node.
    await Promise.all(writers.map(synced))
    const typist = typing(
      writers.map((c, i) => [String(i), c] as [string, Client]),
      2,
    )
    await waitFor(() => expect(typist.count('0')).toBeGreaterThanOrEqual(200), {
      timeout: 20_000,
    })
    typist.stop()
    const late = connect(started[2]!.wsUrl, doc, 'Late')
    await synced(late)
    const text = await converged([...writers, late], 20_000, (t) =>
      expect(tokensIn(t)).toEqual(new Set(typist.typed)),
    )
    // Exactly once each.
    expect(text.match(/<[^<>]+>/g)).toHaveLength(typist.typed.length)
    await waitFor(() => {
      for (const c of [...writers, late]) expect(namesSeenBy(c)).toEqual([...names, 'Late'].sort())
    })

    const res = await fetch(
      new URL(`/api/docs/${encodeURIComponent(doc)}/text`, started[0]!.httpUrl),
      {
        method: 'PUT',
        headers: { 'Content-Type': 'text/plain' },
        body: 'replaced through node 0',
      },
    )
    expect(res.status).toBeLessThan(300)
    await converged([...writers, late], 10_000, (t) => expect(t).toBe('replaced through node 0'))
  })

  it('N4: kill -9 of a node while its client types: the client moves to another node, and nothing any client saw or was told is saved is lost', async () => {
    const env = clusterEnv(schema)
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    // The writer reaches the nodes through a balancer that prefers a; the others are on b.
    const balancer = await Balancer.start([a!.wsUrl, b!.wsUrl])
    cleanups.push(() => balancer.close())
    const doc = unique('doc')
    const writer: AckingClient = connectAckingClient(balancer.url, doc)
    clients.push(writer)
    writer.provider.awareness.setLocalStateField('user', { name: 'Writer' })
    const other = connect(b!.wsUrl, doc, 'Other')
    const observer = connect(b!.wsUrl, doc, 'Observer')
    await Promise.all([synced(writer), synced(other), synced(observer)])

    // Which token each update frame of the writer's current connection carried.
    const frameTokens = new Map<number, string>()
    let typing_: string | null = null
    writer.onSend = (frame) => {
      if (typing_ !== null) frameTokens.set(frame, typing_)
    }
    const typed: string[] = []
    let w = 0
    let o = 0
    const timer = setInterval(() => {
      typing_ = `<w.${w++}>`
      writer.text.insert(writer.text.length, typing_)
      typed.push(typing_)
      typing_ = null
      if (w % 3 === 0) {
        const token = `<o.${o++}>`
        other.text.insert(other.text.length, token)
        typed.push(token)
      }
    }, 2)
    cleanups.push(() => clearInterval(timer))

    await waitFor(
      () => {
        expect(
          [...tokensIn(observer.text.toString())].filter((t) => t.startsWith('<w.')).length,
        ).toBeGreaterThanOrEqual(150)
      },
      { timeout: 20_000, interval: 1 },
    )
    // The writer may not come back (and heal the store by resending) before the check below.
    balancer.held = true
    a!.child.kill('SIGKILL')
    const saved = writer.savedFrames()
    const acknowledged = [...frameTokens].filter(([f]) => f <= saved).map(([, t]) => t)
    const seen = tokensIn(observer.text.toString())
    await a!.exited
    expect(acknowledged.length).toBeGreaterThan(0)

    // What is stored: a fresh client of the surviving node, with the writer still away.
    const fresh = connect(b!.wsUrl, doc)
    await synced(fresh)
    const stored = tokensIn(fresh.text.toString())
    for (const token of acknowledged) expect(stored, `acknowledged ${token} lost`).toContain(token)
    for (const token of seen) expect(stored, `seen ${token} lost`).toContain(token)

    // The writer reconnects through the balancer, to b, and keeps typing there.
    balancer.held = false
    const before = w
    await waitFor(
      () => {
        expect(writer.provider.wsconnected).toBe(true)
        expect(w).toBeGreaterThan(before + 50)
      },
      { timeout: 20_000 },
    )
    clearInterval(timer)
    await converged([writer, other, observer, fresh], 20_000, (text) =>
      expect(tokensIn(text)).toEqual(new Set(typed)),
    )
    // b has taken the writer's cursor over: it stays after a is declared gone.
    await waitFor(() =>
      expect(b!.logs.some((l) => String(l.msg).startsWith('cluster node gone'))).toBe(true),
    )
    await waitFor(() => expect(namesSeenBy(observer)).toEqual(['Observer', 'Other', 'Writer']))
  })

  it('N6: a node killed with kill -9 takes its users’ cursors with it: the others declare it gone for its silence and remove them', async () => {
    const env = clusterEnv(schema, { CLUSTER_HEARTBEAT_MS: '200', CLUSTER_NODE_TIMEOUT_MS: '1500' })
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    const doc = unique('doc')
    const ghost = connect(a!.wsUrl, doc, 'Ghost')
    const watcher = connect(b!.wsUrl, doc, 'Watcher')
    await waitFor(() => expect(namesSeenBy(watcher)).toEqual(['Ghost', 'Watcher']))
    const nodeOf = (n: typeof a) =>
      n!.logs.find((l) => l.msg === 'cluster bus connected')?.node as string | undefined
    await waitFor(() => expect(nodeOf(a)).toBeDefined())
    // Who removed the ghost's state from the watcher: the server (an awareness update it sent,
    // origin the provider), or the watcher's own 30 s timer (origin `timeout`).
    const removedBy: unknown[] = []
    watcher.provider.awareness.on(
      'change',
      ({ removed }: { removed: number[] }, origin: unknown) => {
        if (removed.includes(ghost.doc.clientID)) removedBy.push(origin)
      },
    )
    a!.child.kill('SIGKILL')
    expect(await a!.exited).toEqual({ code: null, signal: 'SIGKILL' })
    const goneLogs = () => b!.logs.filter((l) => String(l.msg).startsWith('cluster node gone'))
    await waitFor(() => expect(namesSeenBy(watcher)).toEqual(['Watcher']), { timeout: 20_000 })
    expect(removedBy).toEqual([watcher.provider])
    await waitFor(() =>
      expect(goneLogs().map((l) => [l.node, l.why])).toEqual([[nodeOf(a), 'silent']]),
    )
    expect(ghost.provider.wsconnected).toBe(false)
  })

  it('N6: a node that shuts down gracefully removes its users’ cursors from the others at once', async () => {
    const env = clusterEnv(schema, { CLUSTER_NODE_TIMEOUT_MS: '60000' })
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    const doc = unique('doc')
    connect(a!.wsUrl, doc, 'Leaver')
    const watcher = connect(b!.wsUrl, doc, 'Watcher')
    await waitFor(() => expect(namesSeenBy(watcher)).toEqual(['Leaver', 'Watcher']))
    a!.child.kill('SIGTERM')
    expect(await a!.exited).toEqual({ code: 0, signal: null })
    // Far sooner than the node timeout (60 s here).
    await waitFor(() => expect(namesSeenBy(watcher)).toEqual(['Watcher']), { timeout: 5_000 })
  })

  it('N3, N5: a node restarted while the others keep editing catches up', async () => {
    const env = clusterEnv(schema)
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    const doc = unique('doc')
    const writer = connect(b!.wsUrl, doc, 'Writer')
    const reader = connect(a!.wsUrl, doc, 'Reader')
    await Promise.all([synced(writer), synced(reader)])
    const typist = typing([['w', writer]], 3)
    cleanups.push(() => typist.stop())
    await waitFor(() => expect(tokensIn(reader.text.toString()).size).toBeGreaterThan(50), {
      timeout: 10_000,
    })
    a!.child.kill('SIGTERM')
    await a!.exited
    const atRestart = typist.count('w')
    await waitFor(() => expect(typist.count('w')).toBeGreaterThan(atRestart + 100))
    // The same address, so that the reader's provider finds it again.
    const again = await nodes.start({ ...env, PORT: new URL(a!.httpUrl).port })
    const fresh = connect(again.wsUrl, doc)
    await synced(fresh)
    await waitFor(
      () => {
        expect(reader.provider.wsconnected).toBe(true)
        expect(typist.count('w')).toBeGreaterThan(atRestart + 200)
      },
      { timeout: 20_000 },
    )
    typist.stop()
    await converged([writer, reader, fresh], 20_000, (text) =>
      expect(tokensIn(text)).toEqual(new Set(typist.typed)),
    )
  })

  it('N3, N8: Redis down for 10 s while clients on two nodes type: /readyz says so, and once it is back every client converges without reconnecting', async () => {
    const redis = await PrivateRedis.start()
    cleanups.push(() => redis.stop())
    // No periodic check: only the catch-up on reconnection can bring the nodes together.
    const env = clusterEnv(schema, { REDIS_URL: redis.url, CLUSTER_CHECK_INTERVAL_MS: '600000' })
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    const doc = unique('doc')
    const ada = connect(a!.wsUrl, doc, 'Ada')
    const bob = connect(b!.wsUrl, doc, 'Bob')
    await Promise.all([synced(ada), synced(bob)])
    ada.text.insert(0, '<before>')
    await converged([ada, bob])
    let disconnects = 0
    for (const c of [ada, bob]) {
      c.provider.on('status', ({ status }: { status: string }) => {
        if (status === 'disconnected') disconnects++
      })
    }

    await redis.stop()
    await waitFor(async () => {
      const ready = await readiness(a!)
      expect(ready.status).toBe(503)
      expect(JSON.stringify(ready.body)).toMatch(/Redis/)
    })
    // 500 tokens each, one every 20 ms: 10 s of typing, and cursors moving, while Redis is down.
    const typist = typing(
      [
        ['a', ada],
        ['b', bob],
      ],
      20,
    )
    cleanups.push(() => typist.stop())
    await waitFor(() => expect(typist.count('a')).toBeGreaterThanOrEqual(500), {
      timeout: 30_000,
    })
    typist.stop()
    ada.provider.awareness.setLocalStateField('cursor', 'ada-final')
    bob.provider.awareness.setLocalStateField('cursor', 'bob-final')
    // No assertion that the texts differ now: while both type, each node also catches up from
    // PostgreSQL whenever its own commit comes back out of turn (and retries such a catch-up),
    // so they may already agree. Bob's last token, typed once Ada has stopped, must arrive too.
    bob.text.insert(bob.text.length, '<b.final>')
    const storedOnB = async () =>
      (await fetch(new URL(`/api/docs/${encodeURIComponent(doc)}/text`, b!.httpUrl))).text()
    await waitFor(async () => expect(await storedOnB()).toContain('<b.final>'))

    await redis.restart()
    await converged([ada, bob], 20_000, (text) =>
      expect(tokensIn(text)).toEqual(new Set(['<before>', ...typist.typed, '<b.final>'])),
    )
    const cursorOf = (c: Client, name: string) =>
      [...c.provider.awareness.getStates().values()].find(
        (s) => (s as { user?: { name?: string } }).user?.name === name,
      )?.cursor
    await waitFor(() => {
      expect(cursorOf(ada, 'Bob')).toBe('bob-final')
      expect(cursorOf(bob, 'Ada')).toBe('ada-final')
    })
    await waitFor(async () => expect((await readiness(a!)).status).toBe(200))
    expect(disconnects).toBe(0)
  })

  it('N3: while Redis stays down, nodes still converge through the periodic comparison with PostgreSQL', async () => {
    const redis = await PrivateRedis.start()
    cleanups.push(() => redis.stop())
    const env = clusterEnv(schema, { REDIS_URL: redis.url, CLUSTER_CHECK_INTERVAL_MS: '500' })
    const [a, b] = await Promise.all([nodes.start(env), nodes.start(env)])
    const doc = unique('doc')
    const ada = connect(a!.wsUrl, doc)
    const bob = connect(b!.wsUrl, doc)
    await Promise.all([synced(ada), synced(bob)])
    await redis.stop()
    await waitFor(async () => expect((await readiness(b!)).status).toBe(503))
    for (let i = 0; i < 20; i++) {
      ada.text.insert(ada.text.length, `<a.${i}>`)
      bob.text.insert(bob.text.length, `<b.${i}>`)
    }
    await converged([ada, bob], 10_000, (text) => expect(tokensIn(text).size).toBe(40))
    expect((await readiness(b!)).status).toBe(503)
  })
})

describe('cluster configuration', () => {
  it('N7, K3: cluster settings that do not fit together are reported with every other problem', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env)
      } catch (err) {
        if (err instanceof ConfigError) return err.problems.join('\n')
        throw err
      }
      return ''
    }
    const sqlite = problems({ REDIS_URL: 'redis://user:hidden@cache:6379', PORT: 'abc' })
    expect(sqlite).toMatch(/^PORT=/m)
    expect(sqlite).toMatch(/REDIS_URL is set without DATABASE_URL/)
    expect(sqlite).not.toContain('hidden')
    expect(problems({ REDIS_URL: 'http://user:hidden@cache' })).toBe(
      'REDIS_URL=[redacted]: must be a redis:// or rediss:// URL\n' +
        'REDIS_URL is set without DATABASE_URL: the nodes of a cluster keep documents in one ' +
        'PostgreSQL database (DATABASE_URL); SQLite cannot be shared between nodes',
    )
    expect(
      problems({
        REDIS_URL: 'redis://cache',
        DATABASE_URL: 'postgres://db/tandem',
        CLUSTER_HEARTBEAT_MS: '5000',
        CLUSTER_NODE_TIMEOUT_MS: '6000',
      }),
    ).toMatch(/^CLUSTER_NODE_TIMEOUT_MS=6000: must be at least twice CLUSTER_HEARTBEAT_MS/)
    expect(
      problems({ REDIS_URL: 'redis://cache', DATABASE_URL: 'postgres://db/t', STORAGE: 'memory' }),
    ).toMatch(/STORAGE=memory/)
    expect(problems({ REDIS_URL: 'rediss://cache', DATABASE_URL: 'postgres://db/t' })).toBe('')
  })

  it('N7: REDIS_URL without DATABASE_URL is refused at start, naming both settings', async () => {
    const dir = tempDir()
    try {
      await expect(spawnServer({ REDIS_URL: redisUrl, DATA_DIR: dir.path })).rejects.toThrow(
        /REDIS_URL is set without DATABASE_URL/,
      )
    } finally {
      dir.remove()
    }
  })
})
