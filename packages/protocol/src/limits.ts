/** Default bounds shared by the server and clients. Each name carries its unit. */
export const defaultLimits = {
  /** Largest accepted WebSocket message (ws `maxPayload`). */
  maxMessageBytes: 16 * 1024 * 1024,
  /** Longest document name, in Unicode code points. */
  maxDocNameChars: 128,
  /** Largest JSON state one awareness entry may carry. */
  maxAwarenessStateBytes: 8 * 1024,
} as const

export type Limits = typeof defaultLimits
