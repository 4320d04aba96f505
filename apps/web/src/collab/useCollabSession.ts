import { useEffect, useState } from 'react'
import { type CollabSession, type IdentitySource, openSession } from './session'

/**
 * Opens the document `name` (with the access `token`, if any) while the calling component is
 * mounted and closes it on unmount or when any argument changes. `null` until the session
 * exists (the first render).
 */
export function useCollabSession(
  name: string,
  serverUrl: string,
  identity: IdentitySource,
  token: string | null = null,
): CollabSession | null {
  const [session, setSession] = useState<CollabSession | null>(null)
  useEffect(() => {
    const opened = openSession({ name, serverUrl, identity, token })
    setSession(opened)
    return () => {
      opened.destroy()
      setSession(null)
    }
  }, [name, serverUrl, identity, token])
  return session
}
