import { randomBytes } from 'node:crypto'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

const FILE = 'auth-secret'

/**
 * The token signing key: `configured` if given (at least 32 characters), else the key kept in
 * `dataDir`, generated (32 random bytes, file mode 0600) on first start.
 */
export function loadSigningKey(configured: string | undefined, dataDir: string): Uint8Array {
  if (configured !== undefined) return new TextEncoder().encode(configured)
  const file = join(dataDir, FILE)
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  mkdirSync(dataDir, { recursive: true })
  const key = randomBytes(32)
  // `wx`: if another process created it meanwhile, fail rather than replace its key.
  writeFileSync(file, `${key.toString('base64url')}\n`, { mode: 0o600, flag: 'wx' })
  return key
}
