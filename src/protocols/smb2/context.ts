import { randomBytes } from 'node:crypto';
import type { SmbAuthenticator } from '../../auth/api.js';
import type { LockManager } from '../../core/locks/index.js';
import type { ShareAuthorizer, ShareRegistry } from '../../core/share.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import type { Smb2Connection } from './connection.js';
import { DEFAULT_MAX_CREDITS } from './credits.js';
import { cryptoSigning } from './signing.js';

/** Signing as the SMB layer needs it; the crypto engine (./crypto) provides it (see signing.ts). */
export interface Smb2Signing {
  /** MS-SMB2 §3.3.5.5.3: Session.SigningKey from the session key (3.1.1: and the preauth hash). */
  signingKey(dialect: number, sessionKey: Buffer, preauthHash?: Buffer): Buffer;
  /** Write the signature of `msg` (one command, signature field zeroed) into its header. */
  sign(dialect: number, key: Buffer, msg: Buffer): void;
  /** Whether the signature in `msg`'s header is right. Must not modify `msg`. */
  verify(dialect: number, key: Buffer, msg: Buffer): boolean;
}

export interface Smb2ServerOptions {
  shares: ShareRegistry;
  authenticator: SmbAuthenticator;
  /** Share permissions (same hook as NFS). Absent: every authenticated user may write. */
  authorize?: ShareAuthorizer;
  /** Default: the crypto engine (./signing.ts). */
  signing?: Smb2Signing;
  /** MS-SMB2 §3.3.5.5: refuse sessions that do not sign. */
  requireSigning?: boolean;
  logger?: Logger;
  /** (op, NTSTATUS, seconds) of every command (metrics). */
  onOp?: (op: string, status: number, seconds: number) => void;
  onBytes?: (direction: 'read' | 'write', bytes: number) => void;
  /** MaxReadSize/MaxWriteSize/MaxTransactSize for 2.1+ (default 1 MiB; 2.0.2 gets 64 KiB). */
  maxIo?: number;
  maxCredits?: number;
  /**
   * The unified lock manager of a share (one per share, shared with NLM and
   * NFSv4). Absent, or undefined for a share: LOCK answers NOT_SUPPORTED and
   * I/O is not checked against byte-range locks.
   */
  locks?: (shareId: number) => LockManager | undefined;
}

/** Server-wide state shared by every connection. */
export class Smb2ServerContext {
  readonly logger: Logger;
  /** MS-SMB2 §3.3.1.5 ServerGuid. */
  readonly serverGuid = randomBytes(16);
  readonly startTime = Date.now();
  readonly maxIo: number;
  readonly maxCredits: number;
  readonly signing: Smb2Signing;
  /** Every live connection (the server adds and removes them): opens are looked up across them. */
  readonly connections = new Set<Smb2Connection>();
  private nextSessionId = 1n;
  private nextFileId = 1n;

  constructor(readonly opts: Smb2ServerOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.maxIo = opts.maxIo ?? 1024 * 1024;
    this.maxCredits = opts.maxCredits ?? DEFAULT_MAX_CREDITS;
    this.signing = opts.signing ?? cryptoSigning;
  }

  /** Session ids are unique server-wide (MS-SMB2 §3.3.5.5.1: "a unique, non-zero value"). */
  newSessionId(): bigint {
    return this.nextSessionId++;
  }

  /** Volatile FileIds are unique server-wide; the persistent half is the same number. */
  newFileId(): bigint {
    return this.nextFileId++;
  }
}
