import { createContext, type ReactNode, useContext } from 'react'
import type { IdentityStore } from '../lib/identity'
import type { KeyValueStore } from '../lib/storage'
import type { ThemeStore } from '../lib/theme'

/** The app's long-lived objects, created once in `main.tsx`. */
export interface Services {
  /** Where identity and the recent-documents list are kept (`localStorage`). */
  readonly store: KeyValueStore
  readonly identity: IdentityStore
  /** The light or dark theme, following the system unless the user chose one. */
  readonly theme: ThemeStore
  /** The sync server's WebSocket base URL. */
  readonly serverUrl: string
  /** The HTTP API's base URL without a trailing slash; '' for the page's own origin. */
  readonly apiUrl: string
}

const ServicesContext = createContext<Services | null>(null)

export function ServicesProvider({
  services,
  children,
}: {
  services: Services
  children: ReactNode
}) {
  return <ServicesContext value={services}>{children}</ServicesContext>
}

/** The app's services; only inside `ServicesProvider`. */
export function useServices(): Services {
  const services = useContext(ServicesContext)
  if (services === null) throw new Error('useServices() needs a <ServicesProvider> above it')
  return services
}
