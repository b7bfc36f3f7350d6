/**
 * SMB share modes as share reservations of the unified lock manager
 * (docs/locking.md): CREATE's granted access and ShareAccess become one
 * reservation per open, so SMB opens, NLM SHARE and NFSv4 deny modes all see
 * each other. The manager does the conflict check (MS-FSA 2.1.5.1.2 "share
 * access check") and breaks HANDLE leases that stand in the way.
 */
import { isFsError } from '../../core/errors.js';
import type { FileId } from '../../core/types.js';
import type { LockManager, LockOwner, ShareModes } from '../../core/locks/index.js';
import { DELETE, FILE_APPEND_DATA, FILE_EXECUTE, FILE_READ_DATA, FILE_WRITE_DATA } from './constants.js';
import type { Smb2Connection } from './connection.js';
import type { Open } from './state.js';
import { NtStatusError, Status } from './status.js';

/** MS-SMB2 §2.2.13: ShareAccess bits. */
export const FILE_SHARE_READ = 0x1;
export const FILE_SHARE_WRITE = 0x2;
export const FILE_SHARE_DELETE = 0x4;

/** The reservation an open takes, or undefined when it takes none. */
export function reservationOf(
  grantedAccess: number,
  shareAccess: number,
): { access: ShareModes; deny: ShareModes } | undefined {
  const access: ShareModes = {
    read: (grantedAccess & (FILE_READ_DATA | FILE_EXECUTE)) !== 0,
    write: (grantedAccess & (FILE_WRITE_DATA | FILE_APPEND_DATA)) !== 0,
    delete: (grantedAccess & DELETE) !== 0,
  };
  // MS-FSA 2.1.5.1.2: an open asking for none of read/write/append/execute/
  // delete (attributes or security only) neither checks nor records share access.
  if (!access.read && !access.write && !access.delete) return undefined;
  return {
    access,
    deny: {
      read: (shareAccess & FILE_SHARE_READ) === 0,
      write: (shareAccess & FILE_SHARE_WRITE) === 0,
      delete: (shareAccess & FILE_SHARE_DELETE) === 0,
    },
  };
}

/** The reservation of each open that took one (kept beside the Open record, which other commands share). */
const reservations = new WeakMap<Open, { lm: LockManager; id: number }>();

let nextConnectionNumber = 1;
const connectionIds = new WeakMap<Smb2Connection, string>();

/**
 * Who the client is, for the lock manager. SMB 2.1+ clients name themselves
 * by ClientGuid (MS-SMB2 §3.3.1.7; leases are per ClientGuid + LeaseKey,
 * §3.3.1.4 LeaseTable), so all their connections are one client; 2.0.2
 * clients (ClientGuid zero) are one client per connection. Opens of one
 * client never break each other's leases or oplocks: the connection runs its
 * commands in order, so a CREATE waiting for its own client's acknowledgment
 * would wait for the whole break timeout.
 */
export function smbClientId(conn: Smb2Connection): string {
  const guid = conn.negotiated?.clientGuid;
  if (conn.dialect >= 0x0210 && guid && guid.some((b) => b !== 0)) return `guid:${guid.toString('hex')}`;
  let id = connectionIds.get(conn);
  if (!id) connectionIds.set(conn, (id = `conn:${nextConnectionNumber++}`));
  return id;
}

/** The owner of an open's share reservation: the client, and the open itself. */
function openOwner(conn: Smb2Connection, open: Open): LockOwner {
  return { protocol: 'smb', clientId: smbClientId(conn), ownerId: `open:${open.volatileId}` };
}

/**
 * Take the share reservation of a new open (MS-SMB2 §3.3.5.9: the share
 * access check before the open is granted). A conflict is
 * STATUS_SHARING_VIOLATION; the wait for a HANDLE lease break (another client
 * closing a cached handle) happens inside the manager.
 */
export async function reserveShare(
  lm: LockManager,
  conn: Smb2Connection,
  open: Open,
  shareAccess: number,
): Promise<void> {
  const modes = reservationOf(open.grantedAccess, shareAccess);
  if (!modes) return;
  let res;
  try {
    res = await lm.open({ file: open.id, owner: openOwner(conn, open), ...modes }, { wait: true, transient: true });
  } catch (e) {
    // Grace after a restart: a conflicting reservation is being reclaimed; the client retries (Windows' answer for a busy file).
    if (isFsError(e, 'GRACE')) throw new NtStatusError(Status.SHARING_VIOLATION, 'lock grace period');
    throw e;
  }
  if (res.status === 'conflict') throw new NtStatusError(Status.SHARING_VIOLATION, 'share access conflict');
  reservations.set(open, { lm, id: res.open.id });
}

/** Give an open's reservation back (CLOSE, LOGOFF, TREE_DISCONNECT, connection loss); no-op when it has none. */
export async function releaseShare(open: Open): Promise<void> {
  const held = reservations.get(open);
  if (!held) return;
  reservations.delete(open);
  await held.lm.closeOpen(held.id);
}

/**
 * MS-FSA §2.1.5.14.11 (FileRenameInformation): a rename changes the
 * directory it leaves. Windows (as smbtorture's rename.*delete_access tests
 * record) checks it against that directory's opens as an open that adds an entry
 * (FILE_ADD_FILE, which the lock manager counts as write) and does not share
 * delete would be checked: an open of the directory with DELETE access
 * (whatever it shares), or one sharing nothing, refuses the rename with
 * STATUS_SHARING_VIOLATION; an open without DELETE that shares everything
 * does not. The reservation lives only for the check.
 */
export async function checkRenameSharing(lm: LockManager, conn: Smb2Connection, dir: FileId): Promise<void> {
  const owner: LockOwner = { protocol: 'smb', clientId: smbClientId(conn), ownerId: 'rename' };
  let res;
  try {
    res = await lm.open(
      {
        file: dir,
        owner,
        access: { read: false, write: true, delete: false },
        deny: { read: false, write: false, delete: true },
      },
      { wait: true, transient: true },
    );
  } catch (e) {
    if (isFsError(e, 'GRACE')) throw new NtStatusError(Status.SHARING_VIOLATION, 'lock grace period');
    throw e;
  }
  if (res.status === 'conflict') throw new NtStatusError(Status.SHARING_VIOLATION, 'an open of the directory');
  await lm.closeOpen(res.open.id);
}
