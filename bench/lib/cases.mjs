// What is measured: every scenario of issue 6, with its parameters in full and quick mode.

/**
 * @typedef {{ key: string, label: string, better: 'lower' | 'higher', digits: number }} Metric
 * @typedef {{ id: string, group: string, title: string, scenario: string, servers: string[],
 *   params: (run: { room: string, cacheDir: string, large: { updateFile: string, textFile: string } }) => Record<string, unknown>,
 *   metrics: Metric[], timeoutMs: number, reps?: number, storage?: boolean }} Case
 */

const PEERS = ['tandem', 'reference', 'hocuspocus']
/** Where durability's cost shows: the same figures with Tandem's persistence off, and the floor. */
const WITH_DURABILITY = ['tandem', 'tandem-memory', 'reference', 'hocuspocus', 'relay']
/** Issue 16: Tandem and Hocuspocus, both driven by clients of the Hocuspocus protocol. */
const HOCUSPOCUS_CLIENTS = ['tandem-hp', 'hocuspocus']
/**
 * @param {{ quick: boolean, tracesDir: string }} options
 * @returns {Case[]}
 */
/** Keystrokes typed before a fan-out is measured: a server's first pass through its code. */
const FANOUT_WARMUP = 50

export function buildCases({ quick, tracesDir }) {
  /** @type {Case[]} */
  const cases = []

  cases.push({
    id: 'floor-echo',
    group: 'Floor',
    title: 'raw ws echo round trip, 32-byte message',
    scenario: 'echo',
    servers: ['relay'],
    params: () => ({ messages: quick ? 3000 : 20000, bytes: 32, timeoutMs: 30_000 }),
    metrics: [
      { key: 'rttP50Us', label: 'round trip p50 (µs)', better: 'lower', digits: 0 },
      { key: 'rttP99Us', label: 'round trip p99 (µs)', better: 'lower', digits: 0 },
    ],
    timeoutMs: 60_000,
  })

  for (const receivers of quick ? [10, 200] : [2, 10, 50, 200]) {
    cases.push({
      id: `fanout-${receivers}`,
      group: 'Fan-out latency',
      title: `one writer typing every 10 ms, ${receivers} receivers`,
      scenario: 'fanout',
      servers: WITH_DURABILITY,
      params: ({ room }) => ({
        receivers,
        keystrokes: quick ? 100 : 300,
        warmup: FANOUT_WARMUP,
        intervalMs: 10,
        room,
      }),
      metrics: [
        { key: 'p50Ms', label: `${receivers} receivers: p50 (ms)`, better: 'lower', digits: 2 },
        { key: 'p95Ms', label: `${receivers} receivers: p95 (ms)`, better: 'lower', digits: 2 },
        { key: 'p99Ms', label: `${receivers} receivers: p99 (ms)`, better: 'lower', digits: 2 },
      ],
      timeoutMs: 60_000,
    })
  }

  // Issue 4: while one client floods another room, the others' latency should stay within 2x.
  for (const flood of [false, true]) {
    const label = flood ? 'with a flood' : 'no flood'
    cases.push({
      id: flood ? 'flood-on' : 'flood-off',
      group: 'Flood',
      title: `one writer typing every 10 ms to 10 receivers, ${flood ? 'while a client of another room sends updates as fast as it can' : 'the same without the flood'}`,
      scenario: 'fanout',
      servers: ['tandem-defaults', 'reference', 'hocuspocus'],
      params: ({ room }) => ({
        receivers: 10,
        keystrokes: quick ? 100 : 300,
        warmup: FANOUT_WARMUP,
        intervalMs: 10,
        room,
        flood,
      }),
      metrics: [
        { key: 'p50Ms', label: `${label}: p50 (ms)`, better: 'lower', digits: 2 },
        { key: 'p99Ms', label: `${label}: p99 (ms)`, better: 'lower', digits: 2 },
      ],
      timeoutMs: 90_000,
    })
  }

  cases.push({
    id: 'throughput',
    group: 'Throughput',
    title: '50 rooms × (1 writer + 3 decode-only receivers), writers as fast as the server allows',
    scenario: 'throughput',
    servers: WITH_DURABILITY,
    params: ({ room }) => ({
      rooms: 50,
      receivers: 3,
      depth: 8,
      warmupMs: quick ? 500 : 1000,
      windowMs: quick ? 2000 : 4000,
      maxUpdates: 20000,
      roomPrefix: room,
    }),
    metrics: [
      { key: 'deliveredPerS', label: 'delivered updates/s', better: 'higher', digits: 0 },
      {
        key: 'serverUsPerUpdate',
        label: 'server CPU µs per delivered update',
        better: 'lower',
        digits: 2,
      },
      { key: 'serverCpuPct', label: 'server CPU (% of its core)', better: 'lower', digits: 0 },
      {
        key: 'clientCpuPct',
        label: 'load generator CPU (% of its core)',
        better: 'lower',
        digits: 0,
      },
    ],
    timeoutMs: 90_000,
  })

  // Issue 16: the same fan-out and throughput with Hocuspocus-protocol clients, Tandem (at path
  // `/` of its port) beside the Hocuspocus server. The y-websocket figures are the cases above.
  const throughputCase = /** @type {Case} */ (cases.find((c) => c.id === 'throughput'))
  for (const receivers of [10, 200]) {
    const fanout = /** @type {Case} */ (cases.find((c) => c.id === `fanout-${receivers}`))
    cases.push({
      ...fanout,
      id: `fanout-hp-${receivers}`,
      group: 'Hocuspocus clients',
      title: `${fanout.title}; Hocuspocus protocol`,
      servers: HOCUSPOCUS_CLIENTS,
      metrics: fanout.metrics.map((metric) => ({
        ...metric,
        label: `fan-out, ${metric.label}`,
      })),
    })
  }
  cases.push({
    ...throughputCase,
    id: 'throughput-hp',
    group: 'Hocuspocus clients',
    title: `${throughputCase.title}; Hocuspocus protocol`,
    servers: HOCUSPOCUS_CLIENTS,
    metrics: throughputCase.metrics.map((metric) => ({
      ...metric,
      label: `throughput: ${metric.label}`,
    })),
  })

  cases.push({
    id: 'memory-idle',
    group: 'Memory',
    title: quick
      ? '200 idle stock clients over 20 rooms'
      : '1,000 idle stock clients over 100 rooms',
    scenario: 'memory',
    servers: PEERS,
    params: ({ room }) => ({
      connections: quick ? 200 : 1000,
      rooms: quick ? 20 : 100,
      roomPrefix: room,
      settleMs: 1000,
    }),
    metrics: [
      { key: 'rssPerConnKB', label: 'RSS per idle connection (KB)', better: 'lower', digits: 1 },
      { key: 'heapPerConnKB', label: 'heap per idle connection (KB)', better: 'lower', digits: 1 },
    ],
    timeoutMs: 120_000,
  })

  // Issue 17: everyone idle at the scale of a busy node. A process may hold 20,000 open files
  // on these machines (a hard limit), so the server gets 19,500 connections and keeps the rest.
  cases.push({
    id: 'memory-idle-20k',
    group: 'Memory',
    title: `${quick ? '5,000' : '19,500'} idle raw clients (synced, one presence each) over ${quick ? 500 : 1950} rooms, read after 10 s of quiet`,
    scenario: 'memory',
    servers: PEERS,
    params: ({ room }) => ({
      connections: quick ? 5000 : 19_500,
      rooms: quick ? 500 : 1950,
      roomPrefix: room,
      settleMs: 10_000,
      raw: true,
    }),
    metrics: [
      { key: 'connsPerGiB', label: 'idle connections per GiB of RSS', better: 'higher', digits: 0 },
      { key: 'rssPerConnKB', label: 'RSS per idle connection (KB)', better: 'lower', digits: 1 },
      { key: 'heapPerConnKB', label: 'heap per idle connection (KB)', better: 'lower', digits: 1 },
      { key: 'rssMB', label: 'server RSS with them all open (MB)', better: 'lower', digits: 0 },
    ],
    timeoutMs: 300_000,
  })

  cases.push({
    id: 'coldload',
    group: 'Large document',
    title: 'automerge-paper (whole editing history) loaded by a fresh client',
    scenario: 'coldload',
    servers: PEERS,
    params: ({ room, large }) => ({
      docs: quick ? 1 : 3,
      loadedSamples: quick ? 3 : 3,
      updateFile: large.updateFile,
      textFile: large.textFile,
      roomPrefix: room,
      timeoutMs: 30_000,
    }),
    metrics: [
      {
        key: 'coldMs',
        label: 'cold load from storage after restart (ms)',
        better: 'lower',
        digits: 1,
      },
      { key: 'loadedMs', label: 'load from a loaded room (ms)', better: 'lower', digits: 1 },
      {
        key: 'stockLoadedMs',
        label: 'stock client, loaded room, decode included (ms)',
        better: 'lower',
        digits: 0,
      },
      { key: 'rssPerDocMB', label: 'RSS per loaded document (MB)', better: 'lower', digits: 2 },
      { key: 'heapPerDocMB', label: 'heap per loaded document (MB)', better: 'lower', digits: 2 },
    ],
    timeoutMs: 180_000,
  })

  // Issue 18: what attribution costs, on the automerge-paper replay (one message per edit): server
  // CPU per delivered update and the bytes stored once the server has stopped (and compacted).
  cases.push({
    id: 'attribution-automerge-paper',
    group: 'Attribution',
    title: 'automerge-paper replayed one message per edit, with and without attribution',
    scenario: 'replay',
    servers: ['tandem', 'tandem-authors-only', 'tandem-no-attribution'],
    storage: true,
    params: ({ room }) => ({
      trace: `${tracesDir}/${quick ? 'sveltecomponent' : 'automerge-paper'}.json.gz`,
      mode: 'keystroke',
      batch: 100,
      room,
      timeoutMs: 90_000,
    }),
    metrics: [
      {
        key: 'serverUsPerUpdate',
        label: 'server CPU µs per delivered update',
        better: 'lower',
        digits: 2,
      },
      { key: 'storedKB', label: 'stored for the document (KB)', better: 'lower', digits: 1 },
      { key: 'attributionKB', label: 'of which attribution (KB)', better: 'lower', digits: 1 },
      { key: 'versionsKB', label: 'versions (KB)', better: 'lower', digits: 1 },
      { key: 'totalS', label: 'replay total (s)', better: 'lower', digits: 2 },
    ],
    timeoutMs: 150_000,
  })

  const traces = quick
    ? ['sveltecomponent']
    : [
        'sveltecomponent',
        'clownschool_flat',
        'friendsforever_flat',
        'friendsforever-concurrent',
        'rustcode',
        'seph-blog1',
        'automerge-paper',
      ]
  const modes = quick ? ['batch'] : ['batch', 'keystroke']
  for (const mode of modes) {
    for (const trace of traces) {
      const replayTimeoutMs = quick ? 60_000 : 90_000
      cases.push({
        id: `replay-${trace}-${mode}`,
        group: mode === 'batch' ? 'Replay, batches of 100 edits' : 'Replay, one message per edit',
        title: `${trace} (${mode === 'batch' ? 'batches of 100' : 'one message per edit'})`,
        scenario: 'replay',
        servers: PEERS,
        params: ({ room }) => ({
          trace: `${tracesDir}/${trace}.json.gz`,
          mode,
          batch: 100,
          room,
          timeoutMs: replayTimeoutMs,
        }),
        metrics: [
          { key: 'totalS', label: `${trace}: total (s)`, better: 'lower', digits: 2 },
          {
            key: 'totalOverSend',
            label: `${trace}: total ÷ send time`,
            better: 'lower',
            digits: 2,
          },
        ],
        timeoutMs: replayTimeoutMs + 60_000,
      })
    }
  }
  return cases
}
