import { useCallback, useState } from 'react'
import { type KeyValueStore, readJson, writeJson } from '../lib/storage'

/**
 * A yes-or-no setting remembered in `store` under `key` (JSON `true` or `false`; anything else
 * reads as `false`). Returns the value and a function that flips and remembers it.
 */
export function useStoredFlag(store: KeyValueStore, key: string): readonly [boolean, () => void] {
  const [value, setValue] = useState(() => readJson(store, key) === true)
  const toggle = useCallback(() => {
    writeJson(store, key, !value)
    setValue(!value)
  }, [store, key, value])
  return [value, toggle]
}
