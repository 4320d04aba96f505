import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import type { Logger } from '../log.js'
import type { Folder, FoldRequest, FoldResult } from '../rooms/doc-state.js'

// The worker's whole program: apply the updates to a fresh Y.Doc and send back its compact
// encoding, state vector, and the text or the diff against a state vector that was asked for. It loads the CommonJS build of the same yjs package the
// server uses (its path arrives as workerData), so it needs no build step of its own.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const Y = require(workerData.yjs)
parentPort.on('message', ({ id, base, updates, textName, diffAgainst, compareWith }) => {
  const doc = new Y.Doc({ gc: true })
  try {
    Y.applyUpdate(doc, base)
    for (const update of updates) Y.applyUpdate(doc, update)
    const state = Y.encodeStateAsUpdate(doc)
    const stateVector = Y.encodeStateVector(doc)
    const text = textName === undefined ? undefined : doc.getText(textName).toString()
    const diff = diffAgainst === undefined ? undefined : Y.diffUpdate(state, diffAgainst)
    let sameAs
    if (compareWith !== undefined) {
      const other = new Y.Doc({ gc: true })
      Y.applyUpdate(other, compareWith)
      sameAs = Y.equalSnapshots(Y.snapshot(doc), Y.snapshot(other))
      other.destroy()
    }
    const transfer = diff ? [diff.buffer, stateVector.buffer] : [stateVector.buffer]
    // The state is cloned, not moved: the diff may be a view of its buffer.
    parentPort.postMessage({ id, state, stateVector, text, diff, sameAs }, transfer)
  } catch (err) {
    parentPort.postMessage({ id, error: err instanceof Error ? err.message : String(err) })
  } finally {
    doc.destroy()
  }
})
`

interface Job extends FoldRequest {
  id: number
  resolve: (result: FoldResult) => void
  reject: (err: Error) => void
}

interface Slot {
  worker: Worker
  job: Job | null
}

/** A worker's heap bound by default: room for documents of several tens of megabytes. */
const DEFAULT_MAX_HEAP_MB = 1024

/** Jobs that may wait for a worker; beyond, a fold is refused (the caller folds itself). */
const MAX_QUEUED_JOBS = 64

/**
 * Folds documents in worker threads, so that work proportional to a whole document (reading a
 * large document's text) never holds up the event loop that relays everyone's edits. A worker
 * that dies fails its job (the caller then folds on its own) and is replaced.
 */
export class WorkerFolder implements Folder {
  readonly #slots: Slot[] = []
  readonly #queue: Job[] = []
  readonly #log: Logger
  readonly #yjs: string
  #nextId = 1
  #closed = false

  readonly #maxHeapMb: number

  /**
   * `size` workers (by default one per core but one, at least one), each with at most
   * `maxHeapMb` of heap: a fold that needs more ends its worker, which fails that job and is
   * replaced, instead of taking the machine's memory.
   */
  constructor(
    log: Logger,
    size = Math.max(1, availableParallelism() - 1),
    { maxHeapMb = DEFAULT_MAX_HEAP_MB }: { maxHeapMb?: number } = {},
  ) {
    this.#log = log
    this.#maxHeapMb = maxHeapMb
    this.#yjs = createRequire(import.meta.url).resolve('yjs')
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn())
  }

  fold(request: FoldRequest): Promise<FoldResult> {
    if (this.#closed) return Promise.reject(new Error('the folder is closed'))
    if (this.#queue.length >= MAX_QUEUED_JOBS) {
      return Promise.reject(new Error('too many folds waiting'))
    }
    return new Promise<FoldResult>((resolve, reject) => {
      this.#queue.push({ ...request, id: this.#nextId++, resolve, reject })
      this.#dispatch()
    })
  }

  /** Stops the workers; jobs not done fail. */
  async close(): Promise<void> {
    this.#closed = true
    for (const job of this.#queue.splice(0)) job.reject(new Error('the folder is closed'))
    await Promise.all(
      this.#slots.map(async (slot) => {
        slot.job?.reject(new Error('the folder is closed'))
        slot.job = null
        await slot.worker.terminate()
      }),
    )
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { yjs: this.#yjs },
      resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb },
    })
    // Idle workers do not keep the process alive.
    worker.unref()
    const slot: Slot = { worker, job: null }
    worker.on('message', (message: FoldResult & { id: number; error?: string }) => {
      const job = slot.job
      if (!job || job.id !== message.id) return
      slot.job = null
      worker.unref()
      if (message.error !== undefined) {
        job.reject(new Error(message.error))
      } else {
        const { state, stateVector, text, diff, sameAs } = message
        job.resolve({ state, stateVector, text, diff, sameAs })
      }
      this.#dispatch()
    })
    const replace = (why: unknown) => {
      const at = this.#slots.indexOf(slot)
      if (at < 0) return
      slot.job?.reject(new Error(`the fold worker stopped: ${String(why)}`))
      slot.job = null
      this.#slots.splice(at, 1)
      if (this.#closed) return
      this.#log.error({ err: why }, 'a fold worker stopped; starting another')
      this.#slots.push(this.#spawn())
      this.#dispatch()
    }
    worker.on('error', replace)
    worker.on('exit', (code) => replace(`exit ${code}`))
    return slot
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job || this.#queue.length === 0) continue
      const job = this.#queue.shift() as Job
      slot.job = job
      // A busy worker keeps the process alive until its job is done.
      slot.worker.ref()
      slot.worker.postMessage({
        id: job.id,
        base: job.base,
        updates: job.updates,
        textName: job.textName,
        diffAgainst: job.diffAgainst,
        compareWith: job.compareWith,
      })
    }
  }
}
