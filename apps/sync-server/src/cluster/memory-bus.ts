import type { BusListener, BusMessage, ClusterBus } from './bus.js'

/**
 * Several {@link ClusterBus}es in one process, for tests: messages are delivered in order on a
 * later turn, like Redis pub/sub, and a test may drop, hold back or cut off any of them.
 */
export class MemoryHub {
  readonly #buses = new Set<MemoryBus>()
  /** Messages for which this returns `true` are lost on their way to `to`. */
  drop: (message: BusMessage, to: MemoryBus) => boolean = () => false
  /** While set, messages are kept here instead of delivered; see {@link release}. */
  holding: { message: BusMessage; to: MemoryBus }[] | null = null

  bus(): MemoryBus {
    const bus = new MemoryBus(this)
    this.#buses.add(bus)
    return bus
  }

  /** Delivers the held messages, in order, and stops holding. */
  release(): void {
    const held = this.holding ?? []
    this.holding = null
    for (const { message, to } of held) to.deliver(message)
  }

  /** @internal */
  send(message: BusMessage): void {
    for (const to of this.#buses) {
      if (!to.receives(message) || this.drop(message, to)) continue
      if (this.holding) this.holding.push({ message, to })
      else to.deliver(message)
    }
  }

  /** @internal */
  remove(bus: MemoryBus): void {
    this.#buses.delete(bus)
  }
}

export class MemoryBus implements ClusterBus {
  readonly #hub: MemoryHub
  readonly #docs = new Set<string>()
  #listener: BusListener | null = null
  #connected = false

  constructor(hub: MemoryHub) {
    this.#hub = hub
  }

  get connected(): boolean {
    return this.#connected
  }

  get failure(): string | null {
    return this.#connected ? null : 'disconnected'
  }

  start(listener: BusListener): void {
    this.#listener = listener
    this.setConnected(true)
  }

  /** Cuts this bus off (or reconnects it): nothing is sent or received meanwhile. */
  setConnected(connected: boolean): void {
    if (connected === this.#connected) return
    this.#connected = connected
    if (connected) this.#listener?.connected()
    else this.#listener?.disconnected()
  }

  publish(message: BusMessage): void {
    if (this.#connected) this.#hub.send(message)
  }

  async subscribe(doc: string): Promise<void> {
    this.#docs.add(doc)
  }

  unsubscribe(doc: string): void {
    this.#docs.delete(doc)
  }

  async close(): Promise<void> {
    this.#connected = false
    this.#listener = null
    this.#hub.remove(this)
  }

  /** Whether this bus is subscribed to `message`. @internal */
  receives(message: BusMessage): boolean {
    return this.#connected && (!('doc' in message) || this.#docs.has(message.doc))
  }

  /** @internal */
  deliver(message: BusMessage): void {
    const copy =
      'update' in message ? { ...message, update: message.update.slice() } : { ...message }
    setImmediate(() => {
      if (this.receives(copy)) this.#listener?.message(copy)
    })
  }
}
