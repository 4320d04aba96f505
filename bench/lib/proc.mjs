// Readers of /proc for the CPU and memory of processes seen from outside, and the load
// generator's process. Linux only.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** Clock ticks per second of /proc/<pid>/stat and /proc/stat (`getconf CLK_TCK`). */
export const CLK_TCK = 100

/**
 * CPU time a process has used so far (all its threads, user + system), in ticks of 1/CLK_TCK s,
 * or null if it has gone.
 * @param {number} pid
 */
export function processTicks(pid) {
  let stat
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // Fields after the command name (which may hold spaces) start at field 3 (state).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return Number(fields[11]) + Number(fields[12]) // utime (14) + stime (15)
}

/** Resident set size of a process in bytes, or null if it has gone. @param {number} pid */
export function rssBytes(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const match = /^VmRSS:\s+(\d+) kB/m.exec(status)
    return match ? Number(match[1]) * 1024 : null
  } catch {
    return null
  }
}

/**
 * Machine-wide CPU ticks so far, summed over all CPUs: `busy` is user + nice + system,
 * `irq` is irq + softirq, `steal` is time the hypervisor gave to others.
 */
export function systemTicks() {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? ''
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] =
    line.trim().split(/\s+/).slice(1).map(Number)
  return { busy: user + nice + system, idle: idle + iowait, irq: irq + softirq, steal }
}

/** Process ids of the kernel's softirq threads (they carry loopback traffic under load). */
export function softirqThreadPids() {
  /** @type {number[]} */
  const pids = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').startsWith('ksoftirqd/'))
        pids.push(Number(entry))
    } catch {
      // gone
    }
  }
  return pids
}

/**
 * Starts a load generator (`client/worker.mjs`, or `script` in `client/` with `nodeFlags`)
 * pinned to `core` at `niceness`, talking to the harness over IPC.
 * @param {number} core @param {number} niceness
 * @param {{ script?: string, nodeFlags?: string[] }} [options]
 */
export function spawnLoadGenerator(core, niceness, { script = 'worker.mjs', nodeFlags = [] } = {}) {
  return spawn(
    'nice',
    [
      '-n',
      String(niceness),
      'taskset',
      '-c',
      String(core),
      process.execPath,
      ...nodeFlags,
      fileURLToPath(new URL(`../client/${script}`, import.meta.url)),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } },
  )
}

/**
 * CPU counters of the server, the load generator and the machine (a process that is gone
 * counts `NaN`).
 * @param {number} serverPid @param {number} clientPid
 */
export function cpuSnapshot(serverPid, clientPid) {
  return {
    atMs: performance.now(),
    server: processTicks(serverPid) ?? Number.NaN,
    client: processTicks(clientPid) ?? Number.NaN,
    system: systemTicks(),
  }
}

/**
 * The CPU of a window between two {@link cpuSnapshot}s, in % of one core.
 * @param {ReturnType<typeof cpuSnapshot>} a @param {ReturnType<typeof cpuSnapshot>} b
 */
export function cpuWindow(a, b) {
  const seconds = (b.atMs - a.atMs) / 1000
  const pct = (/** @type {number} */ ticks) => (ticks / (seconds * CLK_TCK)) * 100
  const server = b.server - a.server
  const client = b.client - a.client
  const known = (/** @type {number} */ ticks) => (Number.isFinite(ticks) ? ticks : 0)
  return {
    seconds,
    serverCpuPct: pct(server),
    clientCpuPct: pct(client),
    // Everything else the machine ran meanwhile: other work on a shared machine, the harness.
    othersPct: pct(Math.max(0, b.system.busy - a.system.busy - known(server) - known(client))),
    // Time the hypervisor gave the machine's CPUs to others (the whole VM stood still).
    stealPct: pct(b.system.steal - a.system.steal),
  }
}

/**
 * Waits (at most `maxMs`) for half a second in which the machine used under `quietPct` of a
 * core, so that a run starts undisturbed when it can. Resolves with the busy share seen last.
 * @param {number} maxMs
 */
export async function waitForQuiet(maxMs, quietPct = 15) {
  const deadline = performance.now() + maxMs
  for (;;) {
    const a = systemTicks()
    await new Promise((resolve) => setTimeout(resolve, 500))
    const b = systemTicks()
    const busyPct = ((b.busy - a.busy) / (0.5 * CLK_TCK)) * 100
    if (busyPct < quietPct || performance.now() > deadline) return busyPct
  }
}

/**
 * The processes of the run in progress: killed if the harness itself is stopped (SIGINT,
 * SIGTERM), so that no server or load generator outlives it.
 * @returns {Set<import('node:child_process').ChildProcess>}
 */
export function killedOnExit() {
  /** @type {Set<import('node:child_process').ChildProcess>} */
  const live = new Set()
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM'])) {
    process.once(signal, () => {
      for (const child of live) child.kill('SIGKILL')
      process.exit(130)
    })
  }
  return live
}
