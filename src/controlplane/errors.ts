/**
 * A failure the REST API reports: a stable machine-readable `code` (clients
 * branch on it; never renamed) with its HTTP status and a message saying
 * what to do.
 */
export class ControlPlaneError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ControlPlaneError';
  }
}

export const notFound = (what: string) => new ControlPlaneError(404, 'NOT_FOUND', `${what} does not exist`);
export const conflict = (message: string) => new ControlPlaneError(409, 'CONFLICT', message);
export const invalid = (message: string) => new ControlPlaneError(400, 'VALIDATION_FAILED', message);
