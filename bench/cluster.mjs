// Tandem as a cluster (issue 5): fan-out latency to a receiver on the sender's node and on another
// node, and throughput with one and with two nodes. Standalone for now (not yet a case of run.mjs).
//
//   pnpm build && node bench/cluster.mjs [--updates=1000] [--rate=200] [--writers=2] [--per-writer=2000]
//
// Needs PostgreSQL and Redis: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) and
// REDIS_URL (default redis://127.0.0.1:6379). Each run uses its own schema and channel prefix and
// drops the schema afterwards (with psql). Nodes and clients run on this machine; the clients all
// run in this process (stock y-websocket providers), so client work is part of what is measured.
import { spawn, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import WebSocket from 'ws'
import { WebsocketProvider } from 'y-websocket'
import * as Y from 'yjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const main = join(root, 'apps/sync-server/dist/main.js')
const args = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=')
    return [k, Number(v)]
  }),
)
const UPDATES = args.updates ?? 1000
const RATE = args.rate ?? 200
const WRITERS = args.writers ?? 2
const PER_WRITER = args['per-writer'] ?? 2000
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Starts a server process; resolves with its ws:// URL once it listens. */
function startNode(env) {
  const child = spawn(process.execPath, [main], {
    env: {
      ...process.env,
      HOST: '127.0.0.1',
      PORT: '0',
      WEB_DIR: '',
      LOG_LEVEL: 'info',
      // All load comes from one address at machine speed.
      MAX_CONNECTIONS_PER_IP: '100000',
      MAX_UPGRADES_PER_IP_PER_MINUTE: '100000',
      MAX_MESSAGES_PER_SECOND: '1000000',
      MAX_BYTES_PER_SECOND: '1000000000',
      MAX_MESSAGES_PER_IP_PER_SECOND: '1000000',
      MAX_BYTES_PER_IP_PER_SECOND: '1000000000',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  process.once('exit', () => child.kill('SIGKILL'))
  return new Promise((resolve, reject) => {
    let buffered = ''
    child.stdout.on('data', (chunk) => {
      buffered += chunk
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        const entry = JSON.parse(line)
        if (entry.msg === 'listening') resolve({ child, url: `ws://${new URL(entry.url).host}` })
      }
    })
    child.once('exit', (code) => reject(new Error(`node exited (${code}) before listening`)))
  })
}

async function stopNodes(nodes) {
  await Promise.all(
    nodes.map(
      (n) =>
        new Promise((resolve) => {
          n.child.once('exit', resolve)
          n.child.kill('SIGTERM')
        }),
    ),
  )
}

function connect(url, name) {
  const doc = new Y.Doc()
  const provider = new WebsocketProvider(url, name, doc, {
    WebSocketPolyfill: WebSocket,
    disableBc: true,
  })
  const synced = new Promise((resolve) => {
    if (provider.synced) resolve()
    else provider.once('sync', () => resolve())
  })
  const destroy = () => {
    provider.destroy()
    doc.destroy()
  }
  return { doc, provider, synced, destroy }
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

const ms = (x) => `${x.toFixed(2)} ms`

/** Fan-out latency: one sender at `RATE` updates/s; receivers on `receiverUrls`. */
async function latency(senderUrl, receiverUrls) {
  const name = `lat-${randomBytes(4).toString('hex')}`
  const sender = connect(senderUrl, name)
  const receivers = receiverUrls.map((url) => connect(url, name))
  await Promise.all([sender, ...receivers].map((c) => c.synced))
  const sentAt = new Float64Array(UPDATES)
  const seen = receivers.map(() => [])
  const done = receivers.map(
    (r, i) =>
      new Promise((resolve) => {
        r.doc.getMap('m').observe((event) => {
          const now = performance.now()
          for (const key of event.keysChanged) seen[i].push(now - sentAt[Number(key)])
          if (seen[i].length >= UPDATES) resolve()
        })
      }),
  )
  const map = sender.doc.getMap('m')
  const start = performance.now()
  for (let i = 0; i < UPDATES; i++) {
    const due = start + (i * 1000) / RATE
    const wait = due - performance.now()
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
    sentAt[i] = performance.now()
    map.set(String(i), i)
  }
  await Promise.race([
    Promise.all(done),
    new Promise((_, reject) => setTimeout(() => reject(new Error('latency: timed out')), 60_000)),
  ])
  for (const c of [sender, ...receivers]) c.destroy()
  return seen.map((list) => {
    const sorted = [...list].sort((a, b) => a - b)
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length }
  })
}

/**
 * Throughput: `WRITERS` writers send `PER_WRITER` updates each as fast as they can; as many
 * readers. Writers and readers alternate over `urls`. Returns updates/s until every reader has
 * every update.
 */
async function throughput(urls) {
  const name = `tp-${randomBytes(4).toString('hex')}`
  const writers = Array.from({ length: WRITERS }, (_, i) => connect(urls[i % urls.length], name))
  const readers = Array.from({ length: WRITERS }, (_, i) =>
    connect(urls[(i + 1) % urls.length], name),
  )
  await Promise.all([...writers, ...readers].map((c) => c.synced))
  const total = WRITERS * PER_WRITER
  const done = readers.map(
    (r) =>
      new Promise((resolve) => {
        const map = r.doc.getMap('m')
        map.observe(() => {
          if (map.size >= total) resolve()
        })
      }),
  )
  const start = performance.now()
  await Promise.all(
    writers.map(async (w, wi) => {
      const map = w.doc.getMap('m')
      for (let i = 0; i < PER_WRITER; i++) {
        map.set(`${wi}.${i}`, i)
        // Let the socket drain now and then, as a person's keystrokes would.
        if (i % 20 === 19) await new Promise((resolve) => setImmediate(resolve))
      }
    }),
  )
  await Promise.race([
    Promise.all(done),
    new Promise((_, reject) =>
      setTimeout(() => reject(new Error('throughput: timed out')), 120_000),
    ),
  ])
  const seconds = (performance.now() - start) / 1000
  for (const c of [...writers, ...readers]) c.destroy()
  return total / seconds
}

const schema = `tandem_bench_${process.pid}_${randomBytes(3).toString('hex')}`
const cluster = {
  DATABASE_URL: databaseUrl,
  DATABASE_SCHEMA: schema,
  REDIS_URL: redisUrl,
  CLUSTER_CHANNEL_PREFIX: `${schema}:`,
}
try {
  console.log(
    `cluster benchmark: ${UPDATES} updates at ${RATE}/s for latency; ${WRITERS} writers x ${PER_WRITER} updates for throughput`,
  )
  const single = await startNode({ DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema })
  const [alone] = await latency(single.url, [single.url])
  const singleTp = await throughput([single.url])
  await stopNodes([single])

  const one = await startNode(cluster)
  const [oneLatency] = await latency(one.url, [one.url])
  const oneTp = await throughput([one.url])
  await stopNodes([one])

  const [a, b] = await Promise.all([startNode(cluster), startNode(cluster)])
  const [same, other] = await latency(a.url, [a.url, b.url])
  const twoTp = await throughput([a.url, b.url])
  await stopNodes([a, b])

  console.log('\nfan-out latency (sender to receiver), PostgreSQL store')
  console.log('| receiver | p50 | p99 | updates |\n|---|---|---|---|')
  console.log(`| one node, no Redis | ${ms(alone.p50)} | ${ms(alone.p99)} | ${alone.n} |`)
  console.log(
    `| cluster of one node | ${ms(oneLatency.p50)} | ${ms(oneLatency.p99)} | ${oneLatency.n} |`,
  )
  console.log(
    `| cluster, same node as the sender | ${ms(same.p50)} | ${ms(same.p99)} | ${same.n} |`,
  )
  console.log(`| cluster, another node | ${ms(other.p50)} | ${ms(other.p99)} | ${other.n} |`)
  console.log('\nthroughput (updates/s until every reader has every update)')
  console.log('| setup | updates/s |\n|---|---|')
  console.log(`| one node, no Redis | ${singleTp.toFixed(0)} |`)
  console.log(`| cluster of one node | ${oneTp.toFixed(0)} |`)
  console.log(`| cluster of two nodes (clients split) | ${twoTp.toFixed(0)} |`)
} finally {
  spawnSync('psql', [databaseUrl, '-q', '-c', `DROP SCHEMA IF EXISTS "${schema}" CASCADE`], {
    stdio: 'ignore',
  })
}
