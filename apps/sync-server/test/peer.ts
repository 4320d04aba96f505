import {
  type AwarenessEntry,
  decodeAwarenessUpdate,
  decodeMessage,
  type Message,
} from '@tandem/protocol'
import type { Identity, Peer } from '../src/rooms/peer.js'

/**
 * An in-memory peer for tests that drive a room directly: it records every frame the room sends
 * it (decoded, so a frame that is not a well-formed message fails the test at once) and the
 * first close.
 */
export class TestPeer implements Peer {
  readonly received: Message[] = []
  closed: { code: number; reason: string } | null = null
  readonly userKey?: string
  readonly identity?: Identity
  readonly readOnly?: boolean

  constructor(
    readonly id: string,
    options: { userKey?: string; identity?: Identity; readOnly?: boolean } = {},
  ) {
    if (options.userKey !== undefined) this.userKey = options.userKey
    if (options.identity !== undefined) this.identity = options.identity
    if (options.readOnly !== undefined) this.readOnly = options.readOnly
  }

  send(frame: Uint8Array): void {
    this.received.push(decodeMessage(frame))
  }

  close(code: number, reason: string): void {
    this.closed ??= { code, reason }
  }

  /** The updates it was sent (sync step 2 and sync update), in order. */
  updates(): Uint8Array[] {
    return this.received.flatMap((m) =>
      m.type === 'sync-update' || m.type === 'sync-step-2' ? [m.update] : [],
    )
  }

  /** The awareness entries it was sent, in order. */
  awareness(): AwarenessEntry[] {
    return this.received.flatMap((m) =>
      m.type === 'awareness' ? decodeAwarenessUpdate(m.update) : [],
    )
  }
}
