import { readFileSync } from 'node:fs'
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net'
import {
  HocuspocusProvider as HocuspocusProvider4,
  HocuspocusProviderWebsocket as HocuspocusProviderWebsocket4,
} from '@hocuspocus/provider'
import {
  HocuspocusProvider as HocuspocusProvider3,
  HocuspocusProviderWebsocket as HocuspocusProviderWebsocket3,
} from '@hocuspocus/provider-v3'
import * as decoding from 'lib0/decoding'
import { WebSocket } from 'ws'
import type { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'

/** What the tests use of a `HocuspocusProviderWebsocket`, the same in 3.x and 4.x. */
export interface HpSocket {
  destroy(): void
  on(event: 'close', listener: (data: { event: { code: number } }) => void): unknown
}

/** What the tests use of a `HocuspocusProvider`, the same in 3.x and 4.x. */
export interface HpProvider {
  readonly awareness: Awareness | null
  readonly hasUnsyncedChanges: boolean
  readonly synced: boolean
  readonly isAuthenticated: boolean
  readonly authorizedScope: string | undefined
  attach(): void
  destroy(): void
  setAwarenessField(key: string, value: unknown): void
  sendStateless(payload: string): void
}

interface ProviderOptions {
  name: string
  document: Y.Doc
  token: string | null
  websocketProvider: HpSocket
  onAuthenticated: (data: { scope: string }) => void
  onAuthenticationFailed: (data: { reason: string }) => void
  onSynced: (data: { state: boolean }) => void
  onMessage: (data: { event: { data: unknown } }) => void
  onStateless: (data: { payload: string }) => void
  /** 4.x only: address every frame as `name\0sessionId`. */
  sessionAwareness?: boolean
}

/** One release line of `@hocuspocus/provider`, as a test needs it. */
export interface Flavour {
  /** `4.x` or `3.x` */
  readonly line: string
  /** The installed version, read from its package.json. */
  readonly version: string
  socket(url: string, polyfill: new (address: string) => WebSocket): HpSocket
  provider(options: ProviderOptions): HpProvider
}

function installedVersion(pkg: string): string {
  const file = new URL(`../node_modules/${pkg}/package.json`, import.meta.url)
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version
}

// Both release lines take the same configuration for what the tests use; the casts only bridge
// the two packages' separately declared (structurally equal) classes.
const v4: Flavour = {
  line: '4.x',
  version: installedVersion('@hocuspocus/provider'),
  socket: (url, polyfill) =>
    new HocuspocusProviderWebsocket4({ url, WebSocketPolyfill: polyfill }) as unknown as HpSocket,
  provider: ({ websocketProvider, ...options }) =>
    new HocuspocusProvider4({
      ...options,
      websocketProvider: websocketProvider as unknown as HocuspocusProviderWebsocket4,
    } as unknown as ConstructorParameters<typeof HocuspocusProvider4>[0]) as unknown as HpProvider,
}

const v3: Flavour = {
  line: '3.x',
  version: installedVersion('@hocuspocus/provider-v3'),
  socket: (url, polyfill) =>
    new HocuspocusProviderWebsocket3({ url, WebSocketPolyfill: polyfill }) as unknown as HpSocket,
  provider: ({ websocketProvider, ...options }) =>
    new HocuspocusProvider3({
      ...options,
      websocketProvider: websocketProvider as unknown as HocuspocusProviderWebsocket3,
    } as unknown as ConstructorParameters<typeof HocuspocusProvider3>[0]) as unknown as HpProvider,
}

/** Both release lines of the stock provider, 4.x first. */
export const flavours: readonly Flavour[] = [v4, v3]

/**
 * A socket of the stock provider (`HocuspocusProviderWebsocket`) given the server's base URL, as
 * an application would point it at a Hocuspocus server. `opened` counts the WebSockets it has
 * created (each one its own TCP connection).
 */
export interface HpConnection {
  socket: HpSocket
  opened: () => number
  /** Close events of the socket, by code. */
  closes: number[]
  destroy(): void
}

export function openHpSocket(flavour: Flavour, url: string): HpConnection {
  let opened = 0
  class CountingWebSocket extends WebSocket {
    constructor(address: string | URL, protocols?: string | string[]) {
      super(address, protocols)
      opened++
    }
  }
  const socket = flavour.socket(url, CountingWebSocket)
  const closes: number[] = []
  socket.on('close', ({ event }) => closes.push(event.code))
  return { socket, opened: () => opened, closes, destroy: () => socket.destroy() }
}

/** A document edited through the stock Hocuspocus provider: the shared text `codemirror`. */
export interface HpClient {
  name: string
  doc: Y.Doc
  text: Y.Text
  provider: HpProvider
  /** Scopes of each `authenticated` event (`read-write` / `readonly`). */
  authenticated: string[]
  /** Reasons of each `authenticationFailed` event. */
  failures: string[]
  /** Every sync status (`1` applied, `0` refused) the server sent for this document. */
  syncStatuses: number[]
  /** The text at each moment the provider reported itself synced. */
  textWhenSynced: string[]
  /** Stateless payloads received. */
  stateless: string[]
  destroy(): void
}

/** Attaches a provider for document `name` to `connection`'s socket. */
export function attachDoc(
  flavour: Flavour,
  connection: HpConnection,
  name: string,
  token: string | null = null,
  doc = new Y.Doc(),
  options: { sessionAwareness?: boolean } = {},
): HpClient {
  const client = {
    name,
    doc,
    text: doc.getText('codemirror'),
    authenticated: [] as string[],
    failures: [] as string[],
    syncStatuses: [] as number[],
    textWhenSynced: [] as string[],
    stateless: [] as string[],
  } as HpClient
  client.provider = flavour.provider({
    name,
    document: doc,
    token,
    websocketProvider: connection.socket,
    onAuthenticated: ({ scope }) => client.authenticated.push(scope),
    onAuthenticationFailed: ({ reason }) => client.failures.push(reason),
    onSynced: ({ state }) => {
      if (state) client.textWhenSynced.push(client.text.toString())
    },
    onStateless: ({ payload }) => client.stateless.push(payload),
    ...options,
    onMessage: ({ event }) => {
      const status = syncStatusOf(event.data)
      if (status !== undefined) client.syncStatuses.push(status)
    },
  })
  client.provider.attach()
  client.destroy = () => {
    client.provider.destroy()
    doc.destroy()
  }
  return client
}

/** A provider on a socket of its own: one document, one connection. */
export function connectHp(
  flavour: Flavour,
  url: string,
  name: string,
  token: string | null = null,
): HpClient & { connection: HpConnection } {
  const connection = openHpSocket(flavour, url)
  const client = attachDoc(flavour, connection, name, token)
  const destroyDoc = client.destroy
  return Object.assign(client, {
    connection,
    destroy() {
      destroyDoc()
      connection.destroy()
    },
  })
}

const MESSAGE_SYNC_STATUS = 8

/** The status of a Hocuspocus sync status frame (`name 08 varInt`), or undefined for others. */
function syncStatusOf(data: unknown): number | undefined {
  const bytes =
    data instanceof Uint8Array
      ? data
      : data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : Array.isArray(data)
          ? new Uint8Array(Buffer.concat(data as Buffer[]))
          : undefined
  if (bytes === undefined) return undefined
  try {
    const decoder = decoding.createDecoder(bytes)
    decoding.readVarString(decoder)
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC_STATUS) return undefined
    return decoding.readVarInt(decoder)
  } catch {
    return undefined
  }
}

/** The `user.name` of every present awareness state in `awareness` (its own included). */
export function names(awareness: Awareness | null): string[] {
  const seen: string[] = []
  for (const state of awareness?.getStates().values() ?? []) {
    const name = (state as { user?: { name?: unknown } }).user?.name
    if (typeof name === 'string') seen.push(name)
  }
  return seen.sort()
}

/**
 * A TCP relay in front of a server that counts the connections it accepts: what reaches the
 * server through it is exactly what the clients opened, whatever the server counts itself.
 */
export class CountingProxy {
  readonly #server: Server
  readonly #sockets = new Set<Socket>()
  accepted = 0
  readonly url: string

  private constructor(server: Server, port: number) {
    this.#server = server
    this.url = `ws://127.0.0.1:${port}`
  }

  /** `target` is a `ws://host:port` URL. */
  static async start(target: string): Promise<CountingProxy> {
    const { hostname, port } = new URL(target)
    let proxy: CountingProxy | null = null
    const server = createServer((socket) => {
      const self = proxy
      if (!self) return socket.destroy()
      self.accepted++
      const upstream = tcpConnect(Number(port), hostname)
      for (const s of [socket, upstream]) {
        self.#sockets.add(s)
        s.on('close', () => self.#sockets.delete(s))
        s.on('error', () => s.destroy())
      }
      socket.on('close', () => upstream.destroy())
      upstream.on('close', () => socket.destroy())
      socket.pipe(upstream)
      upstream.pipe(socket)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    if (typeof address !== 'object' || address === null) throw new Error('no port')
    proxy = new CountingProxy(server, address.port)
    return proxy
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy()
    await new Promise<void>((resolve) => this.#server.close(() => resolve()))
  }
}
