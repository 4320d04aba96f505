import { inspectUpdate, type StructInfo, StructKind } from '@tandem/protocol'

/** What a room accepts of a well-formed update (SPEC U1–U4). */
export interface UpdateLimits {
  /** Deepest nesting of shared types; a root type (`doc.getText(…)`) is depth 1. */
  maxTypeDepth: number
  /** Most ranges one update's delete set may name. */
  maxDeleteRanges: number
  /** Root types items may be written in; `null`: any. */
  rootTypes: ReadonlySet<string> | null
}

/**
 * What {@link DocStructure.judge} found: the update may be applied (`ready`, with what to
 * {@link DocStructure.record}), is refused (`refused`: why), or depends on content the document
 * lacks (`needs`: for each client, the clock the document must reach first).
 */
export type Verdict =
  | {
      readonly kind: 'ready'
      readonly structs: readonly Recorded[]
      /** For each client whose content the update refers to, the highest clock it names. */
      readonly refs: ReadonlyMap<number, number>
    }
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'pending'; readonly needs: ReadonlyMap<number, number> }

/** A struct of an update, with what it would add to the document. */
interface Struct {
  kind: StructKind
  client: number
  clock: number
  length: number
  originClient: number
  originClock: number
  rightClient: number
  rightClock: number
  parentRoot: string | null
  parentClient: number
  parentClock: number
  isType: boolean
  /** The struct's {@link Runs} value once resolved, else -1. */
  value: number
}

/** Clocks `from` to `to` (exclusive) of `client` hold structs of {@link Runs} value `value`. */
interface Recorded {
  client: number
  from: number
  to: number
  value: number
}

// A run's value packs the depth of the type its structs are in (0: none, the struct is garbage
// collected when integrated) and whether the struct is a type itself.
const runValue = (depth: number, isType: boolean) => depth * 2 + (isType ? 1 : 0)
const depthOf = (value: number) => value >> 1
const isTypeValue = (value: number) => (value & 1) === 1

/**
 * One client's structs in the document, from clock 0 to `end`, as runs of equal value: in a
 * text document all of a client's characters are one run, whatever their number.
 */
class Runs {
  readonly starts: number[] = []
  readonly values: number[] = []
  end = 0

  at(clock: number): number {
    const { starts } = this
    let lo = 0
    let hi = starts.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if ((starts[mid] as number) <= clock) lo = mid
      else hi = mid - 1
    }
    return this.values[lo] as number
  }

  push(from: number, to: number, value: number): void {
    if (to <= this.end || from > this.end) return
    if (this.values[this.values.length - 1] !== value) {
      this.starts.push(this.end)
      this.values.push(value)
    }
    this.end = to
  }
}

/** A min-heap of clients waiting for a clock of one client, keyed by that clock. */
class Waiters {
  readonly #clocks: number[] = []
  readonly #clients: number[] = []

  /** The smallest clock waited for, if any. */
  min(): number | undefined {
    return this.#clocks[0]
  }

  push(clock: number, client: number): void {
    const clocks = this.#clocks
    const clients = this.#clients
    let i = clocks.length
    clocks.push(clock)
    clients.push(client)
    while (i > 0) {
      const parent = (i - 1) >> 1
      if ((clocks[parent] as number) <= clock) break
      clocks[i] = clocks[parent] as number
      clients[i] = clients[parent] as number
      i = parent
    }
    clocks[i] = clock
    clients[i] = client
  }

  /** Removes and returns the clients waiting for a clock below `frontier`. */
  popBelow(frontier: number, out: number[]): void {
    const clocks = this.#clocks
    const clients = this.#clients
    while (clocks.length > 0 && (clocks[0] as number) < frontier) {
      out.push(clients[0] as number)
      const lastClock = clocks.pop() as number
      const lastClient = clients.pop() as number
      if (clocks.length === 0) break
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        if (left >= clocks.length) break
        const right = left + 1
        const child =
          right < clocks.length && (clocks[right] as number) < (clocks[left] as number)
            ? right
            : left
        if ((clocks[child] as number) >= lastClock) break
        clocks[i] = clocks[child] as number
        clients[i] = clients[child] as number
        i = child
      }
      clocks[i] = lastClock
      clients[i] = lastClient
    }
  }
}

/**
 * What a server needs to know of a document's structure to judge an update without building a
 * `Y.Doc`: for every client, how far its clock goes and, by runs, the depth of the type its
 * structs are in. It answers what Yjs would do with an update: integrate it (and how deep its
 * types would nest), or keep part of it pending because content it depends on is missing.
 */
export class DocStructure {
  readonly #clients = new Map<number, Runs>()

  /** The structure of a whole document (an update from an empty state), as Yjs integrates it. */
  static of(update: Uint8Array): DocStructure {
    const structure = new DocStructure()
    structure.add(update)
    return structure
  }

  /** The clock after the last struct of `client` the document holds. */
  clockOf(client: number): number {
    return this.#clients.get(client)?.end ?? 0
  }

  /** Whether the document holds everything `needs` names. */
  satisfies(needs: ReadonlyMap<number, number>): boolean {
    for (const [client, clock] of needs) if (this.clockOf(client) < clock) return false
    return true
  }

  /**
   * Adds what Yjs would integrate of `update`, an update of the document's own (stored, or
   * judged elsewhere) that is not checked against limits. What it depends on but the document
   * lacks is left out, as Yjs leaves it pending.
   */
  add(update: Uint8Array): void {
    const verdict = this.#judge(update, null)
    if (verdict.kind === 'ready') this.record(verdict)
  }

  /**
   * Judges `update` (which is also validated: throws `ProtocolError` if it is not well formed)
   * against `limits` and the document's structure. Changes nothing: see {@link record}.
   */
  judge(update: Uint8Array, limits: UpdateLimits): Verdict {
    return this.#judge(update, limits)
  }

  /** Adds the structs of an update judged `ready`. Call before anything else is judged. */
  record(verdict: Extract<Verdict, { kind: 'ready' }>): void {
    for (const { client, from, to, value } of verdict.structs) {
      let runs = this.#clients.get(client)
      if (!runs) {
        runs = new Runs()
        this.#clients.set(client, runs)
      }
      runs.push(from, to, value)
    }
  }

  /**
   * Integrates `update` as Yjs would, struct by struct in an order that respects every
   * dependency (a client's structs in clock order; an item after the items it is placed next to
   * and the type it is in), resolving each struct's depth from the ones before it. With `limits`
   * `null` (a trusted update), nothing is refused and what cannot be integrated is left out.
   */
  #judge(update: Uint8Array, limits: UpdateLimits | null): Verdict {
    const structs: Struct[] = []
    // Each client's structs, as a range of `structs`; Yjs writes a client once per update.
    const blocks = new Map<number, { start: number; end: number }>()
    let repeated = -1
    let deleteRanges = 0
    const deletedTo = new Map<number, number>()
    const refs = new Map<number, number>()
    const refer = (client: number, clock: number) => {
      if (clock >= 0 && clock >= (refs.get(client) ?? -1)) refs.set(client, clock)
    }
    // Yjs writes each client's deletions once, as ascending, disjoint, non-empty ranges; other
    // shapes it re-encodes wrongly when it keeps them pending (a negative delta becomes a huge
    // clock, an empty range throws).
    let badDeletes: string | null = null
    let dsClient = -1
    let dsEnd = 0
    let outside: string | null = null
    const rootTypes = limits?.rootTypes
    inspectUpdate(update, {
      struct(s: StructInfo) {
        // Yjs creates a named root type when it reads the item, whether it integrates it or not.
        if (rootTypes && s.parentRoot !== null && !rootTypes.has(s.parentRoot)) {
          outside ??= s.parentRoot
        }
        const block = blocks.get(s.client)
        if (block && block.end === structs.length) block.end++
        else if (block) repeated = s.client
        else blocks.set(s.client, { start: structs.length, end: structs.length + 1 })
        structs.push({ ...s, value: -1 })
        refer(s.client, s.clock - 1) // the client's clocks before it
        if (s.originClient !== s.client) refer(s.originClient, s.originClock)
        if (s.rightClient !== s.client) refer(s.rightClient, s.rightClock)
        if (s.parentClient !== s.client) refer(s.parentClient, s.parentClock)
      },
      deleteRange(client, clock, length) {
        deleteRanges++
        if (client !== dsClient) {
          if (deletedTo.has(client)) badDeletes ??= `its delete set names client ${client} twice`
          dsClient = client
          dsEnd = 0
        }
        if (length === 0 || clock < dsEnd) {
          badDeletes ??= `its deletions of client ${client} are not ascending, disjoint ranges`
        }
        dsEnd = clock + length
        deletedTo.set(client, dsEnd)
        refer(client, dsEnd - 1)
      },
    })
    if (limits) {
      if (repeated >= 0) return refused(`it writes client ${repeated} twice`)
      if (badDeletes !== null) return refused(badDeletes)
      if (outside !== null) {
        return refused(
          `it writes in root type ${JSON.stringify(outside)}, which this server does not allow`,
        )
      }
      if (deleteRanges > limits.maxDeleteRanges) {
        return refused(
          `its delete set has ${deleteRanges} ranges (at most ${limits.maxDeleteRanges})`,
        )
      }
    }

    // Where each client of the update stands: the clock up to which its structs are integrated,
    // and the next struct of its block to integrate.
    const frontier = new Map<number, number>()
    const next = new Map<number, number>()
    const waiting = new Map<number, Waiters>()
    const needs = new Map<number, number>()
    const need = (client: number, clock: number) =>
      needs.set(client, Math.max(needs.get(client) ?? 0, clock))
    const clockOf = (client: number) => frontier.get(client) ?? this.clockOf(client)
    const valueAt = (client: number, clock: number): number => {
      const runs = this.#clients.get(client)
      if (runs && clock < runs.end) return runs.at(clock)
      return (structAt(structs, blocks, client, clock) as Struct).value
    }

    const queue: number[] = []
    for (const [client, { start }] of blocks) {
      frontier.set(client, this.clockOf(client))
      next.set(client, start)
      queue.push(client)
    }
    const woken: number[] = []
    let refusal: string | null = null

    integrate: while (queue.length > 0) {
      const client = queue.pop() as number
      const { end } = blocks.get(client) as { end: number }
      let i = next.get(client) as number
      for (; i < end; i++) {
        const s = structs[i] as Struct
        // Yjs skips a Skip; the struct after it then finds its clocks missing.
        if (s.kind === StructKind.Skip) continue
        const reached = frontier.get(client) as number
        if (s.clock > reached) {
          // A gap in the client's clocks: only the client itself can fill it.
          need(client, s.clock)
          break
        }
        if (s.kind === StructKind.Item) {
          // Yjs looks for an item's neighbours and type even if it holds the item already.
          const missing = missingDependency(s, clockOf)
          if (missing === SELF_LATER) {
            refusal = `item ${s.client}:${s.clock} is in a type its client wrote later`
            break integrate
          }
          if (missing !== null) {
            const [depClient, depClock] = missing
            let heap = waiting.get(depClient)
            if (!heap) {
              heap = new Waiters()
              waiting.set(depClient, heap)
            }
            heap.push(depClock, client)
            break
          }
        }
        if (s.clock + s.length <= reached) continue // the document has it already
        let depth: number
        if (s.clock < reached) {
          // The rest of a struct the document holds in part: Yjs places it after that part.
          depth = depthOf(valueAt(client, reached - 1))
        } else if (s.kind === StructKind.GC) {
          depth = 0
        } else {
          depth = containerDepth(s, valueAt)
          if (limits && s.isType && depth > 0 && depth + 1 > limits.maxTypeDepth) {
            refusal = `item ${s.client}:${s.clock} nests types ${depth + 1} deep (at most ${limits.maxTypeDepth})`
            break integrate
          }
        }
        s.value = runValue(depth, s.isType && depth > 0)
        frontier.set(client, s.clock + s.length)
        waiting.get(client)?.popBelow(s.clock + s.length, woken)
        for (const w of woken) queue.push(w)
        woken.length = 0
      }
      next.set(client, i)
    }
    if (refusal !== null) return refused(refusal)

    // What is still waiting waits for clocks this update does not bring (or brings only after
    // it, in a cycle that Yjs leaves pending too): the document must have them first.
    for (const [depClient, heap] of waiting) {
      const clock = heap.min()
      if (clock !== undefined) need(depClient, clock + 1)
    }
    for (const [client, to] of deletedTo) if (to > clockOf(client)) need(client, to)
    if (needs.size > 0 && limits) return { kind: 'pending', needs }

    const recorded: Recorded[] = []
    for (const [client, { start }] of blocks) {
      const from = this.clockOf(client)
      const stop = next.get(client) as number
      for (let i = start; i < stop; i++) {
        const s = structs[i] as Struct
        if (s.value < 0) continue
        recorded.push({
          client,
          from: Math.max(from, s.clock),
          to: s.clock + s.length,
          value: s.value,
        })
      }
    }
    return { kind: 'ready', structs: recorded, refs }
  }
}

function refused(reason: string): Verdict {
  return { kind: 'refused', reason }
}

const SELF_LATER = 'self-later'

/**
 * The first ID `s` depends on (of another client) that is not integrated yet, as Yjs's
 * `Item.getMissing` checks them; {@link SELF_LATER} for a type of its own client not written
 * before it (Yjs would fail to find it); else `null`.
 */
function missingDependency(
  s: Struct,
  clockOf: (client: number) => number,
): readonly [number, number] | typeof SELF_LATER | null {
  if (
    s.originClock >= 0 &&
    s.originClient !== s.client &&
    s.originClock >= clockOf(s.originClient)
  ) {
    return [s.originClient, s.originClock]
  }
  if (s.rightClock >= 0 && s.rightClient !== s.client && s.rightClock >= clockOf(s.rightClient)) {
    return [s.rightClient, s.rightClock]
  }
  if (s.parentClock >= 0) {
    if (s.parentClient === s.client) return s.parentClock >= s.clock ? SELF_LATER : null
    if (s.parentClock >= clockOf(s.parentClient)) return [s.parentClient, s.parentClock]
  }
  return null
}

/**
 * The depth of the type item `s` is in, as Yjs finds its parent (`Item.getMissing`): next to a
 * garbage-collected struct it has none; otherwise its left neighbour's, else its right
 * neighbour's, else the root type or the type item it names.
 */
function containerDepth(s: Struct, valueAt: (client: number, clock: number) => number): number {
  const left = s.originClock >= 0 ? depthOf(valueAt(s.originClient, s.originClock)) : -1
  const right = s.rightClock >= 0 ? depthOf(valueAt(s.rightClient, s.rightClock)) : -1
  if (left === 0 || right === 0) return 0
  if (left > 0) return left
  if (right > 0) return right
  if (s.parentRoot !== null) return 1
  if (s.parentClock >= 0) {
    const parent = valueAt(s.parentClient, s.parentClock)
    return isTypeValue(parent) ? depthOf(parent) + 1 : 0
  }
  return 0
}

/** The struct of `client` in `structs` that holds `clock`. */
function structAt(
  structs: readonly Struct[],
  blocks: ReadonlyMap<number, { start: number; end: number }>,
  client: number,
  clock: number,
): Struct | undefined {
  const block = blocks.get(client)
  if (!block) return undefined
  let lo = block.start
  let hi = block.end - 1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if ((structs[mid] as Struct).clock <= clock) lo = mid
    else hi = mid - 1
  }
  return structs[lo]
}
