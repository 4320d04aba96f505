import { type ChildProcess, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
import pg from 'pg'
import { expect, vi } from 'vitest'
import type { Client } from './helpers.js'
import { type ServerProcess, spawnServer } from './process.js'

export const databaseUrl =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
export const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** A unique name (for schemas, channel prefixes and documents), so that tests never collide. */
export function unique(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`
}

/** Drops a test's PostgreSQL schema. */
export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${pg.escapeIdentifier(schema)} CASCADE`)
  } finally {
    await client.end()
  }
}

/** What every node of one test's cluster shares, with short timings so that tests run fast. */
export function clusterEnv(
  schema: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: schema,
    REDIS_URL: redisUrl,
    CLUSTER_CHANNEL_PREFIX: `${schema}:`,
    CLUSTER_HEARTBEAT_MS: '200',
    CLUSTER_NODE_TIMEOUT_MS: '1500',
    CLUSTER_CHECK_INTERVAL_MS: '1000',
    AUTH_SECRET: 'a shared secret of at least thirty-two characters',
    LOG_LEVEL: 'info',
    ...extra,
  }
}

/** Nodes started by a test, stopped (SIGKILL) by {@link stopAll}. */
export class Nodes {
  readonly all: ServerProcess[] = []

  async start(env: Record<string, string>): Promise<ServerProcess> {
    const node = await spawnServer(env)
    this.all.push(node)
    return node
  }

  async stopAll(): Promise<void> {
    await Promise.all(
      this.all.splice(0).map(async (node) => {
        if (node.child.exitCode === null && node.child.signalCode === null) {
          node.child.kill('SIGKILL')
        }
        await node.exited
      }),
    )
  }
}

/** `GET /readyz` of a node: its status code and body. */
export async function readiness(node: ServerProcess): Promise<{ status: number; body: unknown }> {
  const res = await fetch(new URL('/readyz', node.httpUrl))
  return { status: res.status, body: await res.json() }
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const address = server.address()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (typeof address !== 'object' || address === null) throw new Error('no port')
  return address.port
}

/**
 * A TCP load balancer in front of several nodes: each connection goes to the first backend in
 * the list that accepts it, so a client whose node dies reconnects to the next live one. No
 * stickiness: it knows nothing of documents or clients.
 */
export class Balancer {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  backends: string[]
  /** While held, new connections are refused (the clients keep retrying). */
  held = false
  readonly url: string

  private constructor(server: Server, backends: string[], port: number) {
    this.#server = server
    this.backends = backends
    this.url = `ws://127.0.0.1:${port}`
  }

  /** `backends` are `ws://host:port` URLs, tried in order. */
  static async start(backends: string[]): Promise<Balancer> {
    let balancer: Balancer | null = null
    const server = createServer((socket) => balancer?.accept(socket))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    if (typeof address !== 'object' || address === null) throw new Error('no port')
    balancer = new Balancer(server, backends, address.port)
    return balancer
  }

  accept(socket: Socket): void {
    this.#sockets.add(socket)
    socket.on('close', () => this.#sockets.delete(socket))
    socket.on('error', () => socket.destroy())
    if (this.held) {
      socket.destroy()
      return
    }
    socket.pause()
    const tryBackend = (i: number): void => {
      const target = this.backends[i]
      if (target === undefined || socket.destroyed) {
        socket.destroy()
        return
      }
      const { hostname, port } = new URL(target)
      const upstream = tcpConnect(Number(port), hostname)
      upstream.once('error', () => {
        upstream.destroy()
        if (!connected) tryBackend(i + 1)
        else socket.destroy()
      })
      let connected = false
      upstream.once('connect', () => {
        connected = true
        this.#sockets.add(upstream)
        upstream.on('close', () => {
          this.#sockets.delete(upstream)
          socket.destroy()
        })
        socket.on('close', () => upstream.destroy())
        socket.pipe(upstream)
        upstream.pipe(socket)
        socket.resume()
      })
    }
    tryBackend(0)
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}

/** A `redis-server` of this test alone, on a fixed free port, that can be stopped and started. */
export class PrivateRedis {
  #child: ChildProcess | null = null
  readonly port: number

  private constructor(port: number) {
    this.port = port
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort())
    await redis.restart()
    return redis
  }

  /** Starts it (again) on its port; resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    const reap = () => child.kill('SIGKILL')
    process.once('exit', reap)
    child.once('exit', () => process.off('exit', reap))
    this.#child = child
    let output = ''
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString()
        if (output.includes('Ready to accept connections')) resolve()
      })
      child.once('error', reject)
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${output}`)))
    })
  }

  /** Stops it (SIGTERM) and waits for the process to exit. */
  async stop(): Promise<void> {
    const child = this.#child
    this.#child = null
    if (!child || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.kill('SIGTERM')
    await exited
  }
}

/** The `user.name` of every present awareness state a client sees (its own included). */
export function namesSeenBy(client: Client): string[] {
  const names: string[] = []
  for (const state of client.provider.awareness.getStates().values()) {
    const name = (state as { user?: { name?: unknown } }).user?.name
    if (typeof name === 'string') names.push(name)
  }
  return names.sort()
}

/** Waits until every client's text is the same (and passes `check`), within `timeoutMs`. */
export async function converged(
  clients: Client[],
  timeoutMs = 20_000,
  check: (text: string) => void = () => {},
): Promise<string> {
  let text = ''
  await vi.waitFor(
    () => {
      text = clients[0]!.text.toString()
      for (const c of clients) expect(c.text.toString()).toBe(text)
      check(text)
    },
    { timeout: timeoutMs, interval: 20 },
  )
  return text
}

/** Logs of `nodes`, for a failing test's message. */
export function logsOf(nodes: ServerProcess[]): string {
  return nodes
    .map((n, i) =>
      n.logs
        .filter((l) => Number(l.level) >= 30)
        .slice(-40)
        .map(
          (l) => `node ${i}: ${l.msg} ${JSON.stringify({ ...l, msg: undefined, time: undefined })}`,
        )
        .join('\n'),
    )
    .join('\n')
}
