#!/usr/bin/env node
// Capacity (issue 17): how many people typing at a human rate one server core holds. Rooms of 4
// typists (5 keystrokes a second each, a cursor move with every keystroke) are added step by step
// until the p99 from a keystroke to the other three typists' screens passes 50 ms or deliveries
// fall behind; Tandem, the reference server and Hocuspocus side by side, each a fresh process on
// core 0 with the load generator on core 1. Run by `pnpm bench` after the other scenarios, or
// alone: `pnpm --filter @tandem/bench capacity`. Options: --servers=tandem,reference,hocuspocus
// --nice=<n>  --render=results/capacity-<stamp>.json (print a saved run's table, run nothing).
// See README.md ("Capacity") for the method and client/capacity.mjs for one run.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  cpuSnapshot,
  cpuWindow,
  killedOnExit,
  spawnLoadGenerator,
  waitForQuiet,
} from './lib/proc.mjs'
import { checkTandemBuilt, SERVER_KINDS, startServer } from './lib/servers.mjs'

const benchDir = path.dirname(fileURLToPath(import.meta.url))
const SERVER_CORE = 0
const CLIENT_CORE = 1
const RUN_TIMEOUT_MS = 90_000
const PEERS = ['tandem', 'reference', 'hocuspocus']

/** @type {import('./client/capacity.mjs').CapacityParams} */
const PARAMS = {
  perRoom: 4,
  keystrokeEveryMs: 200,
  maxP99Ms: 50,
  /** Rooms typing through the warm-up and the first step. */
  firstRooms: 10,
  /** Each step adds max(stepRooms, stepGrowth × rooms) rooms, at most up to maxRooms. */
  stepRooms: 10,
  stepGrowth: 0.2,
  maxRooms: 1000,
  /** A step that breaks while other processes used more than this (% of a core) is measured again, once. */
  maxOthersPct: 25,
  /** After adding rooms, typing goes on for settleMs before the measured window of stepMs. */
  settleMs: 250,
  stepMs: 1500,
  /** A delivery still missing graceMs after the window counts as later than any limit. */
  graceMs: 400,
  warmupMs: 1500,
  /** No new step starts after this long (ms since the load generator started). */
  budgetMs: 48_000,
  /** Above this share of its core the load generator, not the server, would set the figure. */
  maxClientCpuPct: 85,
  roomPrefix: 'capacity',
}

const args = process.argv.slice(2).filter((arg) => arg !== '--')
/** @param {string} name */
const option = (name) => args.find((arg) => arg.startsWith(`--${name}=`))?.split('=')[1]
for (const arg of args) {
  if (!/^--(servers=.+|nice=-?\d+|render=.+)$/.test(arg)) {
    console.error(`unknown option ${arg}`)
    process.exit(2)
  }
}
const serverFilter = option('servers')?.split(',')
const niceness = Number(option('nice') ?? 0)

const live = killedOnExit()

/** One ramp against a fresh server of `kind`. @param {string} kind */
async function runOnce(kind) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), `tandem-capacity-${kind}-`))
  const server = await startServer(kind, dataDir, { core: SERVER_CORE, niceness })
  live.add(server.child)
  const client = spawnLoadGenerator(CLIENT_CORE, niceness)
  live.add(client)
  const clientPid = /** @type {number} */ (client.pid)
  /** @type {Record<string, ReturnType<typeof cpuSnapshot>>} */
  const marks = {}
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
      client.on('message', (/** @type {any} */ message) => {
        const reply = (/** @type {unknown} */ value, error = '') =>
          client.send({ op: 'reply', id: message.id, result: value, error })
        if (message.op === 'mark') {
          marks[message.name] = cpuSnapshot(server.pid, clientPid)
          // At a window's end, its CPU figures: the ramp repeats a step that others disturbed.
          const start = marks[message.name.replace(/^end-/, 'start-')]
          const end = marks[message.name]
          reply(message.name.startsWith('end-') && start && end ? cpuWindow(start, end) : null)
        } else if (message.op === 'log') {
          console.log(`    ${kind}: ${message.message}`)
        } else if (message.op === 'done') {
          clearTimeout(timer)
          resolve(message.result)
        } else if (message.op === 'failed') {
          clearTimeout(timer)
          reject(new Error(message.error))
        } else {
          reply(null, `the capacity harness does not do ${message.op}`)
        }
      })
      client.send({
        op: 'run',
        scenario: 'capacity',
        params: { ...PARAMS, roomPrefix: `capacity-${process.pid}` },
        target: { protocol: SERVER_KINDS[kind]?.protocol, wsUrl: server.wsUrl },
      })
    })
    for (const step of result.steps) {
      const a = marks[`start-${step.index}`]
      const b = marks[`end-${step.index}`]
      if (a && b) Object.assign(step, cpuWindow(a, b), { othersPct: step.othersPct })
    }
    return { server: kind, result, problems: server.problems.slice(0, 6) }
  } catch (err) {
    return {
      server: kind,
      failed: String(err).split('\n').slice(0, 3).join(' '),
      problems: server.problems.slice(0, 6),
    }
  } finally {
    if (client.exitCode === null) client.kill('SIGKILL')
    live.delete(client)
    await server.stop(5000)
    live.delete(server.child)
    rmSync(dataDir, { recursive: true, force: true })
  }
}

/** @param {number} value @param {number} [digits] */
const fmt = (value, digits = 1) =>
  value === Number.POSITIVE_INFINITY || value === null
    ? '∞'
    : Number.isFinite(value)
      ? value.toLocaleString('en-US', {
          minimumFractionDigits: digits,
          maximumFractionDigits: digits,
        })
      : '—'

/** The figures of one server's ramp. @param {any} run */
function cells(run) {
  if (run.failed) {
    const failed = `run failed: ${run.failed.slice(0, 100).replaceAll('|', '\\|')}`
    return { typists: failed, at: '—', broke: '—', cpu: '—', others: '—', steps: '—' }
  }
  const steps = run.result.steps
  const passed = steps.filter((/** @type {any} */ s) => s.passed)
  const last = passed[passed.length - 1]
  const final = steps[steps.length - 1]
  const broke = final && !final.passed ? final : null
  const bound = run.result.bounded ? '' : '≥ '
  return {
    typists: last ? `${bound}${last.typists.toLocaleString('en-US')}` : '< first step',
    at: last
      ? `${fmt(last.p50Ms, 2)} / ${fmt(last.p99Ms, 2)} (${fmt(last.keystrokesPerS, 0)} keystrokes/s)`
      : '—',
    broke: broke
      ? `${broke.typists.toLocaleString('en-US')}: p99 ${fmt(broke.p99Ms, 1)} ms${broke.missing ? `, ${broke.missing} missing` : ''}`
      : String(run.result.stopReason),
    cpu: last ? `${fmt(last.serverCpuPct, 0)} / ${fmt(last.clientCpuPct, 0)}` : '—',
    others: `${fmt(Math.max(...steps.map((/** @type {any} */ s) => s.othersPct ?? 0)), 0)}`,
    steps: String(steps.length),
  }
}

const ROWS = [
  ['typists', 'concurrent typists one server core holds (p99 ≤ 50 ms)'],
  ['at', 'at that load: p50 / p99 keystroke → other 3 screens (ms)'],
  ['broke', 'first step that broke the criterion (typists)'],
  ['cpu', 'at that load: server / load generator CPU (% of a core)'],
  ['others', 'other processes, worst step (% of a core)'],
  ['steps', 'steps measured'],
]

/** @param {any} output */
function renderMarkdown(output) {
  const lines = [
    '# Tandem benchmark: capacity (issue 17)',
    '',
    `${output.startedAt}, \`${output.command}\`, ${Math.round(output.durationS)} s. ` +
      `${output.machine.cpus} × ${output.machine.cpuModel}, Node ${output.machine.node}. ` +
      `Servers pinned to core 0, load generator to core 1, loopback only. Tandem at ${output.tandem.commit}.`,
    '',
    `Rooms of ${output.params.perRoom} typists, each typing a character every ${output.params.keystrokeEveryMs} ms ` +
      'and moving its cursor (an awareness update) with each, are added step by step ' +
      `(${output.params.firstRooms} rooms, then +max(${output.params.stepRooms}, ${output.params.stepGrowth * 100}%) a step, ` +
      `a ${output.params.stepMs / 1000} s window each) until the p99 from a keystroke to the other typists of its room ` +
      `passes ${output.params.maxP99Ms} ms; a delivery missing ${output.params.graceMs} ms after the window counts as slower than any. ` +
      '"≥" marks a ramp that ended (time budget, room cap or a load generator near its core) before breaking.',
    '',
  ]
  const columns = PEERS.filter((kind) =>
    output.runs.some((/** @type {any} */ r) => r.server === kind),
  )
  lines.push(`| figure | ${columns.map((kind) => SERVER_KINDS[kind]?.label).join(' | ')} |`)
  lines.push(`|---|${columns.map(() => '---:').join('|')}|`)
  const byServer = Object.fromEntries(
    output.runs.map((/** @type {any} */ r) => [r.server, cells(r)]),
  )
  for (const [key, label] of ROWS) {
    const row = columns.map((kind) => byServer[kind]?.[/** @type {string} */ (key)] ?? 'not run')
    lines.push(`| ${label} | ${row.join(' | ')} |`)
  }
  lines.push('', '## Steps', '')
  for (const run of output.runs) {
    if (run.failed) continue
    lines.push(
      `- ${SERVER_KINDS[run.server]?.label}: ${run.result.steps
        .map(
          (/** @type {any} */ s) =>
            `${s.typists} → ${fmt(s.p99Ms, 1)} ms${s.passed || s === run.result.steps.at(-1) ? '' : ' (disturbed: measured again)'} (server ${fmt(s.serverCpuPct, 0)}%, load ${fmt(s.clientCpuPct, 0)}%, others ${fmt(s.othersPct, 0)}%)`,
        )
        .join('; ')}. Stopped: ${run.result.stopReason}.`,
    )
  }
  return `${lines.join('\n')}\n`
}

function tandemCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: benchDir,
      encoding: 'utf8',
    }).trim()
  } catch {
    return null
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
  const started = new Date()
  const startedMs = performance.now()
  const kinds = PEERS.filter((kind) => !serverFilter || serverFilter.includes(kind))
  console.log(
    `tandem bench: capacity (${kinds.join(', ')}); servers on core ${SERVER_CORE}, load on core ${CLIENT_CORE}`,
  )
  const runs = []
  for (const kind of kinds) {
    await waitForQuiet(1000)
    const run = await runOnce(kind)
    runs.push(run)
    const c = cells(run)
    console.log(`  ${kind}: ${c.typists} typists (broke at ${c.broke})`)
  }
  const output = {
    startedAt: started.toISOString(),
    durationS: (performance.now() - startedMs) / 1000,
    command: `pnpm --filter @tandem/bench capacity${args.length ? ` -- ${args.join(' ')}` : ''}`,
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, node: process.version },
    tandem: { commit: tandemCommit() },
    params: PARAMS,
    niceness,
    runs,
  }
  const resultsDir = path.join(benchDir, 'results')
  mkdirSync(resultsDir, { recursive: true })
  const stamp = started.toISOString().replace(/[:.]/g, '-')
  writeFileSync(
    path.join(resultsDir, `capacity-${stamp}.json`),
    `${JSON.stringify(output, replacer, 1)}\n`,
  )
  const markdown = renderMarkdown(output)
  writeFileSync(path.join(resultsDir, 'capacity-latest.md'), markdown)
  console.log(`\n${markdown}`)
  console.log(
    `wrote results/capacity-${stamp}.json and results/capacity-latest.md in ${output.durationS.toFixed(0)} s`,
  )
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
