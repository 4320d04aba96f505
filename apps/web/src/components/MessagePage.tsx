import { useEffect } from 'react'
import { Link } from './Link'

/** A full page with a message and a way back home: bad links and unknown paths. */
export function MessagePage({ title, detail }: { title: string; detail: string }) {
  useEffect(() => {
    document.title = `${title} · Tandem`
  }, [title])
  return (
    <main className="message-page">
      <div className="card">
        <h1>{title}</h1>
        <p>{detail}</p>
        <p>
          <Link href="/" className="button primary">
            Go to the home page
          </Link>
        </p>
      </div>
    </main>
  )
}
