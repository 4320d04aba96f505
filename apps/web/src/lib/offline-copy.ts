/** The IndexedDB database that keeps this browser's copy of document `name` (`collab/offline-store.ts`). */
export function offlineCopyName(name: string): string {
  return `tandem:${name}`
}

/**
 * Removes this browser's offline copy of `name` (after the document was deleted or renamed on
 * the server), so that opening the name again later does not bring its old text back.
 */
export function forgetOfflineCopy(name: string): void {
  try {
    indexedDB.deleteDatabase(offlineCopyName(name))
  } catch {
    // No IndexedDB (a private window that refuses it): there is no copy either.
  }
}
