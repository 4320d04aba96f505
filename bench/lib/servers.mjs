// Starting, measuring and stopping the servers under test, each as its own process pinned to
// one core. A server is ready when it prints a JSON line with `"msg":"listening"` and its URL.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { rssBytes } from './proc.mjs'

const benchDir = fileURLToPath(new URL('..', import.meta.url))
const repoDir = fileURLToPath(new URL('../..', import.meta.url))
const probe = new URL('../servers/probe.mjs', import.meta.url).href

/**
 * @typedef {'yws' | 'hocus' | 'relay'} Protocol
 * @typedef {{ label: string, protocol: Protocol, script: string,
 *   env: (dataDir: string) => Record<string, string> }} ServerKind
 */

const tandemScript = `${repoDir}apps/sync-server/dist/main.js`

/**
 * Tandem's environment: its defaults except LOG_LEVEL=info (at warn the server never prints its
 * "listening" line, so the bound port of PORT=0 cannot be learned; nothing on the hot path logs
 * at info) and no web app. Unless `limits` is set, the per-address and per-connection abuse limits
 * are lifted so that they do not bind: all load comes from 127.0.0.1 (1,000 connections, 200 in
 * one room) and replays send as fast as the client can; the peers have no such limits.
 * @param {string} dataDir @param {{ limits?: boolean, env?: Record<string, string> }} [options]
 */
function tandemEnv(dataDir, { limits = false, env = {} } = {}) {
  return {
    DATA_DIR: dataDir,
    WEB_DIR: '',
    LOG_LEVEL: 'info',
    ...(limits
      ? {}
      : {
          MAX_CONNECTIONS_PER_IP: '1000000',
          MAX_UPGRADES_PER_IP_PER_MINUTE: '1000000',
          MAX_MESSAGES_PER_SECOND: '1000000',
          MAX_BYTES_PER_SECOND: '1000000000',
          MAX_MESSAGES_PER_IP_PER_SECOND: '1000000',
          MAX_BYTES_PER_IP_PER_SECOND: '1000000000',
        }),
    ...env,
  }
}

/** @type {Record<string, ServerKind>} */
export const SERVER_KINDS = {
  // Durability included: SQLite WAL, every update committed before it is relayed.
  tandem: {
    label: 'Tandem',
    protocol: 'yws',
    script: tandemScript,
    env: (dataDir) => tandemEnv(dataDir),
  },
  // Tandem exactly as shipped, abuse limits included: what protects the others from a flood.
  'tandem-defaults': {
    label: 'Tandem, default limits',
    protocol: 'yws',
    script: tandemScript,
    env: (dataDir) => tandemEnv(dataDir, { limits: true }),
  },
  // The same server with persistence off, so that the cost of durability reads off side by side.
  'tandem-memory': {
    label: 'Tandem, no persistence',
    protocol: 'yws',
    script: tandemScript,
    env: (dataDir) => tandemEnv(dataDir, { env: { STORAGE: 'memory' } }),
  },
  // The same server with attribution off (issue 18): what recording who wrote what costs.
  'tandem-no-attribution': {
    label: 'Tandem, attribution off',
    protocol: 'yws',
    script: tandemScript,
    env: (dataDir) => tandemEnv(dataDir, { env: { ATTRIBUTION: 'off' } }),
  },
  // Attribution records only, deleted text collected as before (ATTRIBUTION=authors).
  'tandem-authors-only': {
    label: 'Tandem, ATTRIBUTION=authors',
    protocol: 'yws',
    script: tandemScript,
    env: (dataDir) => tandemEnv(dataDir, { env: { ATTRIBUTION: 'authors' } }),
  },
  // Tandem as a Hocuspocus server: the same process and configuration as `tandem`, driven by
  // Hocuspocus-protocol clients at path `/` of its port (issue 16, PROTOCOL.md "Hocuspocus framing").
  'tandem-hp': {
    label: 'Tandem, Hocuspocus clients',
    protocol: 'hocus',
    script: tandemScript,
    env: (dataDir) => tandemEnv(dataDir),
  },
  reference: {
    label: 'y-websocket-server 0.1.1',
    protocol: 'yws',
    script: `${benchDir}servers/reference.mjs`,
    env: (dataDir) => ({ YPERSISTENCE: `${dataDir}/leveldb` }),
  },
  hocuspocus: {
    label: 'Hocuspocus 4.7.0',
    protocol: 'hocus',
    script: `${benchDir}servers/hocuspocus.mjs`,
    env: (dataDir) => ({ DATA_DIR: dataDir }),
  },
  relay: {
    label: 'raw ws floor',
    protocol: 'relay',
    script: `${benchDir}servers/relay.mjs`,
    env: () => ({}),
  },
}

/** Throws with a hint when Tandem has not been built. */
export function checkTandemBuilt() {
  if (!existsSync(SERVER_KINDS.tandem.script)) {
    throw new Error(
      `${SERVER_KINDS.tandem.script} is missing: run \`pnpm build\` at the root first`,
    )
  }
}

/** A running server process. */
export class ServerProcess {
  /** @type {import('node:child_process').ChildProcess} */ child
  /** @type {Map<number, (usage: NodeJS.MemoryUsage) => void>} */ #pending = new Map()
  #nextId = 1
  /** Lines the server wrote at warning level or above, or to stderr (first 20 kept). */
  problems = /** @type {string[]} */ ([])
  problemCount = 0
  /** @type {Promise<number | null>} */ exited

  /**
   * @param {string} kind key of SERVER_KINDS
   * @param {import('node:child_process').ChildProcess} child
   * @param {string} url
   */
  constructor(kind, child, url) {
    this.kind = kind
    this.child = child
    this.pid = /** @type {number} */ (child.pid)
    this.url = url
    this.wsUrl = url.replace(/^http/, 'ws').replace(/\/$/, '')
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)))
    child.on('message', (/** @type {any} */ message) => {
      if (message?.type !== 'memory') return
      this.#pending.get(message.id)?.(message.usage)
      this.#pending.delete(message.id)
    })
  }

  /** @param {string} line */
  noteProblem(line) {
    this.problemCount++
    if (this.problems.length < 20) this.problems.push(line.slice(0, 400))
  }

  /**
   * The server's heap after two full collections (asked of the process itself) and its RSS.
   * @returns {Promise<{ rss: number, heapUsed: number, external: number, arrayBuffers: number }>}
   */
  memory() {
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('memory probe timed out')), 10_000)
      this.#pending.set(id, (usage) => {
        clearTimeout(timer)
        // RSS from /proc after the collections, the same way for every server.
        resolve({
          rss: rssBytes(this.pid) ?? usage.rss,
          heapUsed: usage.heapUsed,
          external: usage.external,
          arrayBuffers: usage.arrayBuffers,
        })
      })
      this.child.send({ type: 'memory', id })
    })
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with the exit code (null if killed). */
  async stop(graceMs = 15_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited
    this.child.kill('SIGTERM')
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}

/**
 * Starts a server of `kind` on 127.0.0.1, any free port, pinned to `core`, under `nice -n niceness`.
 * @param {string} kind
 * @param {string} dataDir
 * @param {{ core: number, niceness?: number, startTimeoutMs?: number }} options
 */
export function startServer(kind, dataDir, { core, niceness = 0, startTimeoutMs = 20_000 }) {
  const spec = SERVER_KINDS[kind]
  if (!spec) throw new Error(`unknown server ${kind}`)
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', ...spec.env(dataDir) }
  delete env.NODE_OPTIONS
  const child = spawn(
    'nice',
    [
      '-n',
      String(niceness),
      'taskset',
      '-c',
      String(core),
      process.execPath,
      '--expose-gc',
      ...(process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []),
      // BENCH_CPU_PROF=<dir>: every server writes a V8 CPU profile there when it exits.
      ...(process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : []),
      '--import',
      probe,
      spec.script,
    ],
    { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  )
  return new Promise((resolve, reject) => {
    /** @type {ServerProcess | null} */
    let server = null
    let buffered = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${kind} did not print its listening line within ${startTimeoutMs} ms`))
    }, startTimeoutMs)
    child.once('error', (err) => {
      clearTimeout(timer)
      reject(err)
    })
    child.once('exit', (code, signal) => {
      if (server) return
      clearTimeout(timer)
      reject(
        new Error(`${kind} exited (${code ?? signal}) before listening: ${buffered.slice(-2000)}`),
      )
    })
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (chunk) => {
      if (!server) buffered += chunk
      for (const line of String(chunk).split('\n')) if (line.trim()) server?.noteProblem(line)
    })
    child.stdout?.setEncoding('utf8')
    let partial = ''
    child.stdout?.on('data', (chunk) => {
      partial += chunk
      const lines = partial.split('\n')
      partial = lines.pop() ?? ''
      for (const line of lines) {
        if (!server) buffered += `${line}\n`
        /** @type {any} */
        let entry = null
        try {
          entry = JSON.parse(line)
        } catch {
          // not JSON
        }
        if (!server && entry?.msg === 'listening' && typeof entry.url === 'string') {
          clearTimeout(timer)
          server = new ServerProcess(kind, child, entry.url)
          resolve(server)
        } else if (server && (entry === null ? /warn|error/i.test(line) : entry.level >= 40)) {
          server.noteProblem(line)
        }
      }
    })
  })
}
