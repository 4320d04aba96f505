import { pick, type Random } from './random'
import { type KeyValueStore, readJson, writeJson } from './storage'
import { adjectives, animals } from './words'

/**
 * How a person appears to others: the exact shape y-codemirror.next reads from the awareness
 * field `user` to draw remote cursors.
 */
export interface Identity {
  readonly name: string
  readonly color: string
  readonly colorLight: string
}

/** Cursor colours dark enough for white label text, in light and dark themes. */
export const palette = [
  '#d13415',
  '#cc4e00',
  '#a35829',
  '#2a7e3b',
  '#008573',
  '#107d98',
  '#0d74ce',
  '#3a5bc7',
  '#8145b5',
  '#c2298a',
] as const satisfies readonly [string, ...string[]]

export const IDENTITY_KEY = 'tandem:identity'
export const MAX_DISPLAY_NAME_CHARS = 40

const COLOR = /^#[0-9a-f]{6}$/i
const COLOR_LIGHT = /^#[0-9a-f]{8}$/i

/** The translucent selection colour that goes with a cursor colour. */
export function lightColor(color: string): string {
  return `${color}33`
}

/**
 * A palette colour chosen by an awareness client id: what someone is shown in when they publish
 * no usable colour of their own. The same id always gets the same colour.
 */
export function colorForClientId(clientId: number): string {
  const index = Number.isSafeInteger(clientId) ? Math.abs(clientId) % palette.length : 0
  return palette[index] ?? palette[0]
}

/** A random display name such as `Curious Heron`. */
export function randomDisplayName(random: Random = Math.random): string {
  return `${capitalize(pick(adjectives, random))} ${capitalize(pick(animals, random))}`
}

/** A random identity with a name and a colour from the palette. */
export function randomIdentity(random: Random = Math.random): Identity {
  const color = pick(palette, random)
  return { name: randomDisplayName(random), color, colorLight: lightColor(color) }
}

/**
 * A display name cleaned for use: whitespace collapsed, trimmed, cut to
 * {@link MAX_DISPLAY_NAME_CHARS} characters; `null` when nothing is left.
 */
export function normalizeDisplayName(input: string): string | null {
  const collapsed = input.replace(/\s+/g, ' ').trim()
  const name = [...collapsed].slice(0, MAX_DISPLAY_NAME_CHARS).join('').trimEnd()
  return name === '' ? null : name
}

/** One or two letters for an avatar: the first letters of the first and last words. */
export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean)
  const first = words[0]
  if (first === undefined) return '?'
  const last = words.length > 1 ? words[words.length - 1] : undefined
  const letters = [first, last].map((word) => (word ? ([...word][0] ?? '') : '')).join('')
  return letters.toLocaleUpperCase()
}

/**
 * Reads the stored identity, filling in (and storing) a random name or colour for whatever is
 * missing or unreadable, so a person keeps the same look across reloads.
 */
export function loadIdentity(store: KeyValueStore, random: Random = Math.random): Identity {
  const stored = readJson(store, IDENTITY_KEY)
  const fields =
    typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {}
  const fresh = randomIdentity(random)
  const name = (typeof fields.name === 'string' && normalizeDisplayName(fields.name)) || fresh.name
  const color =
    typeof fields.color === 'string' && COLOR.test(fields.color) ? fields.color : fresh.color
  const colorLight =
    color === fields.color &&
    typeof fields.colorLight === 'string' &&
    COLOR_LIGHT.test(fields.colorLight)
      ? fields.colorLight
      : lightColor(color)
  const identity: Identity = { name, color, colorLight }
  if (
    fields.name !== identity.name ||
    fields.color !== identity.color ||
    fields.colorLight !== identity.colorLight
  ) {
    writeJson(store, IDENTITY_KEY, identity)
  }
  return identity
}

/**
 * Holds the current identity, persists name changes and tells subscribers. `reload` picks up a
 * change made by another tab (call it on the window's `storage` event).
 */
export class IdentityStore {
  readonly #store: KeyValueStore
  readonly #random: Random
  readonly #listeners = new Set<() => void>()
  #identity: Identity

  constructor(store: KeyValueStore, random: Random = Math.random) {
    this.#store = store
    this.#random = random
    this.#identity = loadIdentity(store, random)
  }

  /** The current identity; the same object until something changes. */
  get = (): Identity => this.#identity

  /** Adds a change listener; returns the function that removes it. */
  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  /** Sets and stores the display name; returns `false` (and changes nothing) when it is blank. */
  setName(input: string): boolean {
    const name = normalizeDisplayName(input)
    if (name === null) return false
    if (name !== this.#identity.name) {
      this.#update({ ...this.#identity, name })
      writeJson(this.#store, IDENTITY_KEY, this.#identity)
    }
    return true
  }

  /** Re-reads the stored identity. */
  reload(): void {
    this.#update(loadIdentity(this.#store, this.#random))
  }

  #update(next: Identity): void {
    const current = this.#identity
    if (
      next.name === current.name &&
      next.color === current.color &&
      next.colorLight === current.colorLight
    ) {
      return
    }
    this.#identity = next
    for (const listener of this.#listeners) listener()
  }
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1)
}
