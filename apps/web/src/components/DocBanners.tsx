import { describeClose } from '../collab/connection'
import type { Person } from '../collab/presence'
import type { Notice } from '../hooks/useNotice'

/** Said while the connection is down (and may come back). */
export function OfflineBanner({ viewOnly }: { viewOnly: boolean }) {
  return (
    <div className="banner offline-banner" data-testid="offline-banner" role="status">
      {viewOnly
        ? 'You are offline. The text may be out of date until the connection returns.'
        : 'You are offline. Keep writing: your changes are kept in this browser and sync when the connection returns.'}
    </div>
  )
}

/** Said once the server has closed the document for good, with its reason. */
export function ClosedBanner({ closed }: { closed: { code: number; reason: string } }) {
  return (
    <div className="banner" role="alert">
      {describeClose(closed)} Your copy stays on this device but no longer syncs.
    </div>
  )
}

/** Whom the editor follows, with the button that stops it. */
export function FollowBar({ person, onStop }: { person: Person; onStop: () => void }) {
  return (
    <div className="follow-bar" data-testid="follow-status" role="status">
      <span className="avatar small" style={{ backgroundColor: person.color }} aria-hidden="true" />
      Following <bdi>{person.name}</bdi>
      <button type="button" className="button subtle" data-testid="stop-following" onClick={onStop}>
        Stop following
      </button>
    </div>
  )
}

/** The page's notice; an error is announced as an alert. */
export function NoticeBanner({ notice, onDismiss }: { notice: Notice; onDismiss: () => void }) {
  return (
    <div
      className={notice.error ? 'notice error' : 'notice'}
      role={notice.error ? 'alert' : 'status'}
    >
      <span>{notice.text}</span>
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={onDismiss}>
        ×
      </button>
    </div>
  )
}
