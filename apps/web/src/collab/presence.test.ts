import { afterEach, describe, expect, it } from 'vitest'
import { Awareness } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { peopleFromStates, presenceStore } from './presence'

const user = (name: string, color = '#0d74ce') => ({
  user: { name, color, colorLight: `${color}33` },
})

describe('peopleFromStates', () => {
  it('lists yourself first, then the others by name', () => {
    const states = new Map<number, Record<string, unknown>>([
      [3, user('Zoe')],
      [1, user('Ada')],
      [2, user('Max', '#d13415')],
    ])
    expect(peopleFromStates(states, 3)).toEqual([
      { clientId: 3, name: 'Zoe', color: '#0d74ce', self: true },
      { clientId: 1, name: 'Ada', color: '#0d74ce', self: false },
      { clientId: 2, name: 'Max', color: '#d13415', self: false },
    ])
  })

  it('lists clients without a usable user field as Anonymous', () => {
    const states = new Map<number, Record<string, unknown>>([
      [1, {}],
      [2, { user: { name: '  ' } }],
      [3, { user: 'not an object' }],
    ])
    const people = peopleFromStates(states, 99)
    expect(people.map((person) => person.name)).toEqual(['Anonymous', 'Anonymous', 'Anonymous'])
    expect(people.map((person) => person.clientId)).toEqual([1, 2, 3])
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
    expect(first).toEqual([
      { clientId: awareness.clientID, name: 'Ada', color: '#0d74ce', self: true },
    ])
    expect(store.getSnapshot()).toBe(first)

    // A cursor move changes the state but not the person: same snapshot.
    awareness.setLocalStateField('cursor', { anchor: 1, head: 2 })
    expect(store.getSnapshot()).toBe(first)

    awareness.setLocalStateField('user', user('Ada Lovelace').user)
    expect(store.getSnapshot()).not.toBe(first)
    expect(store.getSnapshot()[0]?.name).toBe('Ada Lovelace')
    expect(changes).toBeGreaterThanOrEqual(2)

    unsubscribe()
    awareness.destroy()
  })
})
