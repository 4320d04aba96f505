// Attack isolation (issue 13): other rooms' keystroke latency while one participant runs an
// attack made of well-formed protocol input, against the same figure just before the attack, in
// the same server process.
//
// Timeline of one run: a victim room (one stock writer typing every `intervalMs`, `receivers`
// raw receivers) and the attacked room (an ordinary typist, raw, typing every
// `typistIntervalMs` after writing the good text, and one raw receiver) are opened from
// 127.0.0.1. `warmup` keystrokes are typed unmeasured, `baseline` keystrokes measure the figure
// without the attack, then the attacker (its own address, 127.0.0.2, so that per-address limits
// see someone else) runs the attack while typing goes on; the attack window lasts until the
// attack's steps are done, at least `minAttackMs`, at most `maxAttackMs`. A fresh joiner of the
// attacked room (127.0.0.3) connects during the window. `/healthz` is asked every
// `probeEveryMs` throughout. After the window the joiner's bytes are applied to a fresh Y.Doc
// (untimed for the victims) to learn whether it got the good text.
import http from 'node:http'
import * as Y from 'yjs'
import { latencyPercentiles } from '../lib/stats.mjs'
import { AttackClient, httpGet, httpPostJson, STEP1, UPDATE } from './attack-client.mjs'
import * as hostile from './attack-updates.mjs'
import { openAll, RawClient, stockProvider, waitFor } from './protocol.mjs'

const ATTACKER = '127.0.0.2'
const JOINER = '127.0.0.3'
const GOOD_TEXT = 'The good text of the attacked room, which every attack must leave intact.\n'
/** Yjs client ids of the attacked room's participants (small: short varints). */
const TYPIST_CLIENT = 1001
const ATTACKER_CLIENT = 4242
const STRANGER_CLIENT = 0x0123_4567

/**
 * @typedef {{ attack: 'chain' | 'wide' | 'presence' | 'step1' | 'http', room: string,
 *   receivers: number, intervalMs: number, warmup: number, baseline: number,
 *   typistIntervalMs: number, minAttackMs: number, maxAttackMs: number, drainMs: number,
 *   joinAfterMs: number, joinTimeoutMs: number, probeEveryMs: number, viewLinks: boolean,
 *   chainDepth: number, wideRanges: number, presenceIds: number, queryAwarenessPerS: number,
 *   step1PerS: number, httpConcurrency: number, large?: { updateFile: string, size: number,
 *   firstRoot: string, firstRootLength: number } }} AttackParams
 */

const sleep = (/** @type {number} */ ms) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * @param {import('./protocol.mjs').Target} target
 * @param {AttackParams} params
 * @param {import('./worker.mjs').Harness} harness
 */
export async function run(target, params, harness) {
  const { receivers: count, intervalMs, warmup, baseline } = params
  const httpUrl = target.wsUrl.replace(/^ws/, 'http')
  const victimRoom = `${params.room}-victim`
  const attackedRoom = `${params.room}-attacked`
  const maxTyped = warmup + baseline + Math.ceil(params.maxAttackMs / intervalMs) + 10
  const typistCount = Math.ceil((maxTyped * intervalMs) / params.typistIntervalMs) + 50
  const extraTypistKeystrokes = 20

  // Victim room: latency per (keystroke, receiver), split by the phase the keystroke was typed in.
  const sentAt = new Float64Array(maxTyped)
  const phaseOf = new Uint8Array(maxTyped) // 0 warm-up, 1 baseline, 2 attack
  const lat = [
    new Float64Array(0),
    new Float64Array(baseline * count),
    new Float64Array(maxTyped * count),
  ]
  const samples = [0, 0, 0]
  const expected = [0, 0, 0]
  let writerClient = -1
  /** @param {number} index @param {number} atMs */
  const record = (index, atMs) => {
    const phase = phaseOf[index] ?? 0
    if (phase === 0 || sentAt[index] === 0) return
    const into = /** @type {Float64Array} */ (lat[phase])
    into[samples[phase]++] = atMs - /** @type {number} */ (sentAt[index])
  }
  const receivers = await openAll(count, 50, async () => {
    const client = new RawClient(target, victimRoom)
    client.onUpdate = (update, atMs) => {
      if (writerClient < 0) return
      const meta = Y.parseUpdateMeta(update)
      const from = meta.from.get(writerClient) ?? 0
      const to = meta.to.get(writerClient) ?? 0
      for (let clock = from; clock < to && clock < maxTyped; clock++) record(clock, atMs)
    }
    await client.ready
    return client
  })
  const writerDoc = new Y.Doc()
  const writerText = writerDoc.getText('codemirror')
  const writer = stockProvider(target, victimRoom, writerDoc)
  await writer.synced
  writerClient = writerDoc.clientID

  // Attacked room: the typist writes the good text, then types; one receiver measures it.
  const script = hostile.typistScript(GOOD_TEXT, typistCount + extraTypistKeystrokes, TYPIST_CLIENT)
  const typistSentAt = new Float64Array(typistCount)
  const typistPhase = new Uint8Array(typistCount)
  const typistLat = [[], [], []].map(() => /** @type {number[]} */ ([]))
  const typist = new RawClient(target, attackedRoom)
  await typist.ready
  typist.send(typist.frame(script.good))
  const watcher = new RawClient(target, attackedRoom)
  watcher.onUpdate = (update, atMs) => {
    const meta = Y.parseUpdateMeta(update)
    const from = meta.from.get(TYPIST_CLIENT) ?? 0
    const to = meta.to.get(TYPIST_CLIENT) ?? 0
    for (let clock = Math.max(from, GOOD_TEXT.length); clock < to; clock++) {
      const index = clock - GOOD_TEXT.length
      if (index >= typistCount || typistSentAt[index] === 0) continue
      typistLat[typistPhase[index] ?? 0]?.push(atMs - /** @type {number} */ (typistSentAt[index]))
    }
  }
  await watcher.ready

  // Attack 4's large document: pasted by the typist, then confirmed by a reader.
  if (params.large) {
    const { readFileSync } = await import('node:fs')
    const update = readFileSync(params.large.updateFile)
    typist.send(typist.frame(update))
    await confirmStored(target, attackedRoom, params.large.size * 0.9)
  }

  // A view-only link (Tandem: POST /api/docs/{name}/links with the open mode's edit access).
  /** @type {string | undefined} */
  let viewToken
  if (
    params.viewLinks &&
    (params.attack === 'presence' || params.attack === 'step1' || params.attack === 'http')
  ) {
    const answer = await httpPostJson(`${httpUrl}/api/docs/${attackedRoom}/links`)
    viewToken = answer.body?.view?.token
    if (!viewToken) throw new Error(`no view link: ${answer.status} ${JSON.stringify(answer.body)}`)
  }

  // Everything the attack sends, built before anything is measured.
  const bytes = buildAttackBytes(params)

  // /healthz throughout, one request at a time.
  /** @type {{ atMs: number, ms: number, status: number }[]} */
  const probes = []
  let probing = true
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  const prober = (async () => {
    while (probing) {
      const atMs = performance.now()
      const answer = await httpGet(`${httpUrl}/healthz`, { agent: probeAgent, timeoutMs: 5000 })
      probes.push({ atMs, ms: answer.ms, status: answer.status })
      await sleep(params.probeEveryMs)
    }
  })()

  await sleep(200)
  const marks = { baseMs: 0, attackMs: 0, attackEndMs: 0, endMs: 0 }
  /** @type {Promise<Record<string, unknown>> | null} */
  let attackDone = null
  /** @type {Record<string, unknown> | null} */
  let attackResult = null
  /** @type {{ client: AttackClient, startedMs: number } | null} */
  let joined = null
  const ctx = {
    target,
    httpUrl,
    room: attackedRoom,
    params,
    bytes,
    viewToken,
    join: () => {
      joined = {
        client: new AttackClient(target, attackedRoom, { localAddress: JOINER, keepUpdates: true }),
        startedMs: performance.now(),
      }
      return joined.client.synced.then(
        () => undefined,
        () => undefined,
      )
    },
  }

  const started = performance.now()
  let typistNext = 0
  let typed = 0
  for (let i = 0; i < maxTyped; i++) {
    const due = started + i * intervalMs
    const wait = due - performance.now()
    if (wait > 0) await sleep(wait)
    const now = performance.now()
    if (i === warmup) {
      marks.baseMs = now
      await harness.mark('base')
    }
    if (i === warmup + baseline) {
      marks.attackMs = performance.now()
      await harness.mark('attack')
      attackDone = runAttack(ctx).then((result) => {
        attackResult = result
        return result
      })
    }
    const phase = i < warmup ? 0 : i < warmup + baseline ? 1 : 2
    if (phase === 2) {
      const inAttackMs = now - marks.attackMs
      if (attackResult && inAttackMs >= params.minAttackMs) break
      if (inAttackMs >= params.maxAttackMs) break
    }
    phaseOf[i] = phase
    expected[phase] += count
    sentAt[i] = performance.now()
    writerText.insert(i, String.fromCharCode(97 + (i % 26)))
    typed = i + 1
    // The typist of the attacked room, at its own pace.
    while (typistNext < typistCount && started + typistNext * params.typistIntervalMs <= now) {
      typistPhase[typistNext] = phase
      typistSentAt[typistNext] = performance.now()
      typist.send(typist.frame(/** @type {Uint8Array} */ (script.keystrokes[typistNext])))
      typistNext++
    }
  }
  marks.attackEndMs = performance.now()
  await harness.mark('attack-end')
  const attackTimedOut = attackResult === null
  let drained = true
  try {
    await waitFor(
      () => samples[1] + samples[2] >= expected[1] + expected[2],
      params.drainMs,
      'every keystroke at every receiver',
    )
  } catch {
    drained = false
  }
  marks.endMs = performance.now()
  await harness.mark('end')
  probing = false
  await prober
  probeAgent.destroy()
  // Bounded: an attack that never finished is reported as such, not waited for.
  if (attackDone && !attackResult) {
    attackResult = await Promise.race([attackDone, sleep(2000).then(() => null)])
  }

  // After the window: what did the joiner get?
  /** @type {any} */
  const joinerReport = joined
    ? await joinerOutcome(joined, params, script, typistNext, extraTypistKeystrokes)
    : { outcome: 'never joined' }

  const base = latencyPercentiles(lat[1].subarray(0, samples[1]))
  const during = latencyPercentiles(lat[2].subarray(0, samples[2]))
  const typistBase = latencyPercentiles(typistLat[1])
  const typistDuring = latencyPercentiles(typistLat[2])
  let typistSentInAttack = 0
  for (let i = 0; i < typistNext; i++) if (typistPhase[i] === 2) typistSentInAttack++
  const probeIn = (/** @type {number} */ from, /** @type {number} */ to) =>
    probes.filter((p) => p.atMs >= from && p.atMs < to)
  const probesBase = probeIn(marks.baseMs, marks.attackMs)
  const probesAttack = probeIn(marks.attackMs, marks.endMs)
  const maxMs = (/** @type {{ ms: number }[]} */ list) =>
    list.length ? Math.max(...list.map((p) => p.ms)) : Number.NaN
  const failedProbes = probesAttack.filter((p) => p.status !== 200).length

  writer.destroy()
  for (const client of [...receivers, typist, watcher]) client.close()
  /** @type {AttackClient | null} */
  const joiner = /** @type {any} */ (joined)?.client ?? null
  joiner?.close()

  return {
    metrics: {
      baseP50Ms: base.p50,
      baseP99Ms: base.p99,
      attackP50Ms: during.p50,
      attackP99Ms: during.p99,
      attackMaxMs: during.max,
      healthBaseMaxMs: maxMs(probesBase),
      healthMaxMs: maxMs(probesAttack),
      attackedBaseP99Ms: typistBase.p99,
      attackedP99Ms: typistDuring.p99,
      joinMs: joinerReport.syncMs ?? Number.NaN,
      attackWindowS: (marks.attackEndMs - marks.attackMs) / 1000,
    },
    lost: expected[1] + expected[2] - samples[1] - samples[2],
    drained,
    typed,
    failedProbes,
    probesInAttack: probesAttack.length,
    attackTimedOut,
    typistSentInAttack,
    typistArrivedInAttack: typistLat[2]?.length ?? 0,
    attack: attackResult ?? { outcome: 'did not finish' },
    joiner: joinerReport,
    converged: drained,
  }
}

/**
 * Opens readers of `room` until one is sent a document of at least `minBytes` (a large paste
 * has been stored and applied).
 * @param {import('./protocol.mjs').Target} target @param {string} room @param {number} minBytes
 */
async function confirmStored(target, room, minBytes) {
  const deadline = performance.now() + 20_000
  for (;;) {
    const reader = new AttackClient(target, room, { keepUpdates: true })
    try {
      await reader.synced
      const got = reader.updates.reduce((sum, u) => sum + u.length, 0)
      if (got >= minBytes) return
    } finally {
      reader.close()
    }
    if (performance.now() > deadline)
      throw new Error(`the large document did not arrive in ${room}`)
    await sleep(200)
  }
}

/** @param {AttackParams} params */
function buildAttackBytes(params) {
  switch (params.attack) {
    case 'chain':
      return {
        chain: hostile.nestedChainUpdate(params.chainDepth, ATTACKER_CLIENT).update,
        remove: hostile.deleteSetUpdate(ATTACKER_CLIENT, [0]),
      }
    case 'wide':
      return { wide: hostile.wideDeleteSetUpdate(params.wideRanges, ATTACKER_CLIENT) }
    case 'presence':
      return { presence: hostile.awarenessFloodUpdate(params.presenceIds) }
    case 'step1':
      return { stateVector: hostile.strangerStateVector(STRANGER_CLIENT) }
    default:
      return {}
  }
}

/**
 * How the attacker's connection ended, or that it is still open.
 * @param {AttackClient} attacker
 * @param {number} sinceMs
 */
function attackerOutcome(attacker, sinceMs) {
  if (attacker.ended === null) return 'kept open'
  return `${attacker.ended} after ${Math.round(attacker.endedAtMs - sinceMs)} ms`
}

/**
 * Runs the attack; resolves with what the attacker saw. Joins the attacked room with a fresh
 * client in the middle (`ctx.join`).
 * @param {any} ctx
 * @returns {Promise<Record<string, unknown>>}
 */
async function runAttack(ctx) {
  const { target, room, params, bytes, viewToken } = ctx
  const startedMs = performance.now()
  const joinBounded = () => Promise.race([ctx.join(), sleep(params.joinTimeoutMs)])
  if (params.attack === 'http') return httpAttack(ctx, joinBounded)
  const attacker = new AttackClient(target, room, { localAddress: ATTACKER, token: viewToken })
  try {
    await Promise.race([attacker.synced, sleep(5000)])
  } catch {
    // refused or closed: reported below
  }
  if (attacker.ended !== null) {
    await joinBounded()
    return { outcome: `attacker ${attacker.ended}`, attacker: attackerOutcome(attacker, startedMs) }
  }

  /** @type {Record<string, unknown>} */
  const extra = {}
  switch (params.attack) {
    case 'chain': {
      attacker.send(attacker.syncFrame(UPDATE, bytes.chain))
      attacker.send(attacker.syncFrame(UPDATE, bytes.remove))
      extra.sentBytes = bytes.chain.length + bytes.remove.length
      await attacker.flushed()
      await sleep(params.joinAfterMs)
      await joinBounded()
      break
    }
    case 'wide': {
      attacker.send(attacker.syncFrame(UPDATE, bytes.wide))
      extra.sentBytes = bytes.wide.length
      await attacker.flushed()
      await sleep(params.joinAfterMs)
      await joinBounded()
      break
    }
    case 'presence': {
      attacker.send(attacker.awarenessFrame(bytes.presence))
      extra.sentBytes = bytes.presence.length
      let queries = 0
      const everyMs = 1000 / params.queryAwarenessPerS
      const joining = sleep(params.joinAfterMs).then(joinBounded)
      while (performance.now() - startedMs < params.minAttackMs && attacker.ended === null) {
        attacker.send(attacker.queryAwarenessFrame())
        queries++
        await sleep(everyMs)
      }
      await joining
      extra.queries = queries
      // Let the answers arrive (bounded).
      await sleep(500)
      break
    }
    case 'step1': {
      const frame = attacker.syncFrame(STEP1, bytes.stateVector)
      extra.frameBytes = frame.length
      let sent = 0
      const joining = sleep(params.joinAfterMs).then(joinBounded)
      const sendStarted = performance.now()
      while (performance.now() - startedMs < params.minAttackMs && attacker.ended === null) {
        const due = Math.floor(((performance.now() - sendStarted) / 1000) * params.step1PerS)
        for (; sent < due; sent++) attacker.send(frame)
        await sleep(10)
      }
      await joining
      extra.step1Sent = sent
      const step2sBefore = 1 // the handshake's answer
      try {
        await waitFor(
          () => attacker.ended !== null || attacker.step2s >= sent + step2sBefore,
          2000,
          'answers to every step 1',
        )
      } catch {
        // fewer answers: reported
      }
      extra.step1Answered = attacker.step2s - step2sBefore
      break
    }
  }
  extra.receivedMiB = attacker.bytesIn / 2 ** 20
  extra.attacker = attackerOutcome(attacker, startedMs)
  attacker.close()
  return extra
}

/**
 * Attack 4b: `httpConcurrency` GET /api/docs/{name}/text requests kept in flight with a view
 * link from the attacker's address for `minAttackMs`.
 * @param {any} ctx @param {() => Promise<unknown>} joinBounded
 */
async function httpAttack(ctx, joinBounded) {
  const { params, httpUrl, room, viewToken } = ctx
  const startedMs = performance.now()
  const agent = new http.Agent({ keepAlive: true, maxSockets: params.httpConcurrency })
  /** @type {Record<string, number>} */
  const statuses = {}
  /** @type {number[]} */
  const okMs = []
  const url = `${httpUrl}/api/docs/${encodeURIComponent(room)}/text`
  const one = async () => {
    while (performance.now() - startedMs < params.minAttackMs) {
      const answer = await httpGet(url, {
        agent,
        localAddress: ATTACKER,
        headers: viewToken ? { authorization: `Bearer ${viewToken}` } : {},
        timeoutMs: 15_000,
      })
      const key = answer.status ? String(answer.status) : 'error'
      statuses[key] = (statuses[key] ?? 0) + 1
      if (answer.status === 200) okMs.push(answer.ms)
      // A refused request is retried at once, as an attacker would; a 429 says when.
      if (answer.status !== 200) await sleep(10)
    }
  }
  const joining = sleep(params.joinAfterMs).then(joinBounded)
  await Promise.all(Array.from({ length: params.httpConcurrency }, one))
  await joining
  agent.destroy()
  const sorted = okMs.sort((a, b) => a - b)
  return {
    statuses,
    requests: Object.values(statuses).reduce((a, b) => a + b, 0),
    textMsMedian: sorted.length ? sorted[sorted.length >> 1] : null,
    attacker: 'HTTP only',
  }
}

/**
 * What the fresh joiner got, applied to a fresh Y.Doc now that nothing is measured.
 * @param {{ client: AttackClient, startedMs: number }} joined
 * @param {AttackParams} params
 * @param {{ keystrokes: Uint8Array[] }} script
 * @param {number} typistSent keystrokes the typist sent
 * @param {number} extra keystrokes kept unsent for the client-side cost
 */
async function joinerOutcome(joined, params, script, typistSent, extra) {
  const { client, startedMs } = joined
  if (Number.isNaN(client.syncedAtMs)) {
    return {
      outcome: client.ended ?? `no answer in ${params.joinTimeoutMs} ms`,
      bytesIn: client.bytesIn,
    }
  }
  const syncMs = client.syncedAtMs - startedMs
  const doc = new Y.Doc()
  /** @type {Record<string, unknown>} */
  const report = { syncMs, bytesIn: client.bytesIn, awarenessFrames: client.awarenessFrames }
  try {
    const applyStarted = performance.now()
    doc.transact(() => {
      for (const update of client.updates) Y.applyUpdate(doc, update)
    })
    report.applyMs = performance.now() - applyStarted
    const text = doc.getText('codemirror').toString()
    const goodText = text.includes(GOOD_TEXT)
    const large = params.large
    const largeOk = large ? doc.getText(large.firstRoot).length === large.firstRootLength : true
    report.goodText = goodText && largeOk
    report.outcome = goodText && largeOk ? 'good text' : 'text lost'
    // What a client pays per remote keystroke in that state (attack 2 leaves pending deletes).
    const more = script.keystrokes.slice(typistSent, typistSent + extra)
    const keystrokeStarted = performance.now()
    for (const update of more) Y.applyUpdate(doc, update)
    report.clientKeystrokeMs = more.length
      ? (performance.now() - keystrokeStarted) / more.length
      : null
  } catch (err) {
    report.goodText = false
    report.outcome = `client throws ${String(err).split('\n')[0]?.slice(0, 60)}`
  }
  return report
}
