import { useState } from 'react'
import { describeTime } from '../lib/time'
import { versionTitle } from '../lib/versions'
import type { History } from './useHistory'

export interface Restore {
  /** Whether the page is asking to confirm restoring the selected version. */
  readonly asking: boolean
  /** Asks to confirm restoring the version the history has selected. */
  ask(): void
  cancel(): void
  /** Restores the selected version and says how it went. */
  confirm(): Promise<void>
}

export interface RestoreOptions {
  /** Shows a notice (an error when `error` is true). */
  notify: (text: string, error?: boolean) => void
  /** Runs after the version has been restored. */
  onRestored: () => void
}

/** Restoring the version that `history` has selected, after a confirmation. */
export function useRestore(history: History, { notify, onRestored }: RestoreOptions): Restore {
  const [asking, setAsking] = useState(false)

  const confirm = async () => {
    const id = history.selectedId
    const version = history.preview.status === 'ready' ? history.preview.value.version : null
    setAsking(false)
    if (id === null) return
    const problem = await history.restore(id)
    if (problem === null) {
      const what = version
        ? `${versionTitle(version)} (${describeTime(version.createdAtMs, Date.now())})`
        : 'the version'
      notify(`Restored ${what}.`)
      onRestored()
    } else {
      notify(`Could not restore: ${problem}`, true)
    }
  }

  return { asking, ask: () => setAsking(true), cancel: () => setAsking(false), confirm }
}
