/**
 * Every WebSocket close code Tandem's server sends, in one table. The bands follow what the
 * y-websocket provider (v3+) does on close: 4400–4499 are permanent (the client should not
 * reconnect), 4500–4599 and 1013 are transient (reconnect with backoff).
 */
export const CloseCode = {
  /** The server is shutting down or the room is being unloaded; reconnect. */
  GoingAway: 1001,
  /** A text frame arrived; the protocol is binary only. */
  UnsupportedData: 1003,
  /** A frame that is not a well-formed y-websocket message, or an update that does not decode. */
  InvalidPayload: 1007,
  /** The connection broke a rule other than size: rate limits, unexpected state. */
  PolicyViolation: 1008,
  /** A message larger than the server's `maxMessageBytes`. */
  MessageTooBig: 1009,
  /** The server failed in a way that is not the client's fault. */
  InternalError: 1011,
  /** The server is overloaded (too many rooms or connections); retry later. */
  TryAgainLater: 1013,
  /** The connection's token expired; connect again with a new one. */
  TokenExpired: 4401,
  /** The connection's share link was revoked; that link will not be accepted again. */
  AccessRevoked: 4403,
  /**
   * A well-formed update the document refuses: it nests shared types deeper than the server
   * allows, names too many deletions, or writes outside the document's schema. Nothing of it is
   * stored; resending it would be refused again.
   */
  UpdateRefused: 4413,
  /** The document is quarantined: its stored state cannot be decoded. Permanent until an operator acts. */
  DocumentCorrupt: 4422,
  /** The document's storage is failing; the server is retrying. */
  StorageUnavailable: 4503,
  /**
   * An update waited too long for content it depends on (an item it is placed next to, or
   * deletions of clocks the document lacks); it was dropped. Reconnect and resync: the sync
   * handshake sends whatever the server lacks.
   */
  DependenciesMissing: 4512,
} as const

export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode]

/** Whether a client receiving `code` should stop reconnecting. */
export function isPermanentClose(code: number): boolean {
  return code >= 4400 && code < 4500
}

/** A short, stable reason string for each code, sent as the close frame's reason. */
export const closeReason: Readonly<Record<CloseCode, string>> = {
  [CloseCode.GoingAway]: 'going away',
  [CloseCode.UnsupportedData]: 'text frames are not accepted',
  [CloseCode.InvalidPayload]: 'malformed message',
  [CloseCode.PolicyViolation]: 'policy violation',
  [CloseCode.MessageTooBig]: 'message too big',
  [CloseCode.InternalError]: 'internal error',
  [CloseCode.TryAgainLater]: 'try again later',
  [CloseCode.TokenExpired]: 'token expired',
  [CloseCode.AccessRevoked]: 'access revoked',
  [CloseCode.UpdateRefused]: 'update refused',
  [CloseCode.DocumentCorrupt]: 'document is quarantined',
  [CloseCode.StorageUnavailable]: 'storage unavailable',
  [CloseCode.DependenciesMissing]: 'update dependencies missing',
}
