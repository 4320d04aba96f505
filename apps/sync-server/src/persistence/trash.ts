import type { Logger } from '../log.js'
import type { DocStore } from './store.js'

const DAY_MS = 24 * 60 * 60 * 1000

/** What every {@link trashKey} starts with; the stores' queries join on it too. */
export const TRASH_KEY_PREFIX = '%trash/'

/**
 * The name a deleted document's rows are kept under in the store's tables while it is in the
 * trash. It starts with `%`, which the document-name rules reserve, so no document can have it
 * and `list` leaves it out.
 */
export function trashKey(id: number): string {
  return `${TRASH_KEY_PREFIX}${id}`
}

/** What the trash keeps: deleted documents are purged once older than `retentionDays`. */
export interface TrashSweeperOptions {
  retentionDays: number
  /** Interval between purges. Default: one hour. */
  intervalMs?: number
}

/**
 * Purges the trash now and then every `intervalMs`: what was deleted more than `retentionDays`
 * ago is deleted for good. Returns a function that stops it.
 */
export function startTrashSweeper(
  store: DocStore,
  options: TrashSweeperOptions,
  log: Logger,
): () => void {
  const sweep = () => {
    store.purgeTrash(Date.now() - options.retentionDays * DAY_MS).then(
      (purged) => {
        if (purged > 0) log.info({ purged }, 'deleted documents purged from the trash')
      },
      (err: unknown) => log.warn({ err }, 'purging the trash failed; trying again later'),
    )
  }
  sweep()
  const timer = setInterval(sweep, options.intervalMs ?? 60 * 60 * 1000)
  timer.unref()
  return () => clearInterval(timer)
}
