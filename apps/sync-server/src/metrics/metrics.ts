import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client'
import type { DocStore, SetAsideUpdate } from '../persistence/store.js'

/** Names of the y-websocket message types, for the `type` label. */
const messageTypes: Record<number, string> = {
  0: 'sync',
  1: 'awareness',
  2: 'auth',
  3: 'query_awareness',
  100: 'saved_request',
  101: 'saved',
}

/** The type label of a frame: its first byte's message type. */
export function messageTypeOf(frame: Uint8Array): string {
  return messageTypes[frame[0] ?? -1] ?? 'unknown'
}

/** Sets `counter`'s value for each label to the count in `counts`, at a scrape. */
function copyCounts(counter: Counter<'type'>, counts: ReadonlyMap<string, number>): void {
  counter.reset()
  for (const [type, count] of counts) counter.labels(type).inc(count)
}

/** Sets an unlabelled `counter` to `total`, at a scrape. */
function copyTotal(counter: Counter, total: number): void {
  counter.reset()
  counter.inc(total)
}

/**
 * Everything the server reports on `/metrics` (Prometheus text format, via prom-client), in one
 * registry per server so that tests can run several servers in one process.
 */
export class Metrics {
  readonly registry = new Registry()
  readonly connections = new Gauge({
    name: 'tandem_connections',
    help: 'Open WebSocket connections.',
    registers: [this.registry],
  })
  /** What `tandem_rooms_loaded` reads at each scrape. */
  #rooms: { readonly size: number } | null = null
  readonly roomsLoaded: Gauge = new Gauge({
    name: 'tandem_rooms_loaded',
    help: 'Documents loaded in memory.',
    registers: [this.registry],
    collect: (): void => this.roomsLoaded.set(this.#rooms?.size ?? 0),
  })

  /** Reports `rooms.size` as `tandem_rooms_loaded`. */
  trackRooms(rooms: { readonly size: number }): void {
    this.#rooms = rooms
  }
  /**
   * Frames and bytes in and out are counted in plain numbers on the hot path (once per frame
   * per peer) and handed to prom-client only when `/metrics` is scraped: a labelled
   * `inc()` hashes its labels on every call.
   */
  readonly #framesIn = new Map<string, number>()
  readonly #framesOut = new Map<string, number>()
  #bytesIn = 0
  #bytesOut = 0
  readonly messagesIn: Counter<'type'> = new Counter({
    name: 'tandem_messages_received_total',
    help: 'WebSocket messages received, by message type.',
    labelNames: ['type'],
    registers: [this.registry],
    collect: (): void => copyCounts(this.messagesIn, this.#framesIn),
  })
  readonly bytesIn: Counter = new Counter({
    name: 'tandem_received_bytes_total',
    help: 'Bytes of WebSocket messages received.',
    registers: [this.registry],
    collect: (): void => copyTotal(this.bytesIn, this.#bytesIn),
  })
  readonly messagesOut: Counter<'type'> = new Counter({
    name: 'tandem_messages_sent_total',
    help: 'WebSocket messages sent (one per receiving connection), by message type.',
    labelNames: ['type'],
    registers: [this.registry],
    collect: (): void => copyCounts(this.messagesOut, this.#framesOut),
  })
  readonly bytesOut: Counter = new Counter({
    name: 'tandem_sent_bytes_total',
    help: 'Bytes of WebSocket messages sent.',
    registers: [this.registry],
    collect: (): void => copyTotal(this.bytesOut, this.#bytesOut),
  })
  readonly upgradesRefused = new Counter({
    name: 'tandem_upgrades_refused_total',
    help: 'WebSocket upgrades refused before a socket existed, by HTTP status.',
    labelNames: ['status'],
    registers: [this.registry],
  })
  readonly closes = new Counter({
    name: 'tandem_connections_closed_total',
    help: 'WebSocket connections closed, by close code.',
    labelNames: ['code'],
    registers: [this.registry],
  })
  readonly rateLimitHolds = new Counter({
    name: 'tandem_rate_limit_holds_total',
    help: 'Times a connection was held back (not read) for its rate, by the budget that ran out: its own (connection) or the one its address shares (address).',
    labelNames: ['budget'],
    registers: [this.registry],
  })
  readonly appendSeconds = new Histogram({
    name: 'tandem_store_append_seconds',
    help: 'Time from handing an update to the store to its commit (group commit included).',
    buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  })
  readonly updatesSetAside = new Counter({
    name: 'tandem_updates_set_aside_total',
    help: 'Stored updates (or snapshots) set aside because applying them threw; each counted once, when first kept apart.',
    registers: [this.registry],
  })
  readonly compactionSeconds = new Histogram({
    name: 'tandem_store_compaction_seconds',
    help: 'Time to store a compacted snapshot.',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  })

  readonly webhookDeliveries = new Counter({
    name: 'tandem_webhook_deliveries_total',
    help: 'Webhook deliveries that ended, by outcome: delivered (2xx), failed (gave up after retrying, or a 4xx), dropped (queue full).',
    labelNames: ['outcome'],
    registers: [this.registry],
  })
  readonly webhookAttemptFailures = new Counter({
    name: 'tandem_webhook_attempt_failures_total',
    help: 'Webhook requests that failed (network error, timeout or non-2xx status), retried or not.',
    registers: [this.registry],
  })
  /** What `tandem_webhook_queued` reads at each scrape. */
  #webhooks: { readonly queued: number } | null = null
  readonly webhookQueued: Gauge = new Gauge({
    name: 'tandem_webhook_queued',
    help: 'Webhook deliveries waiting to be sent, waiting for a retry, or in flight.',
    registers: [this.registry],
    collect: (): void => this.webhookQueued.set(this.#webhooks?.queued ?? 0),
  })

  /** Reports `webhooks.queued` as `tandem_webhook_queued`. */
  trackWebhooks(webhooks: { readonly queued: number }): void {
    this.#webhooks = webhooks
  }

  /** Counts one received frame. */
  received(frame: Uint8Array): void {
    const type = messageTypeOf(frame)
    this.#framesIn.set(type, (this.#framesIn.get(type) ?? 0) + 1)
    this.#bytesIn += frame.length
  }

  /** Counts one sent frame. */
  sent(frame: Uint8Array): void {
    const type = messageTypeOf(frame)
    this.#framesOut.set(type, (this.#framesOut.get(type) ?? 0) + 1)
    this.#bytesOut += frame.length
  }

  constructor() {
    // Process CPU, memory, file descriptors, GC, and event-loop lag.
    collectDefaultMetrics({ register: this.registry, prefix: 'tandem_' })
  }

  /** `store` with its appends and compactions timed, and what it sets aside counted. */
  instrument(store: DocStore): DocStore {
    const { appendSeconds, compactionSeconds, updatesSetAside } = this
    return new Proxy(store, {
      get(target, property) {
        if (property === 'append') {
          return (...args: Parameters<DocStore['append']>) => {
            const done = appendSeconds.startTimer()
            return target.append(...args).finally(done)
          }
        }
        if (property === 'compact') {
          return (
            name: string,
            snapshot: Uint8Array,
            throughSeq: number,
            setAside?: readonly SetAsideUpdate[],
          ) => {
            const done = compactionSeconds.startTimer()
            return target.compact(name, snapshot, throughSeq, setAside).finally(done)
          }
        }
        if (property === 'setAside') {
          return async (name: string, entries: readonly SetAsideUpdate[]) => {
            const added = await target.setAside(name, entries)
            updatesSetAside.inc(added)
            return added
          }
        }
        const value: unknown = Reflect.get(target, property)
        return typeof value === 'function' ? value.bind(target) : value
      },
    })
  }
}
