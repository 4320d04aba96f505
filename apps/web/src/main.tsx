import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './app/App'
import { ServicesProvider } from './app/services'
import { IdentityStore } from './lib/identity'
import { browserStore } from './lib/storage'
import { apiBaseUrl, syncServerUrl } from './lib/sync-url'
import { ThemeStore } from './lib/theme'
import './app/styles.css'

const store = browserStore()
const services = {
  store,
  identity: new IdentityStore(store),
  theme: new ThemeStore(store, matchMedia('(prefers-color-scheme: dark)'), (theme) => {
    document.documentElement.dataset.theme = theme
  }),
  serverUrl: syncServerUrl(location, import.meta.env),
  apiUrl: apiBaseUrl(import.meta.env),
}

const root = document.getElementById('root')
if (root === null) throw new Error('index.html has no #root element')
createRoot(root).render(
  <StrictMode>
    <ServicesProvider services={services}>
      <App />
    </ServicesProvider>
  </StrictMode>,
)
