import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';

/** MS-SMB2 §3.3.5.17: ECHO. */
export async function echo(req: Smb2Request): Promise<Smb2Reply> {
  req.body(4);
  return ok(Buffer.from([4, 0, 0, 0]));
}
