/**
 * A static export whose inlined data does not read: said instead of the app (outside the router, so
 * no links; there is nothing to go back to).
 */
export function StaticExportError({ message }: { message: string }) {
  return (
    <div className="app-main">
      <div className="error-box" data-testid="error" role="alert">
        <h2>This export could not be read</h2>
        <p>
          The data written into this page by <code className="mono">mlgym ui export</code> is not what this page understands:
        </p>
        <p className="error-text">{message}</p>
      </div>
    </div>
  );
}
