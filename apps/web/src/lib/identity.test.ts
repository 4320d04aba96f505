import { describe, expect, it } from 'vitest'
import {
  IDENTITY_KEY,
  IdentityStore,
  initials,
  lightColor,
  loadIdentity,
  MAX_DISPLAY_NAME_CHARS,
  normalizeDisplayName,
  palette,
  randomIdentity,
} from './identity'
import { MemoryStore } from './storage'
import { seededRandom } from './test-random'

const stored = (store: MemoryStore) => JSON.parse(store.getItem(IDENTITY_KEY) ?? 'null') as unknown

describe('randomIdentity', () => {
  it('picks a two-word name and a colour from the palette with its light variant', () => {
    const random = seededRandom(1)
    for (let i = 0; i < 200; i++) {
      const identity = randomIdentity(random)
      expect(identity.name).toMatch(/^[A-Z][a-z]+ [A-Z][a-z]+$/)
      expect(palette).toContain(identity.color)
      expect(identity.colorLight).toBe(`${identity.color}33`)
    }
  })
})

describe('loadIdentity', () => {
  it('creates an identity on first use and stores it', () => {
    const store = new MemoryStore()
    const identity = loadIdentity(store, seededRandom(3))
    expect(stored(store)).toEqual(identity)
    expect(Object.keys(identity).sort()).toEqual(['color', 'colorLight', 'name'])
  })

  it('returns the stored identity on later loads, whatever the random source says', () => {
    const store = new MemoryStore()
    const first = loadIdentity(store, seededRandom(3))
    expect(loadIdentity(store, seededRandom(99))).toEqual(first)
  })

  it('replaces an unreadable stored value', () => {
    const store = new MemoryStore()
    store.setItem(IDENTITY_KEY, '{not json')
    const identity = loadIdentity(store, seededRandom(5))
    expect(identity.name).not.toBe('')
    expect(stored(store)).toEqual(identity)
  })

  it('keeps a valid name and repairs only the colour', () => {
    const store = new MemoryStore()
    store.setItem(IDENTITY_KEY, JSON.stringify({ name: '  Ada   Lovelace ', color: 'red' }))
    const identity = loadIdentity(store, seededRandom(5))
    expect(identity.name).toBe('Ada Lovelace')
    expect(palette).toContain(identity.color)
    expect(identity.colorLight).toBe(lightColor(identity.color))
    expect(stored(store)).toEqual(identity)
  })

  it('keeps a stored colour that is not in the palette', () => {
    const store = new MemoryStore()
    const saved = { name: 'Grace', color: '#123456', colorLight: '#12345644' }
    store.setItem(IDENTITY_KEY, JSON.stringify(saved))
    expect(loadIdentity(store)).toEqual(saved)
  })
})

describe('IdentityStore', () => {
  it('stores a new name, keeps the colour and notifies subscribers', () => {
    const store = new MemoryStore()
    const identities = new IdentityStore(store, seededRandom(8))
    const before = identities.get()
    let notified = 0
    identities.subscribe(() => notified++)

    expect(identities.setName('  Margaret  Hamilton ')).toBe(true)
    expect(identities.get()).toEqual({ ...before, name: 'Margaret Hamilton' })
    expect(notified).toBe(1)
    expect(new IdentityStore(store).get()).toEqual(identities.get())
  })

  it('refuses a blank name and changes nothing', () => {
    const store = new MemoryStore()
    const identities = new IdentityStore(store, seededRandom(8))
    const before = identities.get()
    let notified = 0
    identities.subscribe(() => notified++)

    expect(identities.setName('   ')).toBe(false)
    expect(identities.get()).toBe(before)
    expect(notified).toBe(0)
  })

  it('keeps the same snapshot object when the name does not change', () => {
    const identities = new IdentityStore(new MemoryStore(), seededRandom(2))
    const before = identities.get()
    identities.setName(before.name)
    expect(identities.get()).toBe(before)
  })

  it('picks up a name another tab stored when reloaded', () => {
    const store = new MemoryStore()
    const here = new IdentityStore(store, seededRandom(4))
    const elsewhere = new IdentityStore(store, seededRandom(4))
    let notified = 0
    here.subscribe(() => notified++)

    elsewhere.setName('Katherine')
    here.reload()
    expect(here.get().name).toBe('Katherine')
    expect(notified).toBe(1)
  })

  it('stops notifying after unsubscribe', () => {
    const identities = new IdentityStore(new MemoryStore(), seededRandom(2))
    let notified = 0
    const unsubscribe = identities.subscribe(() => notified++)
    unsubscribe()
    identities.setName('Someone Else')
    expect(notified).toBe(0)
  })
})

describe('normalizeDisplayName', () => {
  it('collapses whitespace, trims and caps the length in characters', () => {
    expect(normalizeDisplayName('  a \t b\n c ')).toBe('a b c')
    expect(normalizeDisplayName('')).toBeNull()
    expect(normalizeDisplayName(' \n ')).toBeNull()
    const long = normalizeDisplayName('é'.repeat(100))
    expect(long).toBe('é'.repeat(MAX_DISPLAY_NAME_CHARS))
    expect(normalizeDisplayName(`${'😀'.repeat(MAX_DISPLAY_NAME_CHARS)}x`)).toBe(
      '😀'.repeat(MAX_DISPLAY_NAME_CHARS),
    )
  })

  it('does not end a capped name with a space', () => {
    const name = normalizeDisplayName(`${'a'.repeat(MAX_DISPLAY_NAME_CHARS - 1)} b`)
    expect(name).toBe('a'.repeat(MAX_DISPLAY_NAME_CHARS - 1))
  })
})

describe('initials', () => {
  it('takes the first letters of the first and last words', () => {
    expect(initials('Curious Heron')).toBe('CH')
    expect(initials('ada')).toBe('A')
    expect(initials('Jean  Paul  Sartre')).toBe('JS')
    expect(initials('élise über')).toBe('ÉÜ')
    expect(initials('😀 Smile')).toBe('😀S')
    expect(initials('   ')).toBe('?')
  })
})
