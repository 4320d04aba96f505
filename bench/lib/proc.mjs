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
 * Starts the load generator (`client/worker.mjs`) pinned to `core` at `niceness`, talking to
 * the harness over IPC.
 * @param {number} core @param {number} niceness
 */
export function spawnLoadGenerator(core, niceness) {
  return spawn(
    'nice',
    [
      '-n',
      String(niceness),
      'taskset',
      '-c',
      String(core),
      process.execPath,
      fileURLToPath(new URL('../client/worker.mjs', import.meta.url)),
    ],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, NODE_OPTIONS: '' } },
  )
}
