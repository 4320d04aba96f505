import type { Upload } from '../hooks/useUploads'

/** The files this page is uploading, each with how much is sent. */
export function UploadProgress({ uploads }: { uploads: readonly Upload[] }) {
  return (
    <div className="upload-progress" role="status" data-testid="upload-progress">
      {uploads.map((upload) => (
        <div key={upload.id} className="upload-item">
          <span className="upload-name">
            Uploading <bdi>{upload.name}</bdi>…
          </span>
          <progress max={1} value={upload.progress} aria-label={`Uploading ${upload.name}`} />
          <span className="muted">{Math.round(upload.progress * 100)}%</span>
        </div>
      ))}
    </div>
  )
}
