#!/usr/bin/env node
// Side-by-side benchmark of Tandem, @y/websocket-server 0.1.1 and Hocuspocus 4.7.0 (issue 6).
// `pnpm bench` runs everything (3 repetitions), `pnpm bench -- --quick` a smoke check.
// Options: --quick, --reps=N, --only=<substring of case ids, comma-separated>,
//          --servers=tandem,tandem-hp,reference,hocuspocus,relay, --max-others=<% of a core>,
//          --nice=<n> (run servers and load generator under `nice -n <n>`; negative needs root).
// See README.md for the method.
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { buildCases } from './lib/cases.mjs'
import { largeDocument, TRACES_DIR } from './lib/documents.mjs'
import { fastWriterCases } from './lib/fastwriter.mjs'
import {
  CLK_TCK,
  killedOnExit,
  processTicks,
  softirqThreadPids,
  spawnLoadGenerator,
  systemTicks,
  waitForQuiet,
} from './lib/proc.mjs'
import { renderMarkdown } from './lib/report.mjs'
import { checkTandemBuilt, SERVER_KINDS, startServer } from './lib/servers.mjs'
import { summarize } from './lib/stats.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const SERVER_CORE = 0
const CLIENT_CORE = 1

const args = process.argv.slice(2).filter((arg) => arg !== '--')
/** @param {string} name */
const option = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1]
const quick = args.includes('--quick')
const reps = Number(option('reps') ?? (quick ? 1 : 3))
const only = option('only')?.split(',')
const serverFilter = option('servers')?.split(',')
/** Another process using more than this share of a core during a window disturbs the run. */
const maxOthersPct = Number(option('max-others') ?? 25)
const niceness = Number(option('nice') ?? 0)
/** Before each run, wait (bounded) until other processes use less than this share of a core. */
const quietPct = 15
const quietWaitMs = quick ? 1000 : 3000
for (const arg of args) {
  if (!/^--(quick|reps=\d+|only=.+|servers=.+|max-others=\d+(\.\d+)?|nice=-?\d+)$/.test(arg)) {
    console.error(`unknown option ${arg}`)
    process.exit(2)
  }
}

checkTandemBuilt()
if (os.cpus().length < 2) console.warn('warning: fewer than 2 cores; server and load share one')
const softirqPids = softirqThreadPids()

/** Snapshot of every CPU counter the harness compares across a window. */
function snapshot(/** @type {number} */ serverPid, /** @type {number} */ clientPid) {
  const self = process.cpuUsage()
  return {
    atMs: performance.now(),
    server: processTicks(serverPid) ?? 0,
    client: processTicks(clientPid) ?? 0,
    self: ((self.user + self.system) / 1e6) * CLK_TCK,
    softirq: softirqPids.reduce((sum, pid) => sum + (processTicks(pid) ?? 0), 0),
    system: systemTicks(),
  }
}

/** @param {ReturnType<typeof snapshot>} a @param {ReturnType<typeof snapshot>} b */
function windowOf(a, b) {
  const seconds = (b.atMs - a.atMs) / 1000
  const server = b.server - a.server
  const client = b.client - a.client
  const kernel = b.softirq - a.softirq + (b.system.irq - a.system.irq)
  const others = Math.max(
    0,
    b.system.busy - a.system.busy - server - client - (b.self - a.self) - (b.softirq - a.softirq),
  )
  const pct = (/** @type {number} */ ticks) => (ticks / (seconds * CLK_TCK)) * 100
  return {
    seconds,
    serverTicks: server,
    clientTicks: client,
    serverCpuPct: pct(server),
    clientCpuPct: pct(client),
    kernelPct: pct(kernel),
    othersPct: pct(others),
    stealPct: pct(b.system.steal - a.system.steal),
  }
}

/** Which Tandem was measured: the commit, whether the tree had changes, when dist was built. */
function tandemBuild() {
  const git = (/** @type {string[]} */ gitArgs) => {
    try {
      return execFileSync('git', gitArgs, { cwd: benchDir, encoding: 'utf8' }).trim()
    } catch {
      return null
    }
  }
  const dist = path.resolve(benchDir, '../apps/sync-server/dist')
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    changedFiles:
      git(['status', '--porcelain', '--', '../apps', '../packages'])?.split('\n').filter(Boolean)
        .length ?? null,
    // The newest file of the build: an incremental build rewrites only what changed.
    distBuiltAt: new Date(
      Math.max(
        ...readdirSync(dist, { recursive: true, encoding: 'utf8' })
          .filter((file) => file.endsWith('.js'))
          .map((file) => statSync(path.join(dist, file)).mtimeMs),
      ),
    ).toISOString(),
  }
}

let roomCounter = 0

/** Processes of the run in progress, ended if the harness itself is stopped. */
const live = killedOnExit()

/**
 * One measured run: a fresh server on core 0, a fresh load generator on core 1.
 * @param {import('./lib/cases.mjs').Case} benchCase
 * @param {string} kind
 * @param {{ updateFile: string, textFile: string, cacheDir: string }} large
 */
async function runOnce(benchCase, kind, large) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `tandem-bench-${kind}-`))
  let server = await startServer(kind, dataDir, { core: SERVER_CORE, niceness })
  const spec = SERVER_KINDS[kind]
  const target = { protocol: spec?.protocol, wsUrl: server.wsUrl }
  const room = `bench-${process.pid}-${++roomCounter}`
  const client = spawnLoadGenerator(CLIENT_CORE, niceness)
  const clientPid = /** @type {number} */ (client.pid)
  live.add(client)
  live.add(server.child)
  /** @type {Record<string, ReturnType<typeof snapshot>>} */
  const marks = {}
  const problemsBefore = { count: 0, lines: /** @type {string[]} */ ([]) }
  /** The run's figures, to which what is stored is added once the server has stopped. */
  /** @type {Record<string, number> | null} */
  let figures = null
  try {
    const result = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`run exceeded ${benchCase.timeoutMs} ms`)),
        benchCase.timeoutMs,
      )
      client.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`load generator exited with ${code}`))
      })
      client.on('message', async (/** @type {any} */ message) => {
        const reply = (/** @type {unknown} */ result, /** @type {string} */ error = '') =>
          client.send({ op: 'reply', id: message.id, result, error })
        try {
          if (message.op === 'mark') {
            marks[message.name] = snapshot(server.pid, clientPid)
            reply(null)
          } else if (message.op === 'memory') {
            reply(await server.memory())
          } else if (message.op === 'restart') {
            problemsBefore.count += server.problemCount
            problemsBefore.lines.push(...server.problems)
            const code = await server.stop()
            if (code !== 0) problemsBefore.lines.push(`${kind} exited with ${code} on SIGTERM`)
            live.delete(server.child)
            server = await startServer(kind, dataDir, { core: SERVER_CORE, niceness })
            live.add(server.child)
            reply({ wsUrl: server.wsUrl })
          } else if (message.op === 'log') {
            console.log(`    ${message.message}`)
          } else if (message.op === 'done') {
            clearTimeout(timer)
            resolve(message.result)
          } else if (message.op === 'failed') {
            clearTimeout(timer)
            reject(new Error(message.error))
          }
        } catch (err) {
          reply(null, String(err))
        }
      })
      client.send({
        op: 'run',
        scenario: benchCase.scenario,
        params: benchCase.params({ room, cacheDir: large.cacheDir, large }),
        target,
      })
    })
    const window = marks.start && marks.end ? windowOf(marks.start, marks.end) : null
    const metrics = { ...result.metrics }
    figures = metrics
    if (window && benchCase.storage) {
      metrics.serverUsPerUpdate =
        (window.serverTicks * (1e6 / CLK_TCK)) / Math.max(1, result.messages)
    }
    if (window && benchCase.scenario === 'throughput') {
      metrics.serverUsPerUpdate =
        (window.serverTicks * (1e6 / CLK_TCK)) / Math.max(1, result.deliveredInWindow)
      metrics.serverCpuPct = window.serverCpuPct
      metrics.clientCpuPct = window.clientCpuPct
    }
    return { result, metrics, window, server }
  } finally {
    if (client.exitCode === null) client.kill('SIGKILL')
    live.delete(client)
    const code = await server.stop()
    live.delete(server.child)
    if (code !== 0 && code !== null) server.noteProblem(`${kind} exited with ${code} on SIGTERM`)
    server.problemCount += problemsBefore.count
    server.problems.unshift(...problemsBefore.lines)
    if (benchCase.storage && figures && kind.startsWith('tandem')) {
      Object.assign(figures, storedBytes(dataDir))
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/**
 * What a stopped Tandem left in its SQLite file, in KB: the document (snapshots and log, their
 * attribution included), the attribution alone, and the versions. Issue 18.
 * @param {string} dataDir
 */
function storedBytes(dataDir) {
  const require = createRequire(path.join(benchDir, '../apps/sync-server/package.json'))
  const Database = require('better-sqlite3')
  const db = new Database(path.join(dataDir, 'tandem.db'), { readonly: true })
  try {
    const sum = (/** @type {string} */ sql) => Number(db.prepare(sql).pluck().get() ?? 0)
    const attribution =
      sum('SELECT SUM(length(attribution)) FROM updates') +
      sum('SELECT SUM(length(data)) FROM attributions') +
      sum('SELECT SUM(length(key)) FROM authors')
    const doc =
      sum('SELECT SUM(length(data)) FROM snapshots') + sum('SELECT SUM(length(data)) FROM updates')
    return {
      storedKB: (doc + attribution) / 1024,
      attributionKB: attribution / 1024,
      versionsKB: sum('SELECT SUM(length(data)) FROM versions') / 1024,
    }
  } finally {
    db.close()
  }
}

/** Compact one-line view of a run's figures. @param {Record<string, number>} metrics */
const brief = (metrics) =>
  Object.entries(metrics)
    .map(([k, v]) => `${k}=${Number.isFinite(v) ? +v.toPrecision(4) : v}`)
    .join(' ')

async function main() {
  const started = new Date()
  const startedMs = performance.now()
  const large = largeDocument()
  const build = tandemBuild()
  const cases = [
    ...buildCases({ quick, tracesDir: TRACES_DIR }),
    ...fastWriterCases({ quick, tracesDir: TRACES_DIR }),
  ].filter((c) => !only || only.some((o) => c.id.includes(o)))
  if (cases.length === 0) {
    // Only scenarios that are scripts of their own: no side-by-side table to write.
    runScripts(only)
    return
  }
  console.log(
    `tandem bench: ${quick ? 'quick' : 'full'} mode, ${reps} repetition(s), ${cases.length} cases; ` +
      `servers on core ${SERVER_CORE}, load on core ${CLIENT_CORE}`,
  )
  /** @type {any[]} */
  const report = []
  /** @type {Record<string, { count: number, lines: string[] }>} */
  const problems = {}
  for (const benchCase of cases) {
    const servers = benchCase.servers.filter((s) => !serverFilter || serverFilter.includes(s))
    /** @type {any[]} */
    const runs = []
    for (let rep = 1; rep <= reps; rep++) {
      for (const kind of servers) {
        let attempt = 0
        /** @type {any} */
        let firstAttempt = null
        for (;;) {
          attempt++
          const label = `${benchCase.id} #${rep} ${kind}${attempt > 1 ? ' (again)' : ''}`
          await waitForQuiet(attempt > 1 ? quietWaitMs * 2 : quietWaitMs, quietPct)
          const runStarted = performance.now()
          try {
            const { result, metrics, window, server } = await runOnce(benchCase, kind, large)
            const disturbed = window !== null && window.othersPct > maxOthersPct
            const entry = problems[kind] ?? { count: 0, lines: [] }
            entry.count += server.problemCount
            for (const line of server.problems)
              if (entry.lines.length < 30) entry.lines.push(`${benchCase.id}: ${line}`)
            problems[kind] = entry
            const { metrics: _m, ...details } = result
            console.log(
              `  ${label}: ${brief(metrics)}${result.converged === false ? ' NOT CONVERGED' : ''}` +
                (window ? ` | others ${window.othersPct.toFixed(0)}%` : '') +
                (disturbed ? ' DISTURBED' : '') +
                ` (${((performance.now() - runStarted) / 1000).toFixed(1)} s)`,
            )
            const run = { server: kind, rep, attempt, disturbed, metrics, window, details }
            if (disturbed && attempt === 1) {
              firstAttempt = run
              continue
            }
            // Both disturbed: keep the less disturbed of the two.
            const keep =
              disturbed && firstAttempt && firstAttempt.window.othersPct < window.othersPct
                ? firstAttempt
                : run
            runs.push(keep)
          } catch (err) {
            console.log(`  ${label}: FAILED ${String(err).split('\n')[0]}`)
            if (firstAttempt) {
              runs.push(firstAttempt)
              break
            }
            runs.push({
              server: kind,
              rep,
              attempt,
              failed: String(err).slice(0, 2000),
              metrics: {},
            })
          }
          break
        }
      }
    }
    /** @type {Record<string, Record<string, ReturnType<typeof summarize>>>} */
    const summary = {}
    for (const kind of servers) {
      summary[kind] = {}
      for (const metric of benchCase.metrics) {
        const values = runs
          .filter((r) => r.server === kind)
          .map((r) => r.metrics[metric.key] ?? Number.NaN)
        summary[kind][metric.key] = summarize(values)
      }
    }
    report.push({
      id: benchCase.id,
      group: benchCase.group,
      title: benchCase.title,
      metrics: benchCase.metrics,
      servers,
      summary,
      runs,
    })
  }
  const durationS = (performance.now() - startedMs) / 1000
  const output = {
    startedAt: started.toISOString(),
    durationS,
    mode: quick ? 'quick' : 'full',
    reps,
    command: `pnpm bench${args.length ? ` -- ${args.join(' ')}` : ''}`,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      memoryGB: +(os.totalmem() / 2 ** 30).toFixed(1),
      kernel: os.release(),
      node: process.version,
      tmpdir: os.tmpdir(),
    },
    servers: Object.fromEntries(Object.entries(SERVER_KINDS).map(([k, v]) => [k, v.label])),
    tandem: build,
    maxOthersPct,
    niceness,
    cases: report,
    problems,
  }
  const resultsDir = path.join(benchDir, 'results')
  mkdirSync(resultsDir, { recursive: true })
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  const jsonFile = path.join(resultsDir, `${stamp}.json`)
  writeFileSync(jsonFile, `${JSON.stringify(output, replacer, 1)}\n`)
  const markdown = renderMarkdown(output)
  writeFileSync(path.join(resultsDir, 'latest.md'), markdown)
  console.log(`\n${markdown}`)
  console.log(
    `wrote ${path.relative(process.cwd(), jsonFile)} and results/latest.md in ${durationS.toFixed(0)} s`,
  )
  runScripts(only)
}

/**
 * The scenarios that are scripts of their own, each printing its own tables after the
 * side-by-side cases: `id` is what `--only` matches, `args` what the script is given.
 * @type {{ id: string, title: string, script: string, args: () => string[] }[]}
 */
const SCRIPTS = [
  // Issue 5: Tandem alone, a cluster of one and of two nodes (needs PostgreSQL and Redis).
  {
    id: 'cluster',
    title: 'Cluster (Tandem only: PostgreSQL + Redis; cluster.mjs)',
    script: 'cluster.mjs',
    args: () => (quick ? ['--updates=300', '--per-writer=500'] : []),
  },
  // Issue 13: other rooms' p99 while one participant attacks; about 3 minutes.
  { id: 'attacks', title: 'Attacks (attacks.mjs)', script: 'attacks.mjs', args: () => nice() },
  // Issue 17: how many typists one server core holds; about 3 minutes.
  { id: 'capacity', title: 'Capacity (capacity.mjs)', script: 'capacity.mjs', args: () => nice() },
  // Issue 17: the 10 MB document and other rooms meanwhile; about 6 minutes.
  { id: 'huge', title: 'A 10 MB document (huge.mjs)', script: 'huge.mjs', args: () => nice() },
  // Issue 18: what an attribution record costs a store's append (Tandem only); seconds.
  {
    id: 'attribution-append',
    title: 'Attribution on the append path (Tandem only; attribution-append.mjs)',
    script: 'attribution-append.mjs',
    args: () => [],
  },
  // Issue 17: start and list pages with 100,000 documents stored (Tandem only); about 2 minutes.
  {
    id: 'many-docs',
    title: 'Many documents (Tandem only; many-docs.mjs)',
    script: 'many-docs.mjs',
    args: () => (quick ? ['10000', '3'] : ['100000', '7']),
  },
]

/** `--nice` for a script that takes it. */
function nice() {
  return niceness ? [`--nice=${niceness}`] : []
}

/** Runs the scripts `--only` selects (all without it). @param {string[] | undefined} only */
function runScripts(only) {
  for (const { id, title, script, args } of SCRIPTS) {
    if (only && !only.some((o) => id.includes(o))) continue
    console.log(`\n## ${title}\n`)
    const result = spawnSync(process.execPath, [path.join(benchDir, script), ...args()], {
      stdio: 'inherit',
    })
    if (result.status !== 0) console.log(`${script} failed (${result.status ?? result.signal})`)
  }
}

/** Rounds numbers so the JSON stays small; NaN becomes null. @param {string} _k @param {unknown} v */
function replacer(_k, v) {
  if (typeof v !== 'number') return v
  if (!Number.isFinite(v)) return null
  return Number.isInteger(v) ? v : +v.toPrecision(5)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
