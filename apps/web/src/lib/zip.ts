/**
 * Zip archives, as much as exporting a document with its files needs: writing stores entries
 * as they are (the files are images, compressed already); reading takes stored and deflated
 * entries (what zip tools write), bounded, checking every entry's CRC-32.
 */

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

/** The CRC-32 of `bytes` (as zip, gzip and PNG compute it). */
export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

export interface ZipEntry {
  /** The path inside the archive, `/`-separated. */
  readonly name: string
  readonly bytes: Uint8Array
}

const LOCAL = 0x04034b50
const CENTRAL = 0x02014b50
const END = 0x06054b50
/** Bit 11: the entry's name is UTF-8. */
const UTF8 = 0x0800
/** 1980-01-01 00:00, the earliest time zip can say: an export does not vary with the clock. */
const DOS_DATE = (0 << 9) | (1 << 5) | 1

/** A zip archive of `entries`, stored (not compressed). Throws past zip's 4 GiB or 65,535 entries. */
export function writeZip(entries: readonly ZipEntry[]): Uint8Array {
  if (entries.length > 0xffff) throw new RangeError('too many entries for a zip archive')
  const encoder = new TextEncoder()
  const parts: Uint8Array[] = []
  const central: Uint8Array[] = []
  let offset = 0
  for (const entry of entries) {
    const name = encoder.encode(entry.name)
    const crc = crc32(entry.bytes)
    const size = entry.bytes.length
    if (offset + size > 0xffffffff) throw new RangeError('too large for a zip archive')
    const local = new DataView(new ArrayBuffer(30))
    local.setUint32(0, LOCAL, true)
    local.setUint16(4, 20, true)
    local.setUint16(6, UTF8, true)
    local.setUint16(8, 0, true)
    local.setUint16(10, 0, true)
    local.setUint16(12, DOS_DATE, true)
    local.setUint32(14, crc, true)
    local.setUint32(18, size, true)
    local.setUint32(22, size, true)
    local.setUint16(26, name.length, true)
    local.setUint16(28, 0, true)
    const header = new DataView(new ArrayBuffer(46))
    header.setUint32(0, CENTRAL, true)
    header.setUint16(4, 20, true)
    header.setUint16(6, 20, true)
    header.setUint16(8, UTF8, true)
    header.setUint16(10, 0, true)
    header.setUint16(12, 0, true)
    header.setUint16(14, DOS_DATE, true)
    header.setUint32(16, crc, true)
    header.setUint32(20, size, true)
    header.setUint32(24, size, true)
    header.setUint16(28, name.length, true)
    header.setUint32(42, offset, true)
    parts.push(new Uint8Array(local.buffer), name, entry.bytes)
    central.push(new Uint8Array(header.buffer), name)
    offset += 30 + name.length + size
  }
  const centralSize = central.reduce((sum, p) => sum + p.length, 0)
  const end = new DataView(new ArrayBuffer(22))
  end.setUint32(0, END, true)
  end.setUint16(8, entries.length, true)
  end.setUint16(10, entries.length, true)
  end.setUint32(12, centralSize, true)
  end.setUint32(16, offset, true)
  const all = [...parts, ...central, new Uint8Array(end.buffer)]
  const out = new Uint8Array(all.reduce((sum, p) => sum + p.length, 0))
  let at = 0
  for (const p of all) {
    out.set(p, at)
    at += p.length
  }
  return out
}

/** What {@link readZip} takes at most. */
export interface ZipLimits {
  /** Entries (directories included). */
  maxEntries: number
  /** Bytes of all entries once unpacked. */
  maxBytes: number
}

/** Why an archive could not be read, in words for people. */
export class ZipError extends Error {
  override readonly name = 'ZipError'
}

async function inflate(bytes: Uint8Array, size: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
    .stream()
    .pipeThrough(new DecompressionStream('deflate-raw'))
  const out = new Uint8Array(size)
  let at = 0
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    if (at + value.length > size) {
      await reader.cancel()
      throw new ZipError('an entry is larger than the archive says')
    }
    out.set(value, at)
    at += value.length
  }
  if (at !== size) throw new ZipError('an entry is shorter than the archive says')
  return out
}

/**
 * The files of zip archive `bytes` (directories left out), each checked against its CRC-32.
 * Refuses ({@link ZipError}) what is not a zip archive, encrypted or otherwise unusual entries,
 * and more entries or unpacked bytes than `limits` allow (checked before unpacking).
 */
export async function readZip(bytes: Uint8Array, limits: ZipLimits): Promise<ZipEntry[]> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  let end = -1
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === END) {
      end = i
      break
    }
  }
  if (end === -1) throw new ZipError('it is not a zip archive')
  const count = view.getUint16(end + 10, true)
  const centralOffset = view.getUint32(end + 16, true)
  if (count > limits.maxEntries) throw new ZipError(`it holds more than ${limits.maxEntries} files`)
  const decoder = new TextDecoder('utf-8', { fatal: true })
  const found: {
    name: string
    method: number
    crc: number
    size: number
    packed: number
    at: number
  }[] = []
  let at = centralOffset
  let total = 0
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== CENTRAL) {
      throw new ZipError('its directory is damaged')
    }
    const flags = view.getUint16(at + 8, true)
    const method = view.getUint16(at + 10, true)
    const crc = view.getUint32(at + 16, true)
    const packed = view.getUint32(at + 20, true)
    const size = view.getUint32(at + 24, true)
    const nameLength = view.getUint16(at + 28, true)
    const extra = view.getUint16(at + 30, true)
    const comment = view.getUint16(at + 32, true)
    const local = view.getUint32(at + 42, true)
    let name: string
    try {
      name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength))
    } catch {
      throw new ZipError('a file name in it is not UTF-8')
    }
    at += 46 + nameLength + extra + comment
    if (name.endsWith('/')) continue
    if (flags & 1) throw new ZipError('it is encrypted')
    if (method !== 0 && method !== 8)
      throw new ZipError('it uses a compression this app cannot read')
    total += size
    if (total > limits.maxBytes) {
      throw new ZipError(
        `its files are larger than ${Math.round(limits.maxBytes / 1024 / 1024)} MB unpacked`,
      )
    }
    if (local + 30 > bytes.length || view.getUint32(local, true) !== LOCAL) {
      throw new ZipError('an entry is damaged')
    }
    const dataAt = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true)
    if (dataAt + packed > bytes.length) throw new ZipError('it is cut short')
    found.push({ name, method, crc, size, packed, at: dataAt })
  }
  const entries: ZipEntry[] = []
  for (const f of found) {
    const data = bytes.subarray(f.at, f.at + f.packed)
    const unpacked = f.method === 0 ? data.slice() : await inflate(data, f.size)
    if (unpacked.length !== f.size || crc32(unpacked) !== f.crc) {
      throw new ZipError(`“${f.name}” in it is damaged`)
    }
    entries.push({ name: f.name, bytes: unpacked })
  }
  return entries
}
