import * as Y from 'yjs'

/**
 * This browser's copy of a document in IndexedDB, in y-indexeddb's layout (an `updates` store of
 * Yjs updates under increasing keys, and a `custom` store), so that copies written by earlier
 * versions of the app, unsaved offline edits included, load as before. Beside the updates it
 * keeps the document's text as of a stored update (`custom`, key `text`), so that a page can
 * show the text before it has applied the updates: for a document of megabytes that takes
 * seconds, reading the text a few milliseconds.
 */

const UPDATES = 'updates'
const CUSTOM = 'custom'
const TEXT_KEY = 'text'

/** The stored text, and the key of the last update stored when it was taken. */
interface TextSnapshot {
  readonly text: string
  readonly upTo: number
}

/** What a copy holds when it is opened. */
export interface StoredCopy {
  /**
   * The document's text, if one was kept after the last stored update (else `null`: there is
   * none, or updates were stored after it and the text may be behind them).
   */
  readonly text: Promise<string | null>
  /** Every stored update, in order, and the key of the last (`null` when there is none). */
  readonly updates: Promise<{ readonly updates: Uint8Array[]; readonly lastKey: number | null }>
}

function done<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result)
    request.onerror = () => reject(request.error)
  })
}

function openDatabase(name: string): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name)
    request.onupgradeneeded = () => {
      const db = request.result
      if (!db.objectStoreNames.contains(UPDATES)) {
        db.createObjectStore(UPDATES, { autoIncrement: true })
      }
      if (!db.objectStoreNames.contains(CUSTOM)) db.createObjectStore(CUSTOM)
    }
    request.onsuccess = () => {
      const db = request.result
      // Deleting the copy (the document was deleted or renamed) must not wait for this page.
      db.onversionchange = () => db.close()
      resolve(db)
    }
    request.onerror = () => reject(request.error)
    request.onblocked = () => reject(new Error(`the offline copy ${name} is blocked`))
  })
}

const isKey = (key: IDBValidKey | undefined): key is number => typeof key === 'number'

const nothing = { updates: [], lastKey: null }
const emptyCopy: StoredCopy = { text: Promise.resolve(null), updates: Promise.resolve(nothing) }

/**
 * One open copy. Every method is safe to call when IndexedDB is unavailable or failed: the copy
 * then holds nothing and keeps nothing, and the document still works online.
 */
export class OfflineStore {
  #db: IDBDatabase | null
  #closed = false

  private constructor(db: IDBDatabase | null) {
    this.#db = db
  }

  /** Opens the copy named `name` (created empty if there is none). */
  static async open(name: string): Promise<OfflineStore> {
    try {
      return new OfflineStore(await openDatabase(name))
    } catch {
      return new OfflineStore(null)
    }
  }

  /**
   * Reads the copy in one transaction: the text as soon as it is read, the updates after (for a
   * large document they take much longer to read, and longer still to apply).
   */
  read(): StoredCopy {
    const db = this.#db
    if (db === null) return emptyCopy
    try {
      const transaction = db.transaction([UPDATES, CUSTOM], 'readonly')
      const updates = transaction.objectStore(UPDATES)
      const snapshot = done(transaction.objectStore(CUSTOM).get(TEXT_KEY)) as Promise<
        TextSnapshot | undefined
      >
      const last = done(updates.openKeyCursor(null, 'prev')).then((cursor) => cursor?.key)
      const text = Promise.all([snapshot, last]).then(([kept, lastKey]) =>
        kept !== undefined && typeof kept.text === 'string' && kept.upTo === lastKey
          ? kept.text
          : null,
      )
      const all = Promise.all([done(updates.getAll()) as Promise<Uint8Array[]>, last]).then(
        ([values, lastKey]) => ({ updates: values, lastKey: isKey(lastKey) ? lastKey : null }),
      )
      return { text: text.catch(() => null), updates: all.catch(() => nothing) }
    } catch {
      return emptyCopy
    }
  }

  /** Appends an update. */
  add(update: Uint8Array): void {
    this.#write([UPDATES], (transaction) => {
      transaction.objectStore(UPDATES).add(update)
    })
  }

  /**
   * Keeps `text` as the document's text as of the last stored update: call it with the text of
   * the document that every update stored so far has been applied to.
   */
  keepText(text: string): void {
    this.#write([UPDATES, CUSTOM], (transaction) => {
      const custom = transaction.objectStore(CUSTOM)
      transaction
        .objectStore(UPDATES)
        .openKeyCursor(null, 'prev')
        .addEventListener('success', (event) => {
          const key = (event.target as IDBRequest<IDBCursor | null>).result?.key
          if (isKey(key)) custom.put({ text, upTo: key } satisfies TextSnapshot, TEXT_KEY)
        })
    })
  }

  /**
   * Replaces the stored updates up to the key `upTo` (those read when the copy was opened) by
   * `doc`'s whole state as one update, and keeps its text.
   */
  compact(doc: Y.Doc, text: Y.Text, upTo: number): void {
    const state = Y.encodeStateAsUpdate(doc)
    const content = text.toString()
    this.#write([UPDATES, CUSTOM], (transaction) => {
      const updates = transaction.objectStore(UPDATES)
      updates.delete(IDBKeyRange.upperBound(upTo))
      updates.add(state).addEventListener('success', (event) => {
        const key = (event.target as IDBRequest<IDBValidKey>).result
        // Updates stored since the copy was read are in `doc` too, but other tabs may have
        // stored ones it lacks: the text counts as current only if none came after.
        updates.openKeyCursor(null, 'prev').addEventListener('success', (last) => {
          const lastKey = (last.target as IDBRequest<IDBCursor | null>).result?.key
          if (lastKey === key && isKey(key)) {
            transaction
              .objectStore(CUSTOM)
              .put({ text: content, upTo: key } satisfies TextSnapshot, TEXT_KEY)
          }
        })
      })
    })
  }

  /** Closes the copy; later writes are dropped. */
  close(): void {
    this.#closed = true
    this.#db?.close()
    this.#db = null
  }

  #write(stores: string[], write: (transaction: IDBTransaction) => void): void {
    if (this.#closed || this.#db === null) return
    try {
      write(this.#db.transaction(stores, 'readwrite'))
    } catch {
      // Closed under us (the copy is being deleted): the server has the document.
    }
  }
}
