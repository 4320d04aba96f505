import { createHash } from 'node:crypto'

/** A file's address: the SHA-256 of its bytes, as 64 lowercase hexadecimal digits. */
export function fileHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

/** Whether `text` has the form of a {@link fileHash}. */
export function isFileHash(text: string): boolean {
  return /^[0-9a-f]{64}$/.test(text)
}
