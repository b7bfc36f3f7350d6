/**
 * The SMB2/3 adapter (docs/smb.md): MS-SMB2 dialects 2.0.2 to 3.1.1 over
 * Direct TCP, authenticated through src/auth (SPNEGO/NTLM), serving the
 * shares of the share registry through their VFS.
 */
import { Smb2Server } from './server.js';
import type { Smb2ServerOptions } from './context.js';

export { Smb2Server } from './server.js';
export type { Smb2ServerOptions, Smb2Signing } from './context.js';
export {
  Status as NtStatus,
  FS_ERROR_TO_NTSTATUS,
  STORE_ERROR_STATUSES as SMB2_STORE_ERROR_STATUSES,
} from './status.js';

/** A server (not listening yet: call listen(port, host)). */
export function createSmb2Server(opts: Smb2ServerOptions): Smb2Server {
  return new Smb2Server(opts);
}
