/** A failed call, with the text the page shows. `status` is absent when the server was not reached. */
export class ApiFailure extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'ApiFailure';
    this.status = status;
  }
}
