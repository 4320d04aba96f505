import { TEXT_NAME } from '@tandem/protocol'
import type { Logger } from '../log.js'
import type { DocStore, FileInfo } from '../persistence/store.js'
import type { Folder } from '../workers/jobs.js'
import { loadDocState, textOfState } from './doc-state.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** Files read per page of the sweep. */
const PAGE_FILES = 200

export interface FileSweepOptions {
  /** Files uploaded more recently than this are never deleted. */
  retentionDays: number
  /** Whether someone has the document open now (its text may be about to show a file again). */
  isOpen: (doc: string) => Promise<boolean>
  /** Folds documents and versions off the event loop. */
  folder?: Folder | undefined
  /** Most files one sweep looks at (the rest wait for the next). Default: 10,000. */
  maxFiles?: number
}

/** What a sweep did. */
export interface FileSweep {
  /** Files looked at. */
  checked: number
  /** Files deleted: neither the text nor any version of their document showed them. */
  deleted: number
}

/** The texts a document shows or showed: its text now and every version's, or `null` if one does not fold. */
async function textsOf(
  store: DocStore,
  doc: string,
  folder: Folder | undefined,
  log: Logger,
): Promise<string[] | null> {
  try {
    const state = await loadDocState(store, doc, log)
    const texts = [state === null ? '' : await state.text(folder, TEXT_NAME)]
    for (const info of await store.listVersions(doc)) {
      const version = await store.loadVersion(doc, info.id)
      if (version) texts.push(await textOfState(folder, version.bytes, TEXT_NAME))
    }
    return texts
  } catch (err) {
    log.warn({ err, doc }, 'files of a document that does not fold are kept')
    return null
  }
}

/**
 * Deletes the files uploaded more than `retentionDays` ago that neither the text of their
 * document nor any of its versions shows any more (a file's hash in the text is what shows it,
 * in whatever link). A document someone has open, or one that does not fold, keeps its files.
 * Files of deleted documents go with the trash instead.
 */
export async function sweepFiles(
  store: DocStore,
  options: FileSweepOptions,
  log: Logger,
  nowMs: number = Date.now(),
): Promise<FileSweep> {
  const before = nowMs - options.retentionDays * DAY_MS
  const maxFiles = options.maxFiles ?? 10_000
  const sweep: FileSweep = { checked: 0, deleted: 0 }
  let after: FileInfo | undefined
  while (sweep.checked < maxFiles) {
    const page = await store.oldFiles(before, PAGE_FILES, after)
    if (page.length === 0) break
    sweep.checked += page.length
    after = page.at(-1)
    const byDoc = new Map<string, FileInfo[]>()
    for (const file of page) byDoc.set(file.doc, [...(byDoc.get(file.doc) ?? []), file])
    for (const [doc, files] of byDoc) {
      if (await options.isOpen(doc)) continue
      const texts = await textsOf(store, doc, options.folder, log)
      if (texts === null) continue
      const unshown = files.filter((f) => !texts.some((text) => text.includes(f.hash)))
      if (unshown.length === 0) continue
      const deleted = await store.deleteFiles(
        doc,
        unshown.map((f) => f.hash),
      )
      sweep.deleted += deleted
      log.info({ doc, deleted }, 'files no text or version shows any more deleted')
    }
  }
  return sweep
}

/**
 * Runs {@link sweepFiles} now and then every `intervalMs` (one hour by default), one sweep at a
 * time. Returns a function that stops it.
 */
export function startFileSweeper(
  store: DocStore,
  options: FileSweepOptions & { intervalMs?: number },
  log: Logger,
): () => void {
  let running = false
  const run = () => {
    if (running) return
    running = true
    sweepFiles(store, options, log)
      .catch((err: unknown) => log.warn({ err }, 'sweeping files failed; trying again later'))
      .finally(() => {
        running = false
      })
  }
  run()
  const timer = setInterval(run, options.intervalMs ?? 60 * 60 * 1000)
  timer.unref()
  return () => clearInterval(timer)
}
