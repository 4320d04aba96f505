import type { AwarenessEntry } from '@tandem/protocol'

/**
 * Owner of awareness states sent by a connection to another server of the cluster: one per
 * server and user. A room never sends to it; the server that holds the connection does.
 */
export class RemoteOwner {
  /** Set once its server is gone: any connection may then take its client ids over. */
  gone = false
  constructor(
    /** The server's id on the cluster bus. */
    readonly node: string,
    /** The user's key on that server (see `Peer.userKey`). */
    readonly userKey: string | undefined,
  ) {}
}

/** What a {@link RoomLink} delivers other servers' messages to: a loaded room. */
export interface LinkedRoom {
  readonly name: string
  /** Sequence number of the last stored update the room holds. */
  readonly lastSeq: number
  receiveRemoteUpdate(seq: number, update: Uint8Array): void
  receiveRemoteAwareness(owner: RemoteOwner, update: Uint8Array): void
  removeRemoteNode(node: string): void
  /** The present awareness states of this server's connections, by user. */
  localAwareness(): { userKey: string | undefined; entries: AwarenessEntry[] }[]
  /** Reads from the store what the room lacks. Never rejects. */
  catchUp(): Promise<void>
}

/**
 * A room's connection to the other servers that have its document loaded (see `cluster/`).
 * Rooms know nothing of how messages travel.
 */
export interface RoomLink {
  /**
   * Resolves once messages about the document from other servers are being received; until
   * {@link attach} they are held, so that nothing published while the room loads is missed.
   */
  readonly ready: Promise<void>
  /** The room has loaded: held messages newer than its state are applied, later ones as they come. */
  attach(room: LinkedRoom): void
  /** Tells the other servers of update `seq`, which this server stored. */
  publishUpdate(seq: number, update: Uint8Array): void
  /** Tells the other servers of awareness changes made by this server's connection(s) of a user. */
  publishAwareness(userKey: string | undefined, entries: readonly AwarenessEntry[]): void
  /** The room has unloaded (or failed to load): no more messages about it. */
  close(): void
}

/** Gives each room its {@link RoomLink}; without one (a single server) rooms stand alone. */
export interface Replication {
  link(name: string): RoomLink
}
