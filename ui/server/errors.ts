/** Failures the viewer answers with their own status and message (app.ts turns them into responses). */

/** Not there: an unknown episode, sweep, step or MLGym run (404). */
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** A request the viewer cannot read: a bad step number, filter or page size (400). */
export class BadRequestError extends Error {
  override name = 'BadRequestError';
}

/** Something the answer needs is not answering now (a worker, for a sweep's status) (503). */
export class UnavailableError extends Error {
  override name = 'UnavailableError';
}
