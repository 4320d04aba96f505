/**
 * Who a peer's token says the user is: a name it vouches for (stamped into the user's presence) and
 * the stable subject it names.
 */
export interface Identity {
  name: string
  color?: string
  /** The token's subject key (see `Access.subject`): two people called Sam are two subjects. */
  subject?: string
}

/**
 * The room's view of one connection: enough to send frames and close it. Transports adapt
 * their sockets to this; tests can use in-memory pairs.
 */
export interface Peer {
  /** A short id for logs. */
  readonly id: string
  /** A read-only peer receives everything, but its document updates are dropped unread. */
  readonly readOnly?: boolean
  /**
   * Who the peer is (a token's name, or its address): a peer may take over the awareness
   * client id of another peer only if they share this key (a tab reconnecting).
   */
  readonly userKey?: string
  /** Name and colour from the peer's token, stamped over whatever its presence says. */
  readonly identity?: Identity
  /** Queues `frame` for sending. Never throws. */
  send(frame: Uint8Array): void
  /** Closes the connection with a WebSocket close code and reason. Idempotent. */
  close(code: number, reason: string): void
}
