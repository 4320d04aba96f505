// The load generator of huge.mjs: the same IPC as worker.mjs (one {op: 'run'} in, marks,
// memory questions and restarts out, then {op: 'done'} or {op: 'failed'}), running only the
// huge-document scenario (huge.mjs).
import { run } from './huge.mjs'

// Every stock y-websocket provider adds a process 'exit' listener.
process.setMaxListeners(0)

let nextId = 1
/** @type {Map<number, { resolve: (value: any) => void, reject: (err: Error) => void }>} */
const calls = new Map()

/** @param {string} op @param {Record<string, unknown>} [args] */
function call(op, args = {}) {
  const id = nextId++
  return new Promise((resolve, reject) => {
    calls.set(id, { resolve, reject })
    process.send?.({ op, id, ...args })
  })
}

/** @type {import('./worker.mjs').Harness & { quiet: () => Promise<unknown> }} */
const harness = {
  quiet: () => call('quiet'),
  mark: (name) => /** @type {Promise<any>} */ (call('mark', { name })),
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
