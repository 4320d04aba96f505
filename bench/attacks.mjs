#!/usr/bin/env node
// Attack isolation (issue 13): other rooms' keystroke p99 while one participant runs each attack
// of well-formed protocol input, against the same figure just before the attack in the same
// server process, side by side with the reference server and Hocuspocus. Run by `pnpm bench`
// after the other scenarios, or alone: `pnpm --filter @tandem/bench attacks`.
// Options: --attacks=chain,wide,presence,step1,http  --servers=tandem-defaults,reference,hocuspocus
//          --nice=<n> (servers and load generator under `nice -n <n>`; negative needs root)
//          --render=results/attacks-<stamp>.json (print a saved run's tables again, run nothing)
// See README.md ("Attacks") for the method and client/attack.mjs for the timeline of a run.
import { execFileSync } from 'node:child_process'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as Y from 'yjs'
import {
  cpuSnapshot,
  cpuWindow,
  killedOnExit,
  spawnLoadGenerator,
  waitForQuiet,
} from './lib/proc.mjs'
import { checkTandemBuilt, SERVER_KINDS, startServer } from './lib/servers.mjs'
import { applyEdit, loadTrace, utf16Edits } from './lib/traces.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const TRACES_DIR = path.resolve(benchDir, '../../shared/traces')
const SERVER_CORE = 0
const CLIENT_CORE = 1
const RUN_TIMEOUT_MS = 90_000

const PEERS = ['tandem-defaults', 'reference', 'hocuspocus']
/** @type {{ id: string, title: string, servers: string[] }[]} */
const ATTACKS = [
  {
    id: 'chain',
    title:
      '1. Nested chain (edit link): one update of 20,000 nested shared types (143 KB), then a 7-byte update deleting the outermost',
    servers: PEERS,
  },
  {
    id: 'wide',
    title:
      '2. Wide delete set (edit link): one update of 100,000 delete ranges of a client that never wrote (392 KB), while the room keeps typing',
    servers: PEERS,
  },
  {
    id: 'presence',
    title:
      '3. Presence flood (view link): one 2 MiB awareness frame of 300,000 client ids, then 5 query-awareness frames a second',
    servers: PEERS,
  },
  {
    id: 'step1',
    title:
      '4a. Costly reads (view link): 9-byte sync step 1 frames at 180 a second (under the 200 allowed) against an 876 KiB document',
    servers: PEERS,
  },
  {
    id: 'http',
    title:
      '4b. Costly reads (view link): 20 concurrent GET /api/docs/{name}/text of that document (Tandem only: the peers have no such API)',
    servers: ['tandem-defaults'],
  },
]

const args = process.argv.slice(2).filter((arg) => arg !== '--')
/** @param {string} name */
const option = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1]
for (const arg of args) {
  if (!/^--(attacks=.+|servers=.+|nice=-?\d+|render=.+)$/.test(arg)) {
    console.error(`unknown option ${arg}`)
    process.exit(2)
  }
}
const attackFilter = option('attacks')?.split(',')
const serverFilter = option('servers')?.split(',')
/** Run servers and load generator under `nice -n <n>` (negative needs root), as run.mjs does. */
const niceness = Number(option('nice') ?? 0)

/** Parameters of every run; see client/attack.mjs. */
const PARAMS = {
  receivers: 10,
  intervalMs: 10,
  warmup: 50,
  baseline: 200,
  typistIntervalMs: 50,
  minAttackMs: 3000,
  maxAttackMs: 15_000,
  drainMs: 3000,
  joinAfterMs: 1000,
  joinTimeoutMs: 5000,
  probeEveryMs: 50,
  chainDepth: 20_000,
  wideRanges: 100_000,
  presenceIds: 300_000,
  queryAwarenessPerS: 5,
  step1PerS: 180,
  httpConcurrency: 20,
}

/**
 * The large document of attack 4 (built once per machine): three editing traces' whole
 * histories, each in its own root text (`paper`: automerge-paper, `blog`: seph-blog1, `code`:
 * rustcode), as one update of 876 KiB (897,187 bytes).
 */
function prepareLargeDocument() {
  const names = ['automerge-paper', 'seph-blog1', 'rustcode']
  const roots = ['paper', 'blog', 'code']
  const files = names.map((name) => path.join(TRACES_DIR, `${name}.json.gz`))
  const key = files.map((file) => statSync(file).size).join('-')
  const cacheDir = path.join(os.tmpdir(), 'tandem-bench-cache')
  mkdirSync(cacheDir, { recursive: true })
  const updateFile = path.join(cacheDir, `attack-large-v3-${key}.update`)
  const metaFile = `${updateFile}.json`
  if (!existsSync(updateFile) || !existsSync(metaFile)) {
    console.log('building the large document of attack 4 (once per machine)…')
    // One writer per trace, as if three people had written them: one Y.Doc each, merged.
    /** @type {Uint8Array[]} */
    const updates = []
    let firstRootLength = 0
    names.forEach((name, i) => {
      const doc = new Y.Doc()
      doc.clientID = 2_000_000_001 + i // 32-bit ids, as real clients draw them
      const trace = loadTrace(/** @type {string} */ (files[i]))
      const text = doc.getText(roots[i])
      if (trace.startContent) text.insert(0, trace.startContent)
      const edits = utf16Edits(trace)
      for (let at = 0; at < edits.length; at += 100) {
        doc.transact(() => {
          for (const edit of edits.slice(at, at + 100)) applyEdit(text, edit)
        })
      }
      if (text.toString() !== trace.endContent) throw new Error(`${name} did not replay`)
      if (i === 0) firstRootLength = text.length
      updates.push(Y.encodeStateAsUpdate(doc))
      doc.destroy()
    })
    const update = Y.mergeUpdates(updates)
    writeFileSync(`${updateFile}.tmp`, update)
    writeFileSync(
      metaFile,
      JSON.stringify({
        size: update.length,
        firstRoot: 'paper',
        firstRootLength,
      }),
    )
    writeFileSync(updateFile, readFileSync(`${updateFile}.tmp`))
    rmSync(`${updateFile}.tmp`)
  }
  return { updateFile, ...JSON.parse(readFileSync(metaFile, 'utf8')) }
}

let runCounter = 0
const live = killedOnExit()

/**
 * One run: a fresh server on core 0, a fresh load generator on core 1.
 * @param {{ id: string }} attack @param {string} kind @param {any} large
 */
async function runOnce(attack, kind, large) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `tandem-attack-${kind}-`))
  const server = await startServer(kind, dataDir, { core: SERVER_CORE, niceness })
  live.add(server.child)
  let stopping = false
  /** @type {string | null} */
  let died = null
  server.exited.then(() => {
    if (!stopping) died = server.child.signalCode ?? `exit ${server.child.exitCode}`
  })
  const client = spawnLoadGenerator(CLIENT_CORE, niceness)
  live.add(client)
  const clientPid = /** @type {number} */ (client.pid)
  /** @type {Record<string, ReturnType<typeof cpuSnapshot>>} */
  const marks = {}
  try {
    const result = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`run exceeded ${RUN_TIMEOUT_MS} ms`)),
        RUN_TIMEOUT_MS,
      )
      client.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`load generator exited with ${code}`))
      })
      client.on('message', (/** @type {any} */ message) => {
        const reply = (/** @type {unknown} */ value, error = '') =>
          client.send({ op: 'reply', id: message.id, result: value, error })
        if (message.op === 'mark') {
          marks[message.name] = cpuSnapshot(server.pid, clientPid)
          reply(null)
        } else if (message.op === 'log') {
          console.log(`    ${message.message}`)
        } else if (message.op === 'done') {
          clearTimeout(timer)
          resolve(message.result)
        } else if (message.op === 'failed') {
          clearTimeout(timer)
          reject(new Error(message.error))
        } else {
          reply(null, `the attack harness does not do ${message.op}`)
        }
      })
      client.send({
        op: 'run',
        scenario: 'attack',
        params: {
          ...PARAMS,
          attack: attack.id,
          room: `attack-${process.pid}-${++runCounter}`,
          viewLinks: kind.startsWith('tandem'),
          large: attack.id === 'step1' || attack.id === 'http' ? large : undefined,
        },
        target: { protocol: SERVER_KINDS[kind]?.protocol, wsUrl: server.wsUrl },
      })
    })
    const diedDuring = died
    return {
      server: kind,
      result,
      died: diedDuring,
      windows: {
        base: marks.base && marks.attack ? cpuWindow(marks.base, marks.attack) : null,
        attack: marks.attack && marks.end ? cpuWindow(marks.attack, marks.end) : null,
      },
      problemCount: server.problemCount,
      problems: server.problems.slice(0, 6),
    }
  } catch (err) {
    return {
      server: kind,
      failed: String(err).split('\n').slice(0, 3).join(' '),
      died,
      problems: server.problems.slice(0, 6),
    }
  } finally {
    if (client.exitCode === null) client.kill('SIGKILL')
    live.delete(client)
    stopping = true
    await server.stop(5000)
    live.delete(server.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** @param {number} value @param {number} [digits] */
const fmt = (value, digits = 1) =>
  Number.isFinite(value)
    ? value.toLocaleString('en-US', {
        minimumFractionDigits: digits,
        maximumFractionDigits: digits,
      })
    : '—'

/** Whether the server answered throughout: `alive`, `died (…)`, or `stalled (…)`. @param {any} run */
function serverState(run) {
  if (run.failed) return `run failed: ${run.failed.slice(0, 120)}`
  if (run.died) return `died (${run.died})`
  const r = run.result
  const problems = []
  if (!r.drained) problems.push(`${r.lost} deliveries missing 3 s after the last keystroke`)
  if (r.failedProbes > 0) problems.push(`${r.failedProbes} /healthz probes unanswered in 5 s`)
  return problems.length ? `stalled (${problems.join('; ')})` : 'alive'
}

/**
 * The server's CPU time in the attack window beyond what its baseline rate would have used: what
 * the attack cost the server, readable even when other processes slowed everything down. The
 * counters tick every 10 ms, so a few tens of ms either way are noise.
 * @param {any} windows
 */
function extraCpuText(windows) {
  const base = windows.base?.serverCpuPct ?? 0
  const ms = ((windows.attack.serverCpuPct - base) / 100) * windows.attack.seconds * 1000
  return ms < 50 ? `≈ 0 (${fmt(ms, 0)})` : fmt(ms, 0)
}

/** One cell per figure of a run. @param {any} run */
function cells(run) {
  const state = serverState(run)
  const r = run.result
  const m = r?.metrics ?? {}
  const bad = run.failed || run.died || !r?.drained
  const word = run.failed ? 'run failed' : run.died ? 'died' : 'stalled'
  const ratio = m.attackP99Ms / m.baseP99Ms
  const joiner = r?.joiner ?? {}
  const a = r?.attack ?? {}
  const joinerText = Number.isFinite(joiner.syncMs)
    ? `${fmt(joiner.syncMs, 0)} ms, ${joiner.outcome}`
    : (joiner.outcome ?? '—')
  return {
    p99: `${fmt(m.baseP99Ms, 2)} → ${bad ? `${word}${Number.isFinite(m.attackP99Ms) ? ` (${fmt(m.attackP99Ms, 0)} of what arrived)` : ''}` : fmt(m.attackP99Ms, 2)}`,
    ratio: bad ? word : `${fmt(ratio, 2)}× ${ratio <= 2 ? '✓' : '✗'}`,
    p50: `${fmt(m.baseP50Ms, 2)} → ${fmt(m.attackP50Ms, 2)}`,
    health: `${fmt(m.healthBaseMaxMs, 0)} → ${fmt(m.healthMaxMs, 0)}${r?.failedProbes ? ` (${r.failedProbes} unanswered)` : ''}`,
    typist: `${fmt(m.attackedBaseP99Ms, 1)} → ${
      r && r.typistArrivedInAttack < r.typistSentInAttack
        ? `${r.typistArrivedInAttack} of ${r.typistSentInAttack} keystrokes arrived${r.typistArrivedInAttack ? ` (p99 ${fmt(m.attackedP99Ms, 0)})` : ''}`
        : fmt(m.attackedP99Ms, 1)
    }`,
    joiner: joinerText,
    joinerBytes: Number.isFinite(joiner.bytesIn) ? `${fmt(joiner.bytesIn / 2 ** 20, 2)} MiB` : '—',
    clientKeystroke: Number.isFinite(joiner.clientKeystrokeMs)
      ? fmt(joiner.clientKeystrokeMs, 2)
      : '—',
    attacker: String(a.attacker ?? a.outcome ?? '—'),
    received: Number.isFinite(a.receivedMiB) ? `${fmt(a.receivedMiB, 1)} MiB` : '—',
    step1: Number.isFinite(a.step1Sent) ? `${a.step1Answered} of ${a.step1Sent}` : '—',
    http: a.statuses
      ? `${Object.entries(a.statuses)
          .map(([k, v]) => `${v}× ${k}`)
          .join(', ')}${a.textMsMedian ? `; median ${fmt(a.textMsMedian, 0)} ms` : ''}`
      : '—',
    cpu: run.windows?.attack
      ? `${fmt(run.windows.base?.serverCpuPct, 0)} → ${fmt(run.windows.attack.serverCpuPct, 0)}`
      : '—',
    // The server's CPU time in the attack window beyond what its baseline rate would have used:
    // what the attack cost the server, readable even when other processes slowed everything.
    extraCpu: run.windows?.attack ? extraCpuText(run.windows) : '—',
    others: run.windows?.attack
      ? `${fmt(run.windows.base?.othersPct, 0)} → ${fmt(run.windows.attack.othersPct, 0)}`
      : '—',
    window: fmt(m.attackWindowS, 1),
    state,
  }
}

/** Rows shown for every attack, then the ones that only mean something for one. */
const ROWS = [
  ['p99', "other rooms' p99, without → during the attack (ms)"],
  ['ratio', 'during ÷ without (target ≤ 2×)'],
  ['p50', "other rooms' p50, without → during (ms)"],
  ['health', '/healthz slowest answer, without → during (ms)'],
  ['typist', "attacked room's own typist, p99 without → during (ms)"],
  ['joiner', 'fresh joiner of the attacked room: sync time, text'],
  ['attacker', 'the attacker'],
  ['state', 'server'],
  ['cpu', 'server CPU, without → during (% of its core)'],
  ['extraCpu', 'server CPU time the attack cost, above the baseline rate (ms)'],
  ['others', 'other processes on the machine, without → during (% of a core)'],
  ['window', 'attack window (s)'],
]
/** @type {Record<string, [string, string][]>} */
const EXTRA_ROWS = {
  wide: [['clientKeystroke', "a remote keystroke applied by the joiner's Y.Doc afterwards (ms)"]],
  presence: [
    ['joinerBytes', 'bytes sent to the fresh joiner'],
    ['received', 'bytes sent to the attacker'],
  ],
  step1: [
    ['step1', 'step 1 frames answered'],
    ['received', 'bytes sent to the attacker'],
  ],
  http: [['http', 'GET …/text answers']],
}

/** @param {any} output */
function renderMarkdown(output) {
  const lines = [
    '# Tandem benchmark: attacks (issue 13)',
    '',
    `${output.startedAt}, \`${output.command}\`, ${Math.round(output.durationS)} s. ` +
      `${output.machine.cpus} × ${output.machine.cpuModel}, Node ${output.machine.node}. ` +
      `Servers pinned to core 0, load generator to core 1, loopback only. Tandem at ${output.tandem.commit}` +
      `${output.tandem.changedFiles ? ` with ${output.tandem.changedFiles} uncommitted file(s) in apps/ and packages/` : ''}.`,
    '',
    "One run per attack and server. Other rooms' figures: one writer typing every 10 ms into a room of 10 " +
      'receivers; "without" is the 2 s just before the attack in the same process, "during" from its first ' +
      'message until it is over (at least 3 s). Tandem runs with its default limits; the attacker connects ' +
      'from 127.0.0.2, everyone else from 127.0.0.1, the fresh joiner from 127.0.0.3.',
  ]
  const columns = PEERS.filter((kind) =>
    output.runs.some((/** @type {any} */ r) => r.server === kind),
  )
  for (const attack of ATTACKS) {
    const runs = output.runs.filter((/** @type {any} */ r) => r.attack === attack.id)
    if (runs.length === 0) continue
    lines.push('', `## ${attack.title}`, '')
    lines.push(`| figure | ${columns.map((kind) => SERVER_KINDS[kind]?.label).join(' | ')} |`)
    lines.push(`|---|${columns.map(() => '---').join('|')}|`)
    const byServer = Object.fromEntries(runs.map((/** @type {any} */ r) => [r.server, cells(r)]))
    for (const [key, label] of [...ROWS, ...(EXTRA_ROWS[attack.id] ?? [])]) {
      const row = columns.map((kind) => {
        const c = byServer[kind]
        return c ? String(c[/** @type {keyof typeof c} */ (key)]).replaceAll('|', '\\|') : 'not run'
      })
      lines.push(`| ${label} | ${row.join(' | ')} |`)
    }
  }
  const problems = output.runs.filter((/** @type {any} */ r) => r.problems?.length)
  if (problems.length) {
    lines.push('', '## What the servers printed (warnings and errors, first lines)', '')
    for (const r of problems) {
      lines.push(
        `- ${r.attack}, ${SERVER_KINDS[r.server]?.label} (${r.problemCount ?? r.problems.length} line(s)): \`${String(r.problems[0]).slice(0, 200).replaceAll('`', "'")}\``,
      )
    }
  }
  return `${lines.join('\n')}\n`
}

/** Which Tandem was measured. */
function tandemBuild() {
  const git = (/** @type {string[]} */ gitArgs) => {
    try {
      return execFileSync('git', gitArgs, { cwd: benchDir, encoding: 'utf8' }).trim()
    } catch {
      return null
    }
  }
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    changedFiles:
      git(['status', '--porcelain', '--', '../apps', '../packages'])?.split('\n').filter(Boolean)
        .length ?? null,
  }
}

async function main() {
  const saved = option('render')
  if (saved) {
    process.stdout.write(renderMarkdown(JSON.parse(readFileSync(saved, 'utf8'))))
    return
  }
  checkTandemBuilt()
  const started = new Date()
  const startedMs = performance.now()
  const large = prepareLargeDocument()
  const attacks = ATTACKS.filter((a) => !attackFilter || attackFilter.includes(a.id))
  console.log(
    `tandem bench: attacks (${attacks.map((a) => a.id).join(', ')}); servers on core ${SERVER_CORE}, load on core ${CLIENT_CORE}`,
  )
  /** @type {any[]} */
  const runs = []
  for (const attack of attacks) {
    for (const kind of attack.servers.filter((s) => !serverFilter || serverFilter.includes(s))) {
      await waitForQuiet(1000)
      const runStarted = performance.now()
      const run = { attack: attack.id, ...(await runOnce(attack, kind, large)) }
      runs.push(run)
      const c = cells(run)
      console.log(
        `  ${attack.id} ${kind}: p99 ${c.p99} ms (${c.ratio}), /healthz ${c.health} ms, joiner ${c.joiner}, attacker ${c.attacker}, server ${c.state}` +
          ` (${((performance.now() - runStarted) / 1000).toFixed(1)} s)`,
      )
    }
  }
  const output = {
    startedAt: started.toISOString(),
    durationS: (performance.now() - startedMs) / 1000,
    command: `pnpm --filter @tandem/bench attacks${args.length ? ` -- ${args.join(' ')}` : ''}`,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    tandem: tandemBuild(),
    params: PARAMS,
    niceness,
    large: { size: large.size },
    runs,
  }
  const resultsDir = path.join(benchDir, 'results')
  mkdirSync(resultsDir, { recursive: true })
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  writeFileSync(
    path.join(resultsDir, `attacks-${stamp}.json`),
    `${JSON.stringify(output, replacer, 1)}\n`,
  )
  const markdown = renderMarkdown(output)
  writeFileSync(path.join(resultsDir, 'attacks-latest.md'), markdown)
  console.log(`\n${markdown}`)
  console.log(
    `wrote results/attacks-${stamp}.json and results/attacks-latest.md in ${output.durationS.toFixed(0)} s`,
  )
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
