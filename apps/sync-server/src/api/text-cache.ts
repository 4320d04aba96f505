/**
 * The text of recently read documents, keyed by name and the sequence number of the last
 * update it includes, so that reading an unchanged document again costs no fold. Bounded by
 * the code units it holds; the least recently used entries go first.
 */
export class TextCache {
  readonly #entries = new Map<string, { seq: number; text: string }>()
  #units = 0

  constructor(readonly maxUnits: number) {}

  /** The text of `name` at `seq`, if held. */
  get(name: string, seq: number): string | undefined {
    const entry = this.#entries.get(name)
    if (!entry || entry.seq !== seq) return undefined
    this.#entries.delete(name)
    this.#entries.set(name, entry)
    return entry.text
  }

  set(name: string, seq: number, text: string): void {
    this.delete(name)
    if (text.length > this.maxUnits) return
    this.#entries.set(name, { seq, text })
    this.#units += text.length
    for (const [oldest, entry] of this.#entries) {
      if (this.#units <= this.maxUnits) break
      this.#entries.delete(oldest)
      this.#units -= entry.text.length
    }
  }

  delete(name: string): void {
    const entry = this.#entries.get(name)
    if (!entry) return
    this.#entries.delete(name)
    this.#units -= entry.text.length
  }
}
