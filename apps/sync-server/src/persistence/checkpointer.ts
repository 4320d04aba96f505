import { once } from 'node:events'
import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'

/**
 * A worker thread with its own connection to a SQLite database in WAL mode that checkpoints the
 * write-ahead log every `everyMs` (PASSIVE: it copies what is committed into the database file
 * and fsyncs it, without taking the write lock). With synchronous = NORMAL a commit does not
 * fsync; the checkpoint does, and SQLite's automatic checkpoint runs it inside the commit that
 * crosses the threshold, on the event loop: a pause of tens of milliseconds every few thousand
 * commits on a busy node. Here the event loop only appends to the log.
 */
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.module)
const db = new Database(workerData.file, { fileMustExist: true })
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
  } catch {
    // Busy or failing: the next round tries again, and the writer's own checkpoint is the backstop.
  }
}, workerData.everyMs)
parentPort.once('message', () => {
  clearInterval(timer)
  db.close()
  parentPort.close()
})
`

/**
 * How many pages of log the writer lets pile up before it checkpoints itself, the backstop if
 * the checkpointer falls behind (SQLite's default is 1,000). A checkpoint that overlaps a
 * commit leaves the log growing, since only a writer that finds it all copied starts it over;
 * the writer's own checkpoint then resets it, about once per 40 MB written.
 */
export const WRITER_CHECKPOINT_PAGES = 10_000

export class Checkpointer {
  readonly #worker: Worker
  readonly #exited: Promise<unknown>
  #closed: Promise<void> | null = null

  constructor(file: string, everyMs = 200) {
    const module = createRequire(import.meta.url).resolve('better-sqlite3')
    this.#worker = new Worker(SOURCE, { eval: true, workerData: { file, module, everyMs } })
    // A worker that fails leaves the writer's own checkpoints; nothing is lost.
    this.#worker.on('error', () => {})
    this.#exited = once(this.#worker, 'exit')
    this.#worker.unref()
  }

  /** Stops checkpointing and closes the worker's connection (before the writer's closes). */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      // Kept alive until it has closed: a script whose last step is closing the store waits.
      this.#worker.ref()
      this.#worker.postMessage('close')
      await this.#exited
    })()
    return this.#closed
  }
}
