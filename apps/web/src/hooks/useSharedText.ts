import { useMemo, useSyncExternalStore } from 'react'
import type * as Y from 'yjs'

const empty = () => ''
const subscribeToNothing = () => () => {}

function textStore(text: Y.Text) {
  let snapshot = text.toString()
  return {
    subscribe(listener: () => void): () => void {
      const observer = () => {
        snapshot = text.toString()
        listener()
      }
      text.observe(observer)
      snapshot = text.toString()
      return () => text.unobserve(observer)
    },
    getSnapshot: () => snapshot,
  }
}

/** The current content of `text`, re-rendering on every change; '' while `text` is null. */
export function useSharedText(text: Y.Text | null): string {
  const store = useMemo(() => (text ? textStore(text) : null), [text])
  return useSyncExternalStore(store?.subscribe ?? subscribeToNothing, store?.getSnapshot ?? empty)
}
