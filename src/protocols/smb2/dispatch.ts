import { Command, FLAGS_SIGNED } from './constants.js';
import type { Smb2Handler, Smb2Reply, Smb2Request } from './handler.js';
import { NtStatusError, Status } from './status.js';
import { negotiate } from './commands/negotiate.js';
import { sessionSetup, logoff } from './commands/session-setup.js';
import { treeConnect, treeDisconnect } from './commands/tree-connect.js';
import { create } from './commands/create.js';
import { close } from './commands/close.js';
import { lock } from './commands/lock.js';
import { read, write, flush } from './commands/read-write.js';
import { queryDirectory } from './commands/query-directory.js';
import { queryInfo } from './commands/query-info.js';
import { setInfo } from './commands/set-info.js';
import { ioctl } from './commands/ioctl.js';
import { echo } from './commands/echo.js';
import { oplockBreak } from './oplock-break.js';

/** What a command needs before its handler runs (MS-SMB2 §3.3.5.2.9, §3.3.5.2.11). */
type Needs = 'nothing' | 'session' | 'tree';

const TABLE: Partial<Record<Command, { needs: Needs; handler: Smb2Handler }>> = {
  [Command.NEGOTIATE]: { needs: 'nothing', handler: negotiate },
  [Command.SESSION_SETUP]: { needs: 'nothing', handler: sessionSetup },
  [Command.LOGOFF]: { needs: 'session', handler: logoff },
  [Command.TREE_CONNECT]: { needs: 'session', handler: treeConnect },
  [Command.TREE_DISCONNECT]: { needs: 'tree', handler: treeDisconnect },
  [Command.CREATE]: { needs: 'tree', handler: create },
  [Command.CLOSE]: { needs: 'tree', handler: close },
  [Command.FLUSH]: { needs: 'tree', handler: flush },
  [Command.READ]: { needs: 'tree', handler: read },
  [Command.WRITE]: { needs: 'tree', handler: write },
  [Command.LOCK]: { needs: 'tree', handler: lock },
  [Command.IOCTL]: { needs: 'tree', handler: ioctl },
  [Command.ECHO]: { needs: 'nothing', handler: echo },
  [Command.QUERY_DIRECTORY]: { needs: 'tree', handler: queryDirectory },
  [Command.QUERY_INFO]: { needs: 'tree', handler: queryInfo },
  [Command.SET_INFO]: { needs: 'tree', handler: setInfo },
  // Lease acknowledgments name no tree; oplock acknowledgments find theirs (oplock-break.ts).
  [Command.OPLOCK_BREAK]: { needs: 'session', handler: oplockBreak },
};

/**
 * Route one command: negotiate first (§3.3.5.2: anything before NEGOTIATE
 * closes nothing but is refused), then session lookup and signature check,
 * then tree lookup, then the handler. Commands the server does not implement
 * yet (CHANGE_NOTIFY, QUERY_QUOTA...) answer NOT_SUPPORTED.
 */
export async function dispatch(req: Smb2Request): Promise<Smb2Reply> {
  const { conn, hdr } = req;
  const entry = TABLE[hdr.command as Command];
  if (hdr.command !== Command.NEGOTIATE && !conn.negotiated) {
    throw new NtStatusError(Status.INVALID_PARAMETER, 'command before NEGOTIATE');
  }
  if (!entry) {
    if (hdr.command > Command.OPLOCK_BREAK) throw new NtStatusError(Status.INVALID_PARAMETER, 'unknown command');
    throw new NtStatusError(Status.NOT_SUPPORTED);
  }
  if (entry.needs === 'nothing') return entry.handler(req);

  const session = conn.sessions.get(hdr.sessionId);
  // §3.3.5.2.9: an unknown or unfinished session is USER_SESSION_DELETED.
  if (!session || session.state !== 'valid') throw new NtStatusError(Status.USER_SESSION_DELETED);
  // §3.3.5.2.1.1: a message that decrypted under this session's key is authenticated already (and unsigned).
  if (req.encryptedBy !== session) checkSignature(req, session.signingKey, session.signingRequired);
  req.session = session;
  if (entry.needs === 'tree') {
    const tree = session.trees.get(hdr.treeId);
    if (!tree) throw new NtStatusError(Status.NETWORK_NAME_DELETED);
    req.tree = tree;
  }
  return entry.handler(req);
}

/**
 * MS-SMB2 §3.3.5.2.4: a signed request must verify; an unsigned one is
 * refused (ACCESS_DENIED) when the session requires signing.
 */
export function checkSignature(req: Smb2Request, key: Buffer | undefined, required: boolean): void {
  const signing = req.conn.server.signing;
  const signed = (req.hdr.flags & FLAGS_SIGNED) !== 0;
  if (signed && key && signing) {
    if (!signing.verify(req.conn.dialect, key, req.msg)) throw new NtStatusError(Status.ACCESS_DENIED, 'bad signature');
    return;
  }
  if (!signed && required) throw new NtStatusError(Status.ACCESS_DENIED, 'unsigned request on a signed session');
}
