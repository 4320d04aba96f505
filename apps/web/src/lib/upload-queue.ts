/** A file waiting to be uploaded: kept in this browser until the server has it. */
export interface QueuedUpload {
  /** The id of its placeholder in the text (`tandem-upload:<id>`). */
  readonly id: string
  /** The document it goes to. */
  readonly doc: string
  /** The file's name, as its placeholder shows it. */
  readonly name: string
  readonly blob: Blob
  readonly queuedAtMs: number
}

const DB_NAME = 'tandem-uploads'
const STORE = 'pending'

let opened: Promise<IDBDatabase | null> | null = null

/** The queue's database; `null` where IndexedDB is unavailable (then nothing is kept). */
function database(): Promise<IDBDatabase | null> {
  opened ??= new Promise((resolve) => {
    try {
      const request = indexedDB.open(DB_NAME, 1)
      request.onupgradeneeded = () => {
        const store = request.result.createObjectStore(STORE, { keyPath: 'id' })
        store.createIndex('doc', 'doc')
      }
      request.onsuccess = () => resolve(request.result)
      request.onerror = () => resolve(null)
      request.onblocked = () => resolve(null)
    } catch {
      resolve(null)
    }
  })
  return opened
}

function run<T>(
  mode: IDBTransactionMode,
  work: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T | null> {
  return database().then(
    (db) =>
      new Promise<T | null>((resolve) => {
        if (db === null) {
          resolve(null)
          return
        }
        try {
          const request = work(db.transaction(STORE, mode).objectStore(STORE))
          request.onsuccess = () => resolve(request.result)
          request.onerror = () => resolve(null)
        } catch {
          resolve(null)
        }
      }),
  )
}

/** Keeps `upload` until {@link forgetUpload}; resolves whether it is kept. */
export async function keepUpload(upload: QueuedUpload): Promise<boolean> {
  return (await run('readwrite', (store) => store.put(upload))) !== null
}

/** The uploads kept for document `doc`, oldest first. */
export async function keptUploads(doc: string): Promise<QueuedUpload[]> {
  const found = await run('readonly', (store) => store.index('doc').getAll(doc))
  return ((found ?? []) as QueuedUpload[]).sort((a, b) => a.queuedAtMs - b.queuedAtMs)
}

/** Forgets upload `id` (it reached the server, or it never can). */
export async function forgetUpload(id: string): Promise<void> {
  await run('readwrite', (store) => store.delete(id))
}
