import type { Logger } from '../log.js'
import type { DocStore, SetAsideUpdate } from './store.js'

/**
 * Logs each of `entries` (stored updates of `name` that a fold set aside) and keeps them apart
 * in `store` (`DocStore.setAside`, counted in `tandem_updates_set_aside_total` by the
 * instrumented store). Never rejects: a failure to store them is logged, and the next
 * compaction keeps them apart in its own transaction anyway.
 */
export function recordSetAside(
  store: DocStore,
  name: string,
  entries: readonly SetAsideUpdate[],
  log: Logger,
): Promise<void> {
  for (const e of entries) {
    log.warn(
      { doc: name, seq: e.seq, kind: e.kind, bytes: e.bytes.length, reason: e.reason },
      'stored update set aside: applying it throws; the document is served without it',
    )
  }
  return store.setAside(name, entries).then(
    () => {},
    (err: unknown) => log.error({ err, doc: name }, 'storing set-aside updates failed'),
  )
}
