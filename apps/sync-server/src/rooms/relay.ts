import { encodeSyncUpdate } from '@tandem/protocol'
import * as Y from 'yjs'
import type { Logger } from '../log.js'
import type { Peer } from './peer.js'
import { TurnBatch } from './turn.js'

/** An applied update to relay: its frame if received as one, and its sender (not sent to). */
export interface Relayed {
  update: Uint8Array
  frame: Uint8Array | null
  from: Peer | null
}

/** What relaying needs of its room. */
export interface RelayHost {
  /** The connected peers, with when each was last sent a frame (`Date.now()`). */
  readonly peers: ReadonlyMap<Peer, { lastSentMs: number }>
  /** Sends `frame` to `peer`, noting the time. */
  send(peer: Peer, frame: Uint8Array, nowMs: number): void
}

/**
 * Fewest updates of one turn that are merged: stored as one (a peer's, SPEC S9) or relayed in
 * one frame (S8). Below, merging costs the room more than the rows and frames it saves
 * (Y.mergeUpdates takes about 8 µs per update in small batches, 2 µs in batches of a hundred).
 */
export const MERGE_MIN_UPDATES = 16

/** Most updates merged into one: beyond a few hundred, merging grows faster than linear. */
const MERGE_MAX_UPDATES = 256

/** `items` in runs of at most {@link MERGE_MAX_UPDATES}. */
export function* mergeRuns<T>(items: readonly T[]): Generator<T[]> {
  for (let i = 0; i < items.length; i += MERGE_MAX_UPDATES)
    yield items.slice(i, i + MERGE_MAX_UPDATES)
}

/** The frame that relays `r` alone: as received if it came as a sync update frame. */
function frameOf(r: Relayed): Uint8Array {
  return r.frame ?? encodeSyncUpdate(r.update)
}

/** One sync update frame holding every update of `batch`. */
function mergedFrame(batch: readonly Relayed[]): Uint8Array {
  if (batch.length === 1) return frameOf(batch[0]!)
  return encodeSyncUpdate(Y.mergeUpdates(batch.map((r) => r.update)))
}

/**
 * Sends a room's frames to its peers: every frame encoded once for all of them, never a peer's
 * own update back to it. The updates applied in one turn are relayed at its end (SPEC S8): one
 * by one if they are few, else merged so that each peer gets one frame holding every update it
 * did not send (a receiver applies one update instead of hundreds).
 */
export class Relay {
  readonly #host: RelayHost
  readonly #quietEchoMs: number
  readonly #log: Logger
  readonly #applied = new TurnBatch<Relayed>((batch) => this.#relay(batch))

  constructor(host: RelayHost, quietEchoMs: number, log: Logger) {
    this.#host = host
    this.#quietEchoMs = quietEchoMs
    this.#log = log
  }

  /** Relays an applied update at the end of the turn. */
  applied(r: Relayed): void {
    if (this.#host.peers.size > 0) this.#applied.add(r)
  }

  /** Relays now the updates of this turn not yet relayed. */
  flush(): void {
    this.#applied.flushNow()
  }

  /**
   * Sends `frame` to every peer but `from`; to `from` too if `echoIfQuiet` and it has been sent
   * nothing for `quietEchoMs` (SPEC B3). Updates of this turn not yet relayed go first, so that
   * peers see messages in order.
   */
  broadcast(frame: Uint8Array, from?: Peer | null, echoIfQuiet = false): void {
    this.#applied.flushNow()
    const nowMs = Date.now()
    for (const [peer, { lastSentMs }] of this.#host.peers) {
      if (peer === from && !(echoIfQuiet && nowMs - lastSentMs >= this.#quietEchoMs)) continue
      this.#host.send(peer, frame, nowMs)
    }
  }

  #relay(batch: Relayed[]): void {
    if (batch.length < MERGE_MIN_UPDATES) {
      for (const r of batch) this.broadcast(frameOf(r), r.from)
      return
    }
    for (const run of mergeRuns(batch)) this.#relayMerged(run)
  }

  /** Sends each peer the merge of the updates of `batch` that it did not send itself. */
  #relayMerged(batch: Relayed[]): void {
    const { peers } = this.#host
    const senders = new Set<Peer>()
    for (const r of batch) if (r.from && peers.has(r.from)) senders.add(r.from)
    try {
      const nowMs = Date.now()
      let merged: Uint8Array | null = null
      for (const peer of peers.keys()) {
        if (senders.has(peer)) continue
        merged ??= mergedFrame(batch)
        this.#host.send(peer, merged, nowMs)
      }
      for (const sender of senders) {
        const others = batch.filter((r) => r.from !== sender)
        if (others.length > 0) this.#host.send(sender, mergedFrame(others), nowMs)
      }
    } catch (err) {
      // Every update was validated, so this is not expected; relay them one by one instead.
      this.#log.error({ err, updates: batch.length }, 'merging updates to relay failed')
      for (const r of batch) this.broadcast(frameOf(r), r.from)
    }
  }
}
