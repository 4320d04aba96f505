import type { Verdict } from '@tandem/protocol'
import type { Logger } from '../log.js'
import type { Peer } from './peer.js'

/** An update frame received from a peer, with its place among the peer's update frames. */
export interface Received {
  /** The update: a view into `frame`. */
  update: Uint8Array
  /** The frame to relay it in: as received for a sync update, re-encoded for a step 2. */
  frame: Uint8Array
  /** Which of the peer's update frames it is (see `SavedLedger`). */
  index: number
}

/** What holding needs of its room. */
export interface HeldHost {
  /** Judges an update against the document as it is now. */
  judge(update: Uint8Array): Verdict
  /** Whether the document now holds everything `needs` names (cheap: no update is read). */
  satisfies(needs: ReadonlyMap<number, number>): boolean
  /** Takes a frame whose verdict is `ready` (recorded already) to be stored. */
  accept(peer: Peer, verdict: Extract<Verdict, { kind: 'ready' }>, received: Received): void
  /** Closes `peer` for a refused update (4413). */
  refuse(peer: Peer, reason: string): void
  /** Closes `peer`, whose held frames are dropped, with 4512. */
  giveUp(peer: Peer, why: string): void
}

export interface HeldOptions {
  /** How long a held frame waits for what it depends on. */
  pendingTimeoutMs: number
  /** Bytes of held frames the room holds at most. */
  maxPendingBytes: number
}

interface Held extends Received {
  receivedMs: number
  /**
   * What the document lacked when the frame was last judged; it is judged again only once the
   * document has it (a held update may be large, and the room releases after every update).
   * `null`: not judged yet (it was held behind another frame).
   */
  needs: ReadonlyMap<number, number> | null
}

/**
 * Update frames held until the document has what they depend on (SPEC U4): typically an edit
 * made on another server that has not arrived here yet. Once a peer has a frame held, its later
 * frames wait behind it, so that its updates are stored (and acknowledged) in the order sent.
 * Bounded in bytes per room and in time; one timer per room.
 */
export class HeldUpdates {
  readonly #host: HeldHost
  readonly #options: HeldOptions
  readonly #log: Logger
  readonly #byPeer = new Map<Peer, Held[]>()
  #bytes = 0
  #timer: NodeJS.Timeout | null = null

  constructor(host: HeldHost, options: HeldOptions, log: Logger) {
    this.#host = host
    this.#options = options
    this.#log = log
  }

  /** Whether `peer` has frames held (its next frames must wait behind them). */
  holds(peer: Peer): boolean {
    return this.#byPeer.has(peer)
  }

  /**
   * Holds a frame of `peer`, which lacks `needs` (`null` when held behind another of its frames);
   * beyond the room's byte budget the peer is given up on.
   */
  hold(peer: Peer, received: Received, needs: ReadonlyMap<number, number> | null): void {
    if (this.#bytes + received.update.length > this.#options.maxPendingBytes) {
      this.#host.giveUp(peer, 'too many updates wait for what they depend on')
      return
    }
    let queue = this.#byPeer.get(peer)
    if (!queue) {
      queue = []
      this.#byPeer.set(peer, queue)
    }
    queue.push({ ...received, receivedMs: Date.now(), needs })
    this.#bytes += received.update.length
    if (!this.#timer) this.#arm(this.#options.pendingTimeoutMs)
  }

  /** Takes the held frames whose dependencies have arrived, each peer's in order. */
  release(): void {
    for (const [peer, queue] of this.#byPeer) {
      while (queue.length > 0) {
        const head = queue[0]!
        if (head.needs && !this.#host.satisfies(head.needs)) break
        const verdict = this.#host.judge(head.update)
        if (verdict.kind === 'pending') {
          head.needs = verdict.needs
          break
        }
        queue.shift()
        this.#bytes -= head.update.length
        if (verdict.kind === 'refused') {
          this.#host.refuse(peer, verdict.reason)
          break
        }
        this.#host.accept(peer, verdict, head)
      }
      if (queue.length === 0) this.#byPeer.delete(peer)
    }
  }

  /** Forgets the held frames of `peer` (it left, or was closed). */
  drop(peer: Peer): void {
    const queue = this.#byPeer.get(peer)
    if (!queue) return
    for (const held of queue) this.#bytes -= held.update.length
    this.#byPeer.delete(peer)
  }

  close(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(this.#expire, delayMs)
    this.#timer.unref()
  }

  /** Gives up on the peers whose oldest held frame has waited out the timeout. */
  readonly #expire = (): void => {
    this.#timer = null
    const nowMs = Date.now()
    const timeoutMs = this.#options.pendingTimeoutMs
    let nextDueMs = Number.POSITIVE_INFINITY
    for (const [peer, queue] of [...this.#byPeer]) {
      const head = queue[0]!
      if (nowMs - head.receivedMs >= timeoutMs) {
        this.#log.debug({ conn: peer.id, held: queue.length }, 'held updates expired')
        this.#host.giveUp(peer, 'an update waited too long for what it depends on')
      } else {
        nextDueMs = Math.min(nextDueMs, head.receivedMs + timeoutMs)
      }
    }
    if (Number.isFinite(nextDueMs)) this.#arm(nextDueMs - nowMs)
  }
}
