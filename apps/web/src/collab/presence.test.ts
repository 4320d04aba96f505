import { afterEach, describe, expect, it } from 'vitest'
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { colorForClientId } from '../lib/identity'
import { comparePeople, firstPeople, type Person, personOf, presenceStore } from './presence'

const user = (name: string, color = '#0d74ce') => ({
  user: { name, color, colorLight: `${color}33` },
})

const everyone = (states: Map<number, Record<string, unknown>>, selfId: number) =>
  [...states].map(([id, state]) => personOf(id, state, selfId)).sort(comparePeople)

describe('personOf and comparePeople', () => {
  it('lists yourself first, then the others by name', () => {
    const states = new Map<number, Record<string, unknown>>([
      [3, user('Zoe')],
      [1, user('Ada')],
      [2, user('Max', '#d13415')],
    ])
    expect(everyone(states, 3)).toEqual([
      { clientId: 3, name: 'Zoe', color: '#0d74ce', verified: false, self: true },
      { clientId: 1, name: 'Ada', color: '#0d74ce', verified: false, self: false },
      { clientId: 2, name: 'Max', color: '#d13415', verified: false, self: false },
    ])
  })

  it('lists clients without a usable user field as Anonymous, in a colour of their own', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, {}],
      [2, { user: { name: '  ' } }],
      [3, { user: 'not an object' }],
    ])
    const people = everyone(states, 99)
    expect(people.map((person) => person.name)).toEqual(['Anonymous', 'Anonymous', 'Anonymous'])
    expect(people.map((person) => person.clientId)).toEqual([1, 2, 3])
    expect(people.map((person) => person.color)).toEqual([1, 2, 3].map(colorForClientId))
  })

  it('checks every field: a hostile colour and name are replaced', () => {
    const person = personOf(
      7,
      { user: { name: `\u202E${'x'.repeat(500)}`, color: '#f00; position: fixed' } },
      1,
    )
    expect(person.color).toBe(colorForClientId(7))
    expect(person.name).toBe('x'.repeat(64))
  })
})

describe('firstPeople', () => {
  it('is the start of the sorted list, for any limit, without sorting everyone', () => {
    const people: Person[] = []
    for (let i = 0; i < 300; i++) {
      const name = `P${(i * 7919) % 300}`
      people.push({
        clientId: i,
        name,
        color: colorForClientId(i) as Person['color'],
        verified: false,
        self: i === 42,
      })
    }
    const sorted = [...people].sort(comparePeople)
    for (const limit of [0, 1, 12, 299, 300, 400]) {
      expect(firstPeople(people, limit)).toEqual(sorted.slice(0, limit))
    }
    expect(firstPeople(people, 12)[0]?.clientId).toBe(42)
  })
})

describe('presenceStore', () => {
  const docs: Y.Doc[] = []
  const awarenessFor = () => {
    const doc = new Y.Doc()
    docs.push(doc)
    return new Awareness(doc)
  }
  afterEach(() => {
    for (const doc of docs.splice(0)) doc.destroy()
  })

  it('follows the local state and keeps the snapshot while nothing changes', () => {
    const awareness = awarenessFor()
    const store = presenceStore(awareness)
    let changes = 0
    const unsubscribe = store.subscribe(() => changes++)

    awareness.setLocalStateField('user', user('Ada').user)
    const first = store.getSnapshot()
    expect(first.listed).toEqual([
      { clientId: awareness.clientID, name: 'Ada', color: '#0d74ce', verified: false, self: true },
    ])
    expect(first.total).toBe(1)
    expect(store.getSnapshot()).toBe(first)

    // A cursor move changes the state but not the person: same snapshot.
    awareness.setLocalStateField('cursor', { anchor: 1, head: 2 })
    expect(store.getSnapshot()).toBe(first)

    awareness.setLocalStateField('user', user('Ada Lovelace').user)
    expect(store.getSnapshot()).not.toBe(first)
    expect(store.getSnapshot().listed[0]?.name).toBe('Ada Lovelace')
    expect(changes).toBeGreaterThanOrEqual(2)

    unsubscribe()
    awareness.destroy()
  })

  it('lists at most its limit of many remote clients, counts them all, and finds any of them', () => {
    const awareness = awarenessFor()
    awareness.setLocalStateField('user', user('Me').user)
    const store = presenceStore(awareness, 12)
    let changes = 0
    const unsubscribe = store.subscribe(() => changes++)

    // One frame of 5,000 remote states, as a hostile peer could send.
    const source = awarenessFor()
    const ids: number[] = []
    for (let i = 0; i < 5_000; i++) {
      const id = 1_000_000 + i
      ids.push(id)
      source.states.set(id, user(`Flood ${String(i).padStart(4, '0')}`, '#zzzzzz'))
      source.meta.set(id, { clock: 1, lastUpdated: Date.now() })
    }
    applyAwarenessUpdate(awareness, encodeAwarenessUpdate(source, ids), 'remote')
    const snapshot = store.getSnapshot()
    expect(snapshot.total).toBe(5_001)
    expect(snapshot.listed).toHaveLength(12)
    expect(snapshot.listed[0]?.self).toBe(true)
    expect(snapshot.listed[1]?.name).toBe('Flood 0000')
    expect(snapshot.get(1_004_999)?.name).toBe('Flood 4999')
    expect(snapshot.get(1_004_999)?.color).toBe(colorForClientId(1_004_999))
    expect(changes).toBe(1)

    unsubscribe()
    awareness.destroy()
    source.destroy()
  })
})
