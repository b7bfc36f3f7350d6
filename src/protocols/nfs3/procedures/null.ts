import { Nfs3Status } from '../constants.js';
import type { Nfs3Procedure } from './types.js';

/** RFC 1813 §3.3.0 NULL: no work, used by clients to ping the server. */
export const nullProc: Nfs3Procedure = {
  name: 'NULL',
  nonIdempotent: false,
  async run() {
    return Nfs3Status.OK;
  },
};
