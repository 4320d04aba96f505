import { useEffect, useState } from 'react'
import { type CollabSession, type IdentitySource, openSession } from './session'

/**
 * Opens the document `name` while the calling component is mounted and closes it on unmount or
 * when any argument changes. `null` until the session exists (the first render).
 */
export function useCollabSession(
  name: string,
  serverUrl: string,
  identity: IdentitySource,
): CollabSession | null {
  const [session, setSession] = useState<CollabSession | null>(null)
  useEffect(() => {
    const opened = openSession({ name, serverUrl, identity })
    setSession(opened)
    return () => {
      opened.destroy()
      setSession(null)
    }
  }, [name, serverUrl, identity])
  return session
}
