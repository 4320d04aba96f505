// The load generator: one process per measured run, pinned to its own core by the harness.
// It receives {op: 'run', scenario, params, target} over IPC, runs the scenario, and answers
// {op: 'done', result} or {op: 'failed', error}. Scenarios call back into the harness for
// window marks (CPU snapshots), server memory and server restarts.

const scenarios = {
  echo: () => import('./echo.mjs'),
  fanout: () => import('./fanout.mjs'),
  throughput: () => import('./throughput.mjs'),
  memory: () => import('./memory.mjs'),
  coldload: () => import('./coldload.mjs'),
  replay: () => import('./replay.mjs'),
  fastwriter: () => import('./fastwriter.mjs'),
  attack: () => import('./attack.mjs'),
  capacity: () => import('./capacity.mjs'),
}

// Every stock y-websocket provider adds a process 'exit' listener; hundreds are expected here.
process.setMaxListeners(0)

let nextId = 1
/** @type {Map<number, { resolve: (value: any) => void, reject: (err: Error) => void }>} */
const calls = new Map()

/**
 * @param {string} op
 * @param {Record<string, unknown>} [args]
 */
function call(op, args = {}) {
  const id = nextId++
  return new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject })
    process.send?.({ op, id, ...args })
  })
}

/**
 * What a scenario may ask of the harness.
 * @typedef {{
 *   mark: (name: string) => Promise<void>,
 *   memory: () => Promise<{ rss: number, heapUsed: number, external: number, arrayBuffers: number }>,
 *   restart: () => Promise<{ wsUrl: string }>,
 *   log: (message: string) => void,
 * }} Harness
 */

/** @type {Harness} */
const harness = {
  mark: (name) => /** @type {Promise<void>} */ (call('mark', { name })),
  memory: () => /** @type {Promise<any>} */ (call('memory')),
  restart: () => /** @type {Promise<any>} */ (call('restart')),
  log: (message) => process.send?.({ op: 'log', message }),
}

process.on('message', async (/** @type {any} */ message) => {
  if (message.op === 'reply') {
    const pending = calls.get(message.id)
    calls.delete(message.id)
    if (message.error) pending?.reject(new Error(message.error))
    else pending?.resolve(message.result)
    return
  }
  if (message.op !== 'run') return
  try {
    const load = scenarios[/** @type {keyof typeof scenarios} */ (message.scenario)]
    if (!load) throw new Error(`unknown scenario ${message.scenario}`)
    const { run } = await load()
    const started = process.cpuUsage()
    const result = await run(message.target, message.params, harness)
    const cpu = process.cpuUsage(started)
    process.send?.({
      op: 'done',
      result: { ...result, clientCpuMs: (cpu.user + cpu.system) / 1000 },
    })
  } catch (err) {
    process.send?.({ op: 'failed', error: err instanceof Error ? err.stack : String(err) })
  }
})

// Without the harness there is nobody to report to.
process.on('disconnect', () => process.exit(1))
