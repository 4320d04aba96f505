import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Logger } from '../log.js'
import {
  type Folder,
  type FoldRequest,
  type FoldResult,
  inSharedMemory,
  SHARE_FROM_BYTES,
  UndecodablePartError,
} from './jobs.js'

// The worker's whole program: what `foldHere` (jobs.ts) does, step for step, in a worker thread.
// It loads the same ES modules the server uses (yjs, and @tandem/protocol for `validateUpdate`
// and `minimalEdit`; their paths arrive as workerData), so it needs no build step of its own.
// The differential test (differential.test.ts) holds the two to the same answers.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads')
const loaded = Promise.all([import(workerData.yjs), import(workerData.protocol)])

// fold() of rooms/doc-state.ts: a part that throws when applied is set aside, and the document
// rebuilt without it; one that does not decode at all ends the job (the document is corrupt).
function foldParts(Y, P, base, updates, gc) {
  const part = (i) => (i < 0 ? base : updates[i])
  const setAside = []
  let doc = new Y.Doc({ gc })
  try {
    let checkpoint = null
    let from = -1
    for (let i = -1; i < updates.length; i++) {
      try {
        Y.applyUpdate(doc, part(i))
      } catch (err) {
        try {
          P.validateUpdate(part(i))
        } catch (invalid) {
          throw { undecodable: { index: i, reason: invalid.message } }
        }
        setAside.push({ index: i, reason: String(err) })
        doc.destroy()
        doc = new Y.Doc({ gc })
        if (checkpoint) Y.applyUpdate(doc, checkpoint)
        for (let j = from; j < i; j++) Y.applyUpdate(doc, part(j))
        checkpoint = Y.encodeStateAsUpdate(doc)
        from = i + 1
      }
    }
    return { doc, setAside }
  } catch (err) {
    doc.destroy()
    throw err
  }
}

function validated(P, state) {
  try {
    return { stateVector: P.validateUpdateWithStateVector(state) }
  } catch (err) {
    return { invalid: err instanceof Error ? err.message : String(err) }
  }
}

// foldHere() of workers/jobs.ts.
function run(Y, P, job) {
  const { base, updates } = job
  if (job.structure) {
    const empty = base.length === 2 && base[0] === 0 && base[1] === 0
    const parts = empty ? updates : [base, ...updates]
    const structure =
      job.structure === 'whole' ? P.DocStructure.ofLog(parts) : P.DocStructure.integrated(parts)
    return { structure: structure ? structure.toRuns() : null, setAside: [] }
  }
  const needsDocument =
    updates.length > 0 ||
    job.textName !== undefined ||
    job.textLengthOf !== undefined ||
    job.compareWith !== undefined ||
    job.replaceText !== undefined ||
    job.attribute !== undefined ||
    job.collect === true
  if (!needsDocument) {
    return {
      diff: job.diffAgainst && Y.diffUpdate(base, job.diffAgainst),
      validated: job.validate ? validated(P, base) : undefined,
      setAside: [],
    }
  }
  const { doc, setAside } = foldParts(Y, P, base, updates, !job.keepDeleted)
  try {
    const state = updates.length > 0 ? Y.encodeStateAsUpdate(doc) : undefined
    const whole = state ?? base
    const out = { state, stateVector: Y.encodeStateVector(doc), setAside }
    if (job.textName !== undefined) out.text = doc.getText(job.textName).toString()
    if (job.textLengthOf !== undefined) out.textLength = doc.getText(job.textLengthOf).length
    if (job.diffAgainst) out.diff = Y.diffUpdate(whole, job.diffAgainst)
    if (job.validate) out.validated = validated(P, whole)
    if (job.collect) {
      const collected = new Y.Doc({ gc: true })
      try {
        Y.applyUpdate(collected, whole)
        out.collected = Y.encodeStateAsUpdate(collected)
      } finally {
        collected.destroy()
      }
    }
    if (job.attribute) {
      const text = doc.getText(job.attribute.textName)
      out.attributed = { text: text.toString(), spans: P.attributeText(text, job.attribute.records) }
    }
    if (job.compareWith) {
      const other = new Y.Doc({ gc: true })
      try {
        Y.applyUpdate(other, job.compareWith)
        out.sameAs = Y.equalSnapshots(Y.snapshot(doc), Y.snapshot(other))
      } finally {
        other.destroy()
      }
    }
    if (job.replaceText) {
      const text = doc.getText(job.replaceText.textName)
      const edit = P.minimalEdit(text.toString(), job.replaceText.target)
      let captured = new Uint8Array([0, 0])
      doc.on('update', (update) => {
        captured = update
      })
      doc.transact(() => {
        if (edit.deleteCount > 0) text.delete(edit.index, edit.deleteCount)
        if (edit.insert.length > 0) text.insert(edit.index, edit.insert)
      })
      out.edit = captured
    }
    return out
  } finally {
    doc.destroy()
  }
}

parentPort.on('message', (job) => {
  loaded.then(([Y, P]) => {
    let out
    try {
      out = run(Y, P, job)
    } catch (err) {
      if (err && err.undecodable) parentPort.postMessage({ id: job.id, undecodable: err.undecodable })
      else parentPort.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) })
      return
    }
    // Every buffer is the worker's own: moved, not copied, back to the event loop.
    const buffers = new Set()
    for (const bytes of [out.state, out.stateVector, out.diff, out.edit, out.collected, out.validated && out.validated.stateVector]) {
      // (What it was given arrives shared, and shared memory is not moved, only shared.)
      if (bytes && !(bytes.buffer instanceof SharedArrayBuffer)) buffers.add(bytes.buffer)
    }
    parentPort.postMessage({ id: job.id, result: out }, [...buffers])
  }, (err) => {
    parentPort.postMessage({ id: job.id, error: 'the worker could not load its modules: ' + String(err) })
  })
})
`

/** Where the worker finds the ES modules of yjs and @tandem/protocol (the server's own). */
function workerModules(): { yjs: string; protocol: string } {
  const require = createRequire(import.meta.url)
  const protocol = require.resolve('@tandem/protocol')
  // The yjs that the protocol imports: one instance of Yjs in the worker, as on the event loop.
  const yjsPackage = createRequire(protocol).resolve('yjs/package.json')
  const { exports } = JSON.parse(readFileSync(yjsPackage, 'utf8')) as {
    exports: { '.': { import: string } }
  }
  return {
    yjs: pathToFileURL(join(dirname(yjsPackage), exports['.'].import)).href,
    protocol: pathToFileURL(protocol).href,
  }
}

/**
 * The event loop's stack in V8 (`--stack-size`, 984 KB unless set), as a worker's
 * `stackSizeMb`, which also counts the 192 KB V8 keeps in reserve: a worker then overflows at
 * the same depth as the event loop, so that it sets aside exactly the updates `fold` would
 * (Yjs deletes nested types recursively; with the default 4 MB a worker would apply deletions
 * the event loop cannot).
 */
function eventLoopStackMb(): number {
  const flag = process.execArgv.find((arg) => arg.startsWith('--stack-size='))
  const kb = flag ? Number(flag.slice('--stack-size='.length)) : 984
  return ((Number.isFinite(kb) && kb > 0 ? kb : 984) + 192) / 1024
}

interface Job extends FoldRequest {
  id: number
  resolve: (result: FoldResult) => void
  reject: (err: Error) => void
}

/** What a worker posts back for job `id`: its result, or why there is none. */
interface WorkerAnswer {
  id: number
  result?: FoldResult
  undecodable?: { index: number; reason: string }
  error?: string
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
  readonly #modules: { yjs: string; protocol: string }
  #nextId = 1
  #closed = false

  readonly #maxHeapMb: number
  /** Shared copies of the large arrays jobs were given, while those arrays live. */
  readonly #sharedCopies = new WeakMap<Uint8Array, Uint8Array>()

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
    this.#modules = workerModules()
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
      workerData: this.#modules,
      resourceLimits: { maxOldGenerationSizeMb: this.#maxHeapMb, stackSizeMb: eventLoopStackMb() },
    })
    // Idle workers do not keep the process alive.
    worker.unref()
    const slot: Slot = { worker, job: null }
    worker.on('message', (message: WorkerAnswer) => {
      const job = slot.job
      if (!job || job.id !== message.id) return
      slot.job = null
      worker.unref()
      if (message.result) job.resolve(message.result)
      else if (message.undecodable) {
        job.reject(new UndecodablePartError(message.undecodable.index, message.undecodable.reason))
      } else {
        // Not expected of bytes that decode: the caller does the job on the event loop.
        this.#log.warn({ err: message.error }, 'a fold job failed in its worker')
        job.reject(new Error(message.error ?? 'the fold worker gave no answer'))
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

  /**
   * `bytes` in shared memory if it is large (see `inSharedMemory`). A room keeps its state there
   * already; anything else large (a version to compare with, a long log) is copied once and the
   * copy kept while the array is (`#sharedCopies` holds it weakly).
   */
  #shared(bytes: Uint8Array): Uint8Array {
    if (bytes.length < SHARE_FROM_BYTES || bytes.buffer instanceof SharedArrayBuffer) return bytes
    let shared = this.#sharedCopies.get(bytes)
    if (!shared) {
      shared = inSharedMemory(bytes)
      this.#sharedCopies.set(bytes, shared)
    }
    return shared
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.job || this.#queue.length === 0) continue
      const job = this.#queue.shift() as Job
      slot.job = job
      // A busy worker keeps the process alive until its job is done.
      slot.worker.ref()
      const { resolve: _resolve, reject: _reject, ...message } = job
      message.base = this.#shared(message.base)
      message.updates = message.updates.map((update) => this.#shared(update))
      if (message.compareWith) message.compareWith = this.#shared(message.compareWith)
      slot.worker.postMessage(message)
    }
  }
}
