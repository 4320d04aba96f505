import type { AwarenessEntry } from '@tandem/protocol'
import type { Room } from './room.js'

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
  attach(room: Room): void
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
