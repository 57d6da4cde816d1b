import { Link, isRouteErrorResponse, useRouteError } from 'react-router';
import { errorText } from '../api';

interface Props {
  title?: string;
  message: string;
  /** Offered beside the way back, e.g. to try the same call again. */
  onRetry?: () => void;
}

/** Every failure reads the same way: what went wrong, in the server's words, and a way back. */
export function ErrorMessage({ title = 'Something went wrong', message, onRetry }: Props) {
  return (
    <div className="error-box" data-testid="error" role="alert">
      <h2>{title}</h2>
      <p className="error-text">{message}</p>
      <p className="error-actions">
        <Link to="/">← Back to the run list</Link>
        {onRetry && (
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        )}
      </p>
    </div>
  );
}

export function RouteError() {
  const error = useRouteError();
  const message = isRouteErrorResponse(error) ? `${error.status} ${error.statusText}` : errorText(error);
  return (
    <div className="app-main">
      <ErrorMessage title="This page failed" message={message} />
    </div>
  );
}

export function NotFound() {
  return <ErrorMessage title="No such page" message="The viewer has no page at this address." />;
}
