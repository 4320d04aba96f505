import { createHash } from 'node:crypto'

/** A file's address: the SHA-256 of its bytes, as 64 lowercase hexadecimal digits. */
export function fileHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Bytes hashed between two turns of the event loop by {@link hashInSlices}: 1 MiB. */
const SLICE_BYTES = 1024 * 1024

/**
 * {@link fileHash}, a slice at a time with the event loop let run between: hashing 20 MiB at
 * once would hold it for tens of milliseconds.
 */
export async function hashInSlices(bytes: Uint8Array): Promise<string> {
  const hash = createHash('sha256')
  for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
    hash.update(bytes.subarray(at, at + SLICE_BYTES))
    if (at + SLICE_BYTES < bytes.length) {
      await new Promise<void>((resolve) => setImmediate(resolve))
    }
  }
  return hash.digest('hex')
}

/** Whether `text` has the form of a {@link fileHash}. */
export function isFileHash(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text)
}

/** Most files `DocStore.oldFiles` returns at once. */
export const MAX_OLD_FILES = 1000

/** Throws a `RangeError` for a page size of `oldFiles` outside 1 to {@link MAX_OLD_FILES}. */
export function checkFilesLimit(limit: number): void {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_OLD_FILES) {
    throw new RangeError(`limit must be an integer from 1 to ${MAX_OLD_FILES}`)
  }
}
