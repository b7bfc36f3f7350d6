import type { AuthResult, SecurityContext } from '../../auth/api.js';
import type { LockManager, LockOwner } from '../../core/locks/index.js';
import type { Share, ShareAccess } from '../../core/share.js';
import type { NonceGenerator } from './crypto/encryption.js';
import type { Credentials, FileId, Inode } from '../../core/types.js';

/** One SMB session (MS-SMB2 §3.3.1.8): an authentication exchange, then who the client is. */
export interface Session {
  readonly id: bigint;
  state: 'in-progress' | 'valid';
  /** The running authentication exchange (in-progress only). */
  auth?: SecurityContext;
  user?: AuthResult;
  /** MS-SMB2 §3.3.1.8 Session.SigningRequired. */
  signingRequired: boolean;
  /** Set once the session key is known and the crypto engine derived the signing key. */
  signingKey?: Buffer;
  /** SMB 3.x with a negotiated cipher: Session.EncryptionKey (server→client) and DecryptionKey. */
  encryption?: { cipher: number; encryptionKey: Buffer; decryptionKey: Buffer; nonces: NonceGenerator };
  /** SMB 3.1.1: Session.PreauthIntegrityHashValue (§3.3.5.5). */
  preauthHash?: Buffer;
  /**
   * The client has sent an encrypted message on this session, so messages the
   * server starts (notifications, see Smb2Connection.sendNotification) are
   * encrypted too.
   */
  clientEncrypts?: boolean;
  readonly trees: Map<number, Tree>;
  nextTreeId: number;
}

/** One tree connect (MS-SMB2 §3.3.1.9). IPC$ trees have no share and refuse every open. */
export interface Tree {
  readonly id: number;
  readonly share?: Share;
  /** The share's path as the client named it, for logs. */
  readonly path: string;
  readonly access: ShareAccess;
  /** The session's identity after the share's squash rules. */
  readonly cred: Credentials;
  /** MaximalAccess granted by the tree connect response. */
  readonly maximalAccess: number;
}

/** The state of a directory enumeration on an open directory (MS-SMB2 §3.3.1.10 Open.EnumerationLocation). */
export interface DirEnum {
  pattern: string;
  /** Entries read (and matched) but not yet returned, with their attributes. */
  pending: { name: string; attr: Inode }[];
  /** VFS cookie to continue from. */
  cookie: number;
  /** No more VFS entries after `pending`. */
  eof: boolean;
  /** At least one entry has been returned since the last restart. */
  returnedAny: boolean;
}

/** One open file or directory (MS-SMB2 §3.3.1.10). */
export interface Open {
  readonly persistentId: bigint;
  readonly volatileId: bigint;
  readonly session: Session;
  readonly tree: Tree;
  readonly id: FileId;
  readonly generation: number;
  readonly isDir: boolean;
  /** The containing directory and the name in it (updated by rename; root has none). */
  parent?: FileId;
  name: string;
  /** Share-relative path with "\" separators, as the client last named it. */
  path: string;
  readonly grantedAccess: number;
  deleteOnClose: boolean;
  position: number;
  /** Data was written through this open: commit at close. */
  written: boolean;
  dirEnum?: DirEnum;
  /** Byte-range lock state (commands/lock.ts), from the open's first LOCK on. */
  locks?: OpenLocks;
}

/**
 * What an open holds in its share's lock manager (MS-SMB2 §3.3.5.14: SMB
 * locks belong to the open). Closing the open releases the locks and ends
 * the waiting requests.
 */
export interface OpenLocks {
  readonly lm: LockManager;
  readonly owner: LockOwner;
  /** Blocking LOCKs still waiting. */
  readonly pending: Set<PendingLock>;
}

/** A waiting LOCK request: ended with a final status (e.g. RANGE_NOT_LOCKED) when its open goes away. */
export interface PendingLock {
  end(status: number): void;
}
