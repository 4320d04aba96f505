import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { holdSaving, type SaveState, SaveTracker, whenSaved } from './save-state'

const state = (tracker: SaveTracker): SaveState => tracker.getSnapshot().state

describe('SaveTracker', () => {
  it('is offline with nothing unsaved before any connection', () => {
    const tracker = new SaveTracker()
    expect(tracker.getSnapshot()).toEqual({ state: 'offline', unsavedEdits: false })
  })

  it('is saving from an edit until the server acknowledges its frame', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    tracker.sent(socket, 'sync-step-2')
    expect(state(tracker)).toBe('saving')
    tracker.acknowledged(socket, 1)
    expect(state(tracker)).toBe('saved')

    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    expect(tracker.getSnapshot()).toEqual({ state: 'saving', unsavedEdits: true })
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    tracker.acknowledged(socket, 2)
    expect(state(tracker)).toBe('saving')
    tracker.acknowledged(socket, 3)
    expect(tracker.getSnapshot()).toEqual({ state: 'saved', unsavedEdits: false })
  })

  it('does not count an unacknowledged step 2 as an unsaved edit', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    tracker.sent(socket, 'sync-step-2')
    expect(tracker.getSnapshot()).toEqual({ state: 'saving', unsavedEdits: false })
    // The connection ends before the acknowledgement: nothing of ours was in that frame.
    tracker.closed(socket)
    expect(state(tracker)).toBe('offline')
  })

  it('keeps an edit whose frame was not acknowledged unsaved after the connection ends', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    tracker.sent(socket, 'sync-step-2')
    tracker.acknowledged(socket, 1)
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    tracker.closed(socket)
    expect(tracker.getSnapshot()).toEqual({ state: 'offline-unsaved', unsavedEdits: true })
  })

  it('is offline (not unsaved) when everything was acknowledged before the connection ended', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    tracker.acknowledged(socket, 1)
    tracker.closed(socket)
    expect(state(tracker)).toBe('offline')
  })

  it('keeps an offline edit unsaved until a later connection acknowledges its step 2', () => {
    const tracker = new SaveTracker()
    tracker.localEdit(null)
    expect(state(tracker)).toBe('offline-unsaved')

    // A connection that acknowledges frames before its step 2 does not cover the edit.
    const first = {}
    tracker.opened(first)
    expect(state(tracker)).toBe('saving')
    tracker.acknowledged(first, 0)
    expect(state(tracker)).toBe('saving')
    tracker.closed(first)
    expect(state(tracker)).toBe('offline-unsaved')

    const second = {}
    tracker.opened(second)
    tracker.sent(second, 'sync-update') // an edit made after opening, before the step 2
    tracker.localEdit(second)
    tracker.sent(second, 'sync-step-2') // carries the offline edit
    tracker.acknowledged(second, 1)
    expect(state(tracker)).toBe('saving')
    tracker.acknowledged(second, 2)
    expect(state(tracker)).toBe('saved')
  })

  it('restarts the counts with every connection', () => {
    const tracker = new SaveTracker()
    const first = {}
    tracker.opened(first)
    for (let i = 0; i < 5; i++) tracker.sent(first, 'sync-update')
    tracker.acknowledged(first, 5)
    tracker.closed(first)

    const second = {}
    tracker.opened(second)
    expect(state(tracker)).toBe('saved')
    tracker.sent(second, 'sync-step-2')
    tracker.acknowledged(second, 1)
    expect(state(tracker)).toBe('saved')
  })

  it('counts an edit made while the socket is open but unsent (closing) as offline', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    tracker.localEdit(null)
    expect(tracker.getSnapshot()).toEqual({ state: 'saving', unsavedEdits: true })
    tracker.closed(socket)
    expect(state(tracker)).toBe('offline-unsaved')
  })

  it('ignores events about sockets other than the current one', () => {
    const tracker = new SaveTracker()
    const old = {}
    const current = {}
    tracker.opened(old)
    tracker.opened(current)
    tracker.sent(old, 'sync-update')
    tracker.acknowledged(old, 7)
    expect(state(tracker)).toBe('saved')
    tracker.closed(old) // a late close event of the replaced socket
    expect(state(tracker)).toBe('saved')
    tracker.localEdit(old)
    expect(tracker.getSnapshot()).toEqual({ state: 'saving', unsavedEdits: true })
  })

  it('never lowers the acknowledged count', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    tracker.acknowledged(socket, 1)
    tracker.acknowledged(socket, 0)
    expect(state(tracker)).toBe('saved')
  })

  it('notifies on changes only and keeps the snapshot otherwise', () => {
    const tracker = new SaveTracker()
    const seen: string[] = []
    tracker.subscribe(() => {
      const { state, unsavedEdits } = tracker.getSnapshot()
      seen.push(unsavedEdits ? `${state} (edits)` : state)
    })
    const socket = {}
    const before = tracker.getSnapshot()
    tracker.opened(socket)
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    tracker.acknowledged(socket, 1)
    tracker.acknowledged(socket, 2)
    expect(seen).toEqual(['saved', 'saving', 'saving (edits)', 'saved'])
    tracker.closed(socket)
    expect(tracker.getSnapshot()).toBe(before)
  })
})

describe('holdSaving', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('shows saving for at least the minimum time, then saved', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    const shown = holdSaving(tracker, 400)
    expect(shown.getSnapshot().state).toBe('saved')

    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    expect(shown.getSnapshot().state).toBe('saving')
    vi.advanceTimersByTime(10)
    tracker.acknowledged(socket, 1)
    expect(shown.getSnapshot().state).toBe('saving')
    vi.advanceTimersByTime(389)
    expect(shown.getSnapshot().state).toBe('saving')
    vi.advanceTimersByTime(1)
    expect(shown.getSnapshot().state).toBe('saved')
    shown.destroy()
  })

  it('shows saved at once when saving lasted long enough, and offline at once', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    const shown = holdSaving(tracker, 400)
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    vi.advanceTimersByTime(500)
    tracker.acknowledged(socket, 1)
    expect(shown.getSnapshot().state).toBe('saved')

    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    tracker.closed(socket)
    expect(shown.getSnapshot().state).toBe('offline-unsaved')
    shown.destroy()
  })

  it('does not show saved if the source turns saving again while held', () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    const shown = holdSaving(tracker, 400)
    const seen: SaveState[] = []
    shown.subscribe(() => {
      const { state } = shown.getSnapshot()
      if (seen.at(-1) !== state) seen.push(state)
    })
    for (let i = 1; i <= 3; i++) {
      tracker.sent(socket, 'sync-update')
      tracker.localEdit(socket)
      vi.advanceTimersByTime(100)
      tracker.acknowledged(socket, i)
    }
    vi.advanceTimersByTime(1_000)
    expect(seen).toEqual(['saving', 'saved'])
    shown.destroy()
  })
})

describe('whenSaved', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('resolves true at once when saved, and when saving turns saved', async () => {
    const tracker = new SaveTracker()
    const socket = {}
    tracker.opened(socket)
    await expect(whenSaved(tracker, 1_000)).resolves.toBe(true)

    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    const saved = whenSaved(tracker, 1_000)
    tracker.acknowledged(socket, 1)
    await expect(saved).resolves.toBe(true)
  })

  it('resolves false when offline or when saving takes too long', async () => {
    const tracker = new SaveTracker()
    await expect(whenSaved(tracker, 1_000)).resolves.toBe(false)
    const socket = {}
    tracker.opened(socket)
    tracker.sent(socket, 'sync-update')
    tracker.localEdit(socket)
    const saved = whenSaved(tracker, 1_000)
    vi.advanceTimersByTime(1_000)
    await expect(saved).resolves.toBe(false)
  })
})
