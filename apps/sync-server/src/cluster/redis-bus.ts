import { Redis, type RedisOptions } from 'ioredis'
import type { Logger } from '../log.js'
import {
  type BusListener,
  type BusMessage,
  type ClusterBus,
  decodeBusMessage,
  encodeBusMessage,
} from './bus.js'

export interface RedisBusOptions {
  /** `redis://` or `rediss://` URL. */
  url: string
  /** Prefix of every channel: servers that share it (and a database) form one cluster. */
  channelPrefix: string
  /** How long opening a connection may take. */
  connectTimeoutMs?: number
  /** Longest delay between reconnection attempts. */
  maxReconnectDelayMs?: number
}

/** Channels subscribed in one SUBSCRIBE command when (re)connecting. */
const SUBSCRIBE_BATCH = 1_000

/** `err`'s message, without the URL (and its password) that some connection errors include. */
function describe(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err)
  return text.replace(/rediss?:\/\/\S*/g, 'redis://…')
}

/**
 * {@link ClusterBus} over Redis pub/sub: one connection publishes, one subscribes (a
 * subscribed connection can do nothing else). A channel per document and one for the nodes'
 * heartbeats. Commands are never queued while disconnected: a message that cannot be sent now
 * is dropped (the receivers will find the update in the store), and after every reconnection
 * every channel is subscribed again before the cluster is told it is connected.
 */
export class RedisBus implements ClusterBus {
  readonly #pub: Redis
  readonly #sub: Redis
  readonly #prefix: string
  readonly #nodesChannel: string
  readonly #log: Logger
  /** Documents whose channel is wanted. */
  readonly #docs = new Set<string>()
  #listener: BusListener | null = null
  /** Whether the subscribing connection has subscribed every wanted channel since it connected. */
  #subscribed = false
  #connected = false
  #failure: string | null = 'connecting to Redis'
  #closed = false

  constructor(options: RedisBusOptions, log: Logger) {
    this.#prefix = options.channelPrefix
    this.#nodesChannel = `${options.channelPrefix}nodes`
    this.#log = log
    const maxDelayMs = options.maxReconnectDelayMs ?? 1_000
    const settings: RedisOptions = {
      lazyConnect: true,
      // Nothing waits for a connection: a message is sent now or dropped.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      connectTimeout: options.connectTimeoutMs ?? 10_000,
      // A SUBSCRIBE that hangs must not hold a document's loading for long.
      commandTimeout: 5_000,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, maxDelayMs),
    }
    this.#pub = new Redis(options.url, { ...settings, connectionName: 'tandem-pub' })
    this.#sub = new Redis(options.url, { ...settings, connectionName: 'tandem-sub' })
    for (const connection of [this.#pub, this.#sub]) {
      connection.on('error', (err: unknown) => {
        const reason = describe(err)
        if (this.#failure === null || this.#connected) {
          this.#log.warn({ err: reason }, 'Redis connection failed')
        } else {
          this.#log.debug({ err: reason }, 'Redis connection failed')
        }
        this.#failure = reason
      })
      connection.on('close', () => {
        if (connection === this.#sub) this.#subscribed = false
        this.#update()
      })
    }
    this.#pub.on('ready', () => this.#update())
    this.#sub.on('ready', () => void this.#subscribeAll())
    this.#sub.on('messageBuffer', (channel: Buffer, message: Buffer) => {
      this.#receive(channel.toString(), message)
    })
  }

  get connected(): boolean {
    return this.#connected
  }

  get failure(): string | null {
    return this.#connected ? null : this.#failure
  }

  start(listener: BusListener): void {
    this.#listener = listener
    for (const connection of [this.#pub, this.#sub]) {
      // A failed first attempt is reported through 'error' and retried like any other.
      connection.connect().catch(() => {})
    }
  }

  publish(message: BusMessage): void {
    if (!this.#connected) return
    const channel = 'doc' in message ? this.#docChannel(message.doc) : this.#nodesChannel
    this.#pub.publish(channel, Buffer.from(encodeBusMessage(message))).catch((err: unknown) => {
      this.#log.debug({ err: describe(err) }, 'Redis publish failed')
    })
  }

  async subscribe(doc: string): Promise<void> {
    this.#docs.add(doc)
    if (this.#sub.status !== 'ready') return
    try {
      await this.#sub.subscribe(this.#docChannel(doc))
    } catch {
      // The connection dropped: every channel is subscribed again when it is back.
    }
  }

  unsubscribe(doc: string): void {
    if (!this.#docs.delete(doc) || this.#sub.status !== 'ready') return
    this.#sub.unsubscribe(this.#docChannel(doc)).catch(() => {})
  }

  async close(): Promise<void> {
    this.#closed = true
    this.#listener = null
    await Promise.all(
      [this.#pub, this.#sub].map(async (connection) => {
        if (connection.status === 'ready') {
          await connection.quit().catch(() => connection.disconnect())
        } else {
          connection.disconnect()
        }
      }),
    )
  }

  #docChannel(doc: string): string {
    return `${this.#prefix}doc:${doc}`
  }

  /** After each (re)connection of the subscribing connection: every wanted channel again. */
  async #subscribeAll(): Promise<void> {
    const channels = [this.#nodesChannel, ...[...this.#docs].map((d) => this.#docChannel(d))]
    try {
      for (let i = 0; i < channels.length; i += SUBSCRIBE_BATCH) {
        await this.#sub.subscribe(...channels.slice(i, i + SUBSCRIBE_BATCH))
      }
    } catch (err) {
      this.#log.debug({ err: describe(err) }, 'Redis subscribe failed')
      return
    }
    this.#subscribed = true
    this.#update()
  }

  #update(): void {
    const connected =
      !this.#closed &&
      this.#subscribed &&
      this.#sub.status === 'ready' &&
      this.#pub.status === 'ready'
    if (connected === this.#connected) return
    this.#connected = connected
    if (connected) {
      this.#failure = null
      this.#log.info('Redis connected')
      this.#listener?.connected()
    } else {
      this.#failure ??= 'Redis connection lost'
      if (!this.#closed) this.#log.warn({ reason: this.#failure }, 'Redis disconnected')
      this.#listener?.disconnected()
    }
  }

  #receive(channel: string, bytes: Buffer): void {
    let doc: string | null = null
    if (channel !== this.#nodesChannel) {
      const docPrefix = `${this.#prefix}doc:`
      if (!channel.startsWith(docPrefix)) return
      doc = channel.slice(docPrefix.length)
    }
    const message = decodeBusMessage(bytes, doc)
    if (message === null) {
      this.#log.warn({ channel }, 'ignoring a malformed cluster message')
      return
    }
    this.#listener?.message(message)
  }
}
