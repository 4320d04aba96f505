#!/usr/bin/env node
// A 10 MB document, and other rooms meanwhile (issue 17): how long a fresh stock client takes to
// have a 10 MB document (cold from storage after a restart, and from the loaded room), what the
// loaded document costs in memory, and other rooms' keystroke latency while the document is
// joined, exported, versioned, compacted, left and loaded again, against the same figure at rest.
// Tandem, the reference server and Hocuspocus side by side, each a fresh process on core 0 with
// the load generator on core 1. Run by `pnpm bench` after the other scenarios, or alone:
// `node bench/huge.mjs`. Options: --servers=tandem,reference,hocuspocus --reps=N --nice=<n>
// --render=results/huge-<stamp>.json (print a saved run's tables, run nothing).
// See README.md ("A 10 MB document") for the method and client/huge.mjs for one run.
import { execFileSync } from 'node:child_process'
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { hugeDocument10MB } from './lib/documents.mjs'
import {
  cpuSnapshot,
  cpuWindow,
  killedOnExit,
  rssBytes,
  spawnLoadGenerator,
  waitForQuiet,
} from './lib/proc.mjs'
import { checkTandemBuilt, SERVER_KINDS, startServer } from './lib/servers.mjs'
import { median } from './lib/stats.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const SERVER_CORE = 0
const CLIENT_CORE = 1
const RUN_TIMEOUT_MS = 300_000
const PEERS = ['tandem', 'reference', 'hocuspocus']

/** @type {Omit<import('./client/huge.mjs').HugeParams, 'updateFile' | 'textFile' | 'roomPrefix' | 'tandem'>} */
const PARAMS = {
  /** Fresh stock (and raw) clients loading the loaded room after the cold load. */
  loadedSamples: 3,
  loadTimeoutMs: 60_000,
  /** After the upload, before the restart, and after typing in the huge room stops: each
   * server stores on its own schedule. */
  settleMs: 3000,
  /** Other rooms: one stock writer each, typing every intervalMs to `receivers` raw receivers. */
  rooms: 10,
  receivers: 3,
  intervalMs: 10,
  /** Someone types in the huge room at this interval while the operations run. */
  typistEveryMs: 200,
  warmupMs: 2000,
  restMs: 5000,
  /** Someone types in the huge room this long: Hocuspocus stores a document edited without a
   * pause at least every 10 s. */
  typingMs: 12_000,
  /** Repeated operations run back to back this long; single ones get at least this window. */
  opMs: 4000,
  /** A fresh client joins the huge room this often (one at a time) in the join windows. */
  joinEveryMs: 1000,
  /** 500 keystrokes: Tandem's COMPACT_AFTER_UPDATES, so that the pause after them compacts. */
  burstTypists: 4,
  burstKeystrokes: 500,
  burstEveryMs: 8,
  /** Tandem's COMPACT_QUIET_MS and Hocuspocus's store debounce: both 2 s by default. */
  quietMs: 2000,
  opTimeoutMs: 60_000,
  graceMs: 2000,
  metricsEveryMs: 500,
  /** Tandem: /metrics asked this often while waiting for a compaction or an unload (a scrape
   * costs the server a few milliseconds of its event loop). */
  pollEveryMs: 250,
}

const args = process.argv.slice(2).filter((arg) => arg !== '--')
/** @param {string} name */
const option = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1]
for (const arg of args) {
  if (!/^--(servers=.+|nice=-?\d+|reps=\d+|render=.+)$/.test(arg)) {
    console.error(`unknown option ${arg}`)
    process.exit(2)
  }
}
const serverFilter = option('servers')?.split(',')
const niceness = Number(option('nice') ?? 0)
const reps = Number(option('reps') ?? 1)

/**
 * Waits (at most `maxMs`) for a quarter second in which processes other than the server and the
 * load generator used under 15% of a core; resolves with their share seen last.
 * @param {number} serverPid @param {number} clientPid @param {number} maxMs
 */
async function waitForOthersQuiet(serverPid, clientPid, maxMs) {
  const deadline = performance.now() + maxMs
  for (;;) {
    const a = cpuSnapshot(serverPid, clientPid)
    await new Promise((resolve) => setTimeout(resolve, 250))
    const { othersPct } = cpuWindow(a, cpuSnapshot(serverPid, clientPid))
    if (othersPct < 15 || performance.now() > deadline) return othersPct
  }
}

const live = killedOnExit()

/**
 * HUGE_SERVER_LOG=<file>: every line the server processes print is appended there.
 * @param {import('./lib/servers.mjs').ServerProcess} server
 */
function teeLog(server) {
  const file = process.env.HUGE_SERVER_LOG
  if (!file) return
  const write = (/** @type {Buffer | string} */ chunk) => appendFileSync(file, chunk)
  server.child.stdout?.on('data', write)
  server.child.stderr?.on('data', write)
}

/**
 * One run against a fresh server of `kind`.
 * @param {string} kind @param {{ updateFile: string, textFile: string }} huge
 */
async function runOnce(kind, huge) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `tandem-huge-${kind}-`))
  let server = await startServer(kind, dataDir, { core: SERVER_CORE, niceness })
  teeLog(server)
  live.add(server.child)
  const client = spawnLoadGenerator(CLIENT_CORE, niceness, {
    script: 'huge-worker.mjs',
    nodeFlags: ['--expose-gc'],
  })
  live.add(client)
  const clientPid = /** @type {number} */ (client.pid)
  /** @type {Record<string, ReturnType<typeof cpuSnapshot>>} */
  const marks = {}
  // The server's RSS every 100 ms (all its threads: the fold workers' heaps count).
  /** @type {{ atMs: number, rss: number }[]} */
  const rss = []
  const sampler = setInterval(() => {
    const bytes = rssBytes(server.pid)
    if (bytes !== null) rss.push({ atMs: performance.now(), rss: bytes })
  }, 100)
  const problems = /** @type {string[]} */ ([])
  /** How the server's last stop went (filled in at the end, after the run's result). */
  const stopped = { ms: Number.NaN, code: /** @type {number | null} */ (null) }
  try {
    /** @type {any} */
    const result = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`run exceeded ${RUN_TIMEOUT_MS} ms`)),
        RUN_TIMEOUT_MS,
      )
      client.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`load generator exited with ${code}`))
      })
      client.on('message', async (/** @type {any} */ message) => {
        const reply = (/** @type {unknown} */ value, error = '') =>
          client.send({ op: 'reply', id: message.id, result: value, error })
        try {
          if (message.op === 'mark') {
            marks[message.name] = cpuSnapshot(server.pid, clientPid)
            const start = marks[message.name.replace(/^end-/, 'start-')]
            const end = marks[message.name]
            if (!message.name.startsWith('end-') || !start || !end) {
              reply(null)
              return
            }
            const during = rss.filter((s) => s.atMs >= start.atMs && s.atMs <= end.atMs)
            reply({
              ...cpuWindow(start, end),
              peakRssMB: during.length ? Math.max(...during.map((s) => s.rss)) / 2 ** 20 : null,
            })
          } else if (message.op === 'quiet') {
            reply(await waitForOthersQuiet(server.pid, clientPid, 3000))
          } else if (message.op === 'memory') {
            reply(await server.memory())
          } else if (message.op === 'restart') {
            problems.push(...server.problems)
            const code = await server.stop(30_000)
            if (code !== 0) problems.push(`${kind} exited with ${code} on SIGTERM`)
            live.delete(server.child)
            server = await startServer(kind, dataDir, { core: SERVER_CORE, niceness })
            teeLog(server)
            live.add(server.child)
            reply({ wsUrl: server.wsUrl })
          } else if (message.op === 'log') {
            console.log(`    ${kind}: ${message.message}`)
          } else if (message.op === 'done') {
            clearTimeout(timer)
            resolve(message.result)
          } else if (message.op === 'failed') {
            clearTimeout(timer)
            reject(new Error(message.error))
          } else {
            reply(null, `the huge-document harness does not do ${message.op}`)
          }
        } catch (err) {
          reply(null, String(err))
        }
      })
      client.send({
        op: 'run',
        params: {
          ...PARAMS,
          updateFile: huge.updateFile,
          textFile: huge.textFile,
          roomPrefix: `huge-${process.pid}`,
          tandem: kind === 'tandem',
        },
        target: { protocol: SERVER_KINDS[kind]?.protocol, wsUrl: server.wsUrl },
      })
    })
    result.peakRssMB = Math.max(...rss.map((s) => s.rss)) / 2 ** 20
    return {
      server: kind,
      result,
      stopped,
      problems: [...problems, ...server.problems].slice(0, 8),
    }
  } catch (err) {
    return {
      server: kind,
      stopped,
      failed: String(err).split('\n').slice(0, 3).join(' '),
      problems: [...problems, ...server.problems].slice(0, 8),
    }
  } finally {
    clearInterval(sampler)
    if (client.exitCode === null) client.kill('SIGKILL')
    live.delete(client)
    const stopping = performance.now()
    const code = await server.stop(30_000)
    // A server that takes long to stop is still writing what it owes its store.
    stopped.ms = performance.now() - stopping
    stopped.code = code
    live.delete(server.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** @param {number | null | undefined} value @param {number} [digits] */
const fmt = (value, digits = 1) =>
  value === Number.POSITIVE_INFINITY
    ? '∞'
    : value === null || value === undefined || !Number.isFinite(value)
      ? '—'
      : value.toLocaleString('en-US', {
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        })

/** A window whose other processes used more than this share of a core is marked `*`. */
const MAX_OTHERS_PCT = 25
/** A window in which the load generator's own event loop stalled longer than this is marked `†`. */
const MAX_CLIENT_LAG_MS = 50

/**
 * The run of `kind` the tables show: of those that did not fail, the one whose most disturbed
 * window was least disturbed (other processes' CPU), or the failed one if all failed.
 * @param {any[]} runs @param {string} kind
 */
function shownRun(runs, kind) {
  const mine = runs.filter((r) => r.server === kind)
  const ok = mine.filter((r) => !r.failed)
  if (!ok.length) return mine[0] ?? null
  const worst = (/** @type {any} */ r) =>
    Math.max(0, ...r.result.windows.map((/** @type {any} */ w) => w.othersPct ?? 0))
  return ok.reduce((best, r) => (worst(r) < worst(best) ? r : best))
}

/** @param {number[]} xs */
const mid = (xs) => median(xs.filter((x) => Number.isFinite(x)))
/** @param {number[]} times @param {number[]} arrived */
const loadCell = (times, arrived) =>
  `${fmt(mid(times) / 1000, 2)} (${times.map((t) => fmt(t / 1000, 1)).join(', ')}); answer in ${fmt(mid(arrived) / 1000, 2)}`

/** @type {[string, (h: any) => string][]} */
const HUGE_ROWS = [
  [
    'upload by a stock client (one update): stored and readable after (s)',
    (h) => fmt(h.uploadMs / 1000, 2),
  ],
  [
    "cold, after a restart: a fresh stock client has it (s; target ≤ 3); the server's answer had arrived after (s)",
    (h) => `${fmt(h.coldMs / 1000, 2)}; answer in ${fmt(h.coldArrivedMs / 1000, 2)}`,
  ],
  [
    'from the loaded room, nobody typing: median (each); answer in (s)',
    (h) => loadCell(h.loadedMs, h.loadedArrivedMs),
  ],
  [
    'from the loaded room while someone types every 200 ms: median (each); answer in (s)',
    (h) => loadCell(h.loadedTypingMs, h.loadedTypingArrivedMs),
  ],
  [
    'from the loaded room, nobody typing, a raw client (no Y.Doc): median (ms)',
    (h) => fmt(mid(h.rawLoadedMs), 0),
  ],
  [
    'longest silence a loading stock client saw (s; its liveness timeout is 30)',
    (h) => fmt(h.longestSilenceMs / 1000, 2),
  ],
  ['socket closes of the loading stock clients', (h) => String(h.closes)],
  ['heap per loaded huge document (MB)', (h) => fmt(h.heapPerDocMB, 1)],
  ['array buffers per loaded huge document (MB)', (h) => fmt(h.arrayBuffersPerDocMB, 1)],
  ['RSS per loaded huge document (MB)', (h) => fmt(h.rssPerDocMB, 1)],
  ['every stock client had the exact text', (h) => (h.exact ? 'yes' : '**no**')],
]

/** Windows of the isolation phase, in the order they run. */
const WINDOWS = [
  ['rest', 'at rest (the huge document loaded, one client in it)'],
  ['join', '(b) a fresh client joins it every second'],
  ['typing', 'someone types in it, a character every 200 ms (12 s)'],
  ['join-typing', '(b) a fresh client joins it every second while someone types in it'],
  ['export', '(c) its text exported through the API, back to back (Tandem only)'],
  ['version-save', '(d) named versions of it saved, back to back (Tandem only)'],
  ['version-restore', '(d) a version of it restored, back to back (Tandem only)'],
  ['burst', '500 keystrokes typed into it in 1 s (four typists)'],
  ['compact', '(a) the pause after: the server rewrites its stored form'],
  ['leave', 'everyone leaves it: the server saves and unloads it'],
  ['cold-join', '(b) a fresh client opens it again, from storage'],
  ['rest-after', 'at rest again'],
]

/** @param {any} output */
function renderMarkdown(output) {
  const columns = PEERS.filter((kind) =>
    output.runs.some((/** @type {any} */ r) => r.server === kind),
  )
  const shown = Object.fromEntries(columns.map((kind) => [kind, shownRun(output.runs, kind)]))
  const header = [
    `| figure | ${columns.map((kind) => SERVER_KINDS[kind]?.label).join(' | ')} |`,
    `|---|${columns.map(() => '---:').join('|')}|`,
  ]
  /** @param {string} kind @param {(result: any) => string} cell */
  const cellOf = (kind, cell) => {
    const run = shown[kind]
    if (!run) return 'not run'
    if (run.failed) return `run failed: ${run.failed.slice(0, 80).replaceAll('|', '\\|')}`
    return cell(run.result)
  }
  const lines = [
    '# Tandem benchmark: a 10 MB document, and other rooms meanwhile (issue 17)',
    '',
    `${output.startedAt}, \`${output.command}\`, ${Math.round(output.durationS)} s, ${output.reps} run(s) per server` +
      `${output.reps > 1 ? ' (each column shows its least disturbed run)' : ''}. ${output.machine.cpus} × ${output.machine.cpuModel}, Node ${output.machine.node}. ` +
      `Servers pinned to core 0 (Tandem's fold workers share it), load generator to core 1, loopback only${output.niceness ? `, both at nice ${output.niceness}` : ''}. ` +
      `Tandem at ${output.tandem.commit}${output.tandem.changedFiles ? ` with ${output.tandem.changedFiles} changed files in the tree` : ''}, dist built ${output.tandem.distBuiltAt}` +
      `${output.tandem.distChangedDuringRun ? ' (**rebuilt during the run**)' : ''}.`,
    '',
    `The document: ${fmt(output.document.updateBytes / 2 ** 20, 1)} MiB of Yjs update (the whole state, one update), ` +
      `${fmt(output.document.textLength / 1e6, 2)} million characters of text.`,
    '',
    '## The document',
    '',
    ...header,
  ]
  for (const [label, cell] of HUGE_ROWS) {
    lines.push(
      `| ${label} | ${columns.map((kind) => cellOf(kind, (r) => cell(r.huge))).join(' | ')} |`,
    )
  }
  lines.push(
    `| peak RSS of the server process during the run (MB) | ${columns
      .map((kind) => cellOf(kind, (r) => fmt(r.peakRssMB, 0)))
      .join(' | ')} |`,
    '',
    '## Other rooms meanwhile',
    '',
    `${output.params.rooms} other rooms, each one stock writer typing every ${output.params.intervalMs} ms to ` +
      `${output.params.receivers} raw receivers; each cell: their keystroke p99 (ms) in the window, ` +
      "its ratio to the same server's p99 at rest (target ≤ 2×), and the slowest delivery. " +
      'A delivery still missing 2 s after the end counts as slower than any. ' +
      `\`*\`: other processes used more than ${MAX_OTHERS_PCT}% of a core in the window; ` +
      `\`†\`: the load generator's own event loop stalled more than ${MAX_CLIENT_LAG_MS} ms in it (its arrival stamps were late).`,
    '',
    ...header,
  )
  for (const [name, label] of WINDOWS) {
    const row = columns.map((kind) =>
      cellOf(kind, (r) => {
        const w = r.windows.find((/** @type {any} */ x) => x.name === name)
        if (!w) return '—'
        const rest = r.windows.find((/** @type {any} */ x) => x.name === 'rest')
        const ratio = name === 'rest' || !rest ? '' : ` (${fmt(w.p99Ms / rest.p99Ms, 2)}×)`
        const mark =
          (w.othersPct > MAX_OTHERS_PCT ? ' *' : '') +
          (w.clientLagMaxMs > MAX_CLIENT_LAG_MS ? ' †' : '')
        return `${fmt(w.p99Ms, 1)}${ratio}; max ${fmt(w.maxMs, 0)}${mark}`
      }),
    )
    lines.push(`| ${label} | ${row.join(' | ')} |`)
  }
  lines.push(
    `| socket closes of the other rooms' stock writers meanwhile | ${columns
      .map((kind) => cellOf(kind, (r) => String(r.liveness.writersCloses)))
      .join(' | ')} |`,
    '',
    '## Windows',
    '',
  )
  for (const run of output.runs) {
    const label = SERVER_KINDS[run.server]?.label
    if (run.failed) {
      lines.push(`- ${label} (run ${run.rep}): failed: ${run.failed.slice(0, 300)}`)
      continue
    }
    const parts = run.result.windows.map((/** @type {any} */ w) => {
      const op = w.ops ?? {}
      const what = [
        op.count !== undefined
          ? `${op.count}× median ${fmt(op.medianMs, 0)} ms, max ${fmt(op.maxMs, 0)} ms`
          : null,
        op.afterLastKeystrokeMs !== undefined
          ? `stored ${fmt(op.afterLastKeystrokeMs / 1000, 2)} s after the last keystroke`
          : null,
        op.ms !== undefined ? `loaded in ${fmt(op.ms, 0)} ms` : null,
        op.timedOut ? 'not seen to finish' : null,
        op.statuses ? `statuses ${op.statuses.join('/')}` : null,
      ]
        .filter(Boolean)
        .join(', ')
      return (
        `${w.name} ${fmt(w.seconds, 1)} s: p50 ${fmt(w.p50Ms, 1)} / p99 ${fmt(w.p99Ms, 1)} / max ${fmt(w.maxMs, 0)} ms` +
        `${w.missing ? `, ${w.missing} missing` : ''}${what ? `; ${what}` : ''}` +
        `; server ${fmt(w.serverCpuPct, 0)}%, load ${fmt(w.clientCpuPct, 0)}%, others ${fmt(w.othersPct, 0)}%` +
        `${w.stealPct >= 1 ? `, steal ${fmt(w.stealPct, 0)}%` : ''}` +
        `${typeof w.serverLagMaxMs === 'number' ? `, server event-loop delay max ${fmt(w.serverLagMaxMs, 0)} ms` : ''}` +
        `${typeof w.clientLagMaxMs === 'number' ? `, load generator's ${fmt(w.clientLagMaxMs, 0)} ms` : ''}` +
        `${w.peakRssMB ? `, RSS ≤ ${fmt(w.peakRssMB, 0)} MB` : ''}`
      )
    })
    lines.push(
      `- ${label} (run ${run.rep}${run === shown[run.server] ? ', shown' : ''}): ${parts.join('; ')}.`,
    )
    if (run.stopped && Number.isFinite(run.stopped.ms))
      lines.push(
        `  Stopped with SIGTERM at the end in ${fmt(run.stopped.ms / 1000, 1)} s` +
          `${run.stopped.code === null ? ' (killed after 30 s)' : ` (exit ${run.stopped.code})`}.`,
      )
    if (run.problems?.length)
      lines.push(`  Server warnings: ${run.problems.slice(0, 3).join(' / ').slice(0, 400)}`)
  }
  return `${lines.join('\n')}\n`
}

/** Which Tandem was measured: the commit, how many of its files had changes, when dist was built. */
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

/** Rounds numbers so the JSON stays small; NaN becomes null. @param {string} _k @param {unknown} v */
function replacer(_k, v) {
  if (typeof v !== 'number') return v
  if (v === Number.POSITIVE_INFINITY) return 'Infinity'
  if (!Number.isFinite(v)) return null
  return Number.isInteger(v) ? v : +v.toPrecision(5)
}

async function main() {
  const saved = option('render')
  if (saved) {
    const output = JSON.parse(readFileSync(saved, 'utf8'), (_k, v) =>
      v === 'Infinity' ? Number.POSITIVE_INFINITY : v,
    )
    process.stdout.write(renderMarkdown(output))
    return
  }
  checkTandemBuilt()
  const huge = hugeDocument10MB()
  const buildBefore = tandemBuild()
  const started = new Date()
  const startedMs = performance.now()
  const kinds = PEERS.filter((kind) => !serverFilter || serverFilter.includes(kind))
  console.log(
    `tandem bench: a 10 MB document (${kinds.join(', ')}); servers on core ${SERVER_CORE}, load on core ${CLIENT_CORE}`,
  )
  const runs = []
  for (let rep = 1; rep <= reps; rep++) {
    for (const kind of kinds) {
      await waitForQuiet(3000)
      const run = { ...(await runOnce(kind, huge)), rep }
      runs.push(run)
      if (run.failed) console.log(`  ${kind}: FAILED ${run.failed}`)
      else {
        const h = run.result.huge
        console.log(
          `  ${kind}: cold ${fmt(h.coldMs / 1000, 2)} s, loaded ${fmt(mid(h.loadedMs) / 1000, 2)} s, ` +
            `while typing ${fmt(mid(h.loadedTypingMs) / 1000, 2)} s; ` +
            run.result.windows
              .map((/** @type {any} */ w) => `${w.name} ${fmt(w.p99Ms, 1)}`)
              .join(', '),
        )
      }
    }
  }
  const ok = runs.find((r) => !r.failed)
  const output = {
    startedAt: started.toISOString(),
    durationS: (performance.now() - startedMs) / 1000,
    command: `node bench/huge.mjs${args.length ? ` ${args.join(' ')}` : ''}`,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    tandem: {
      ...buildBefore,
      // Someone rebuilt the server while this ran: runs may have measured different builds.
      distChangedDuringRun: tandemBuild().distBuiltAt !== buildBefore.distBuiltAt,
    },
    document: {
      updateBytes: ok?.result.huge.updateBytes ?? Number.NaN,
      textLength: ok?.result.huge.textLength ?? Number.NaN,
    },
    params: PARAMS,
    reps,
    niceness,
    runs,
  }
  const resultsDir = path.join(benchDir, 'results')
  mkdirSync(resultsDir, { recursive: true })
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  writeFileSync(
    path.join(resultsDir, `huge-${stamp}.json`),
    `${JSON.stringify(output, replacer, 1)}\n`,
  )
  const markdown = renderMarkdown(output)
  writeFileSync(path.join(resultsDir, 'huge-latest.md'), markdown)
  console.log(`\n${markdown}`)
  console.log(
    `wrote results/huge-${stamp}.json and results/huge-latest.md in ${output.durationS.toFixed(0)} s`,
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
