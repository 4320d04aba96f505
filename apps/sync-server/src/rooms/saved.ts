import { encodeSaved } from '@tandem/protocol'
import type { Peer } from './peer.js'

/**
 * One peer's `saved` bookkeeping (SPEC V1–V3): how many of the update frames it sent are stored,
 * every one up to that count. Counting frames rather than comparing state vectors covers
 * deletions too, which advance no clock.
 */
export class SavedLedger {
  /** Update frames (sync step 2 and sync update) received from the peer. */
  #frames = 0
  /** How many of those are stored: every one up to this count. */
  #stored = 0
  /** Frames handed on to be stored and not yet committed (held, received this turn, in flight). */
  #appending = 0
  /** The last empty frame received while appends were pending (stored with them). */
  #emptyFrame = 0
  /** Frames from this one on are never acknowledged: one before it will never be stored. */
  #ceiling = Number.POSITIVE_INFINITY
  /** Whether the peer asked for acknowledgements, and the count it was last sent. */
  #wanted = false
  #sent = 0

  /** A non-empty update frame that is to be stored; returns its index. */
  appending(): number {
    this.#appending++
    return ++this.#frames
  }

  /** An empty update frame: nothing to store, so stored once everything before it is. */
  empty(): boolean {
    const index = ++this.#frames
    if (this.#appending > 0) {
      this.#emptyFrame = index
      return false
    }
    return this.#mark(index)
  }

  /** An update frame that will never be stored (a read-only peer's): nothing from it on is. */
  dropped(): void {
    this.#ceiling = Math.min(this.#ceiling, ++this.#frames)
  }

  /**
   * `count` of the appending frames, the last of them frame `index`, are committed. Returns
   * whether an acknowledgement is due.
   */
  committed(count: number, index: number): boolean {
    this.#appending -= count
    return this.#mark(this.#appending === 0 ? Math.max(index, this.#emptyFrame) : index)
  }

  /** The peer asks for acknowledgements: the frame telling it how many are stored now. */
  request(): Uint8Array {
    this.#wanted = true
    this.#sent = this.#stored
    return encodeSaved(this.#stored)
  }

  /** The acknowledgement to send now, if one is due. */
  due(): Uint8Array | null {
    if (!this.#wanted || this.#stored === this.#sent) return null
    this.#sent = this.#stored
    return encodeSaved(this.#stored)
  }

  #mark(frames: number): boolean {
    this.#stored = Math.max(this.#stored, Math.min(frames, this.#ceiling - 1))
    return this.#wanted && this.#stored !== this.#sent
  }
}

/**
 * The acknowledgements due at the end of a commit: one per peer, however many of its updates
 * the commit held (sent from a microtask, after the commit's other callbacks).
 */
export class SavedAcks {
  readonly #due = new Set<Peer>()
  readonly #ledgerOf: (peer: Peer) => SavedLedger | undefined
  readonly #send: (peer: Peer, frame: Uint8Array) => void

  constructor(
    ledgerOf: (peer: Peer) => SavedLedger | undefined,
    send: (peer: Peer, frame: Uint8Array) => void,
  ) {
    this.#ledgerOf = ledgerOf
    this.#send = send
  }

  add(peer: Peer): void {
    if (this.#due.size === 0) queueMicrotask(this.#flush)
    this.#due.add(peer)
  }

  readonly #flush = (): void => {
    for (const peer of this.#due) {
      const frame = this.#ledgerOf(peer)?.due()
      if (frame) this.#send(peer, frame)
    }
    this.#due.clear()
  }
}
