import type { Smb2Header } from './header.js';
import type { Open, Session, Tree } from './state.js';
import type { Smb2Connection } from './connection.js';
import { FILE_ID_RELATED } from './constants.js';
import { NtStatusError, Status } from './status.js';
import { SmbReader } from './wire.js';

/** One command of a (possibly compound) request, as a handler sees it. */
export class Smb2Request {
  /** Set by the dispatcher when the command needs a session / a tree. */
  session?: Session;
  tree?: Tree;
  /** The FileId a CREATE produced, handed to the next related command (MS-SMB2 §3.3.5.2.7.2). */
  createdFileId?: { persistent: bigint; volatile: bigint };

  constructor(
    readonly conn: Smb2Connection,
    readonly hdr: Smb2Header,
    /** This command's bytes, from its header to the next command (offsets count from here). */
    readonly msg: Buffer,
    /** FileId of the previous command in a related compound, if any. */
    readonly relatedFileId?: { persistent: bigint; volatile: bigint },
    /** The request arrived inside a TRANSFORM_HEADER of this session (MS-SMB2 §3.3.5.2.1.1). */
    readonly encryptedBy?: Session,
  ) {}

  /** A reader positioned on the body, after checking its fixed StructureSize (MS-SMB2 §3.3.5.2.6). */
  body(structureSize: number): SmbReader {
    const r = new SmbReader(this.msg, 64);
    const size = r.u16();
    if (size !== structureSize) throw new NtStatusError(Status.INVALID_PARAMETER, `StructureSize ${size}`);
    // The fixed part (StructureSize counts one byte of a variable buffer when odd) must be present.
    if (this.msg.length < 64 + (structureSize & ~1)) throw new NtStatusError(Status.INVALID_PARAMETER, 'short body');
    return r;
  }

  /** Read a 16-byte SMB2_FILEID and find the open (related compounds: 0xFF.. is the previous FileId). */
  readOpen(r: SmbReader): Open {
    let persistent = r.u64();
    let volatile = r.u64();
    if (persistent === FILE_ID_RELATED && volatile === FILE_ID_RELATED) {
      // No previous FileId (an unrelated request, or a related one after none): no open has
      // this id. §3.3.5.2.7.2 says INVALID_HANDLE for the related case; Windows and Samba
      // answer FILE_CLOSED, as for any unknown FileId, and smbtorture smb2.compound expects it.
      if (!this.relatedFileId) throw new NtStatusError(Status.FILE_CLOSED, 'related FileId without a previous open');
      ({ persistent, volatile } = this.relatedFileId);
    }
    const open = this.conn.opens.get(volatile);
    if (!open || open.persistentId !== persistent || open.session !== this.session || open.tree !== this.tree) {
      throw new NtStatusError(Status.FILE_CLOSED, 'no such open');
    }
    return open;
  }
}

/** What a handler answers: a status and the body after the header; READ adds a payload. */
export interface Smb2Reply {
  status: number;
  body: Buffer;
  /** Appended after body without copying (READ data). */
  payload?: Buffer;
  /** Set by {@link goAsync}: the command completes later (status is then STATUS_PENDING). */
  async?: AsyncWork;
}

/**
 * A command that completes later (MS-SMB2 §3.3.4.2): the connection answers
 * an interim STATUS_PENDING with an AsyncId at once and sends `final` when it
 * settles, signed or encrypted like any response. SMB2 CANCEL (§3.3.5.16) and
 * the connection's end call `cancel`, after which `final` must settle soon
 * (with STATUS_CANCELLED unless the work finished first).
 */
export interface AsyncWork {
  readonly final: Promise<Smb2Reply>;
  cancel(): void;
}

/** MS-SMB2 §2.2.2: the error response body, also the body of an interim response (§3.3.4.2). */
export const ERROR_BODY = Buffer.from([9, 0, 0, 0, 0, 0, 0, 0, 0]);

/** Answer STATUS_PENDING now and `work.final` later. */
export function goAsync(work: AsyncWork): Smb2Reply {
  return { status: Status.PENDING, body: ERROR_BODY, async: work };
}

/** An error reply (MS-SMB2 §2.2.2). */
export function errorReply(status: number): Smb2Reply {
  return { status, body: ERROR_BODY };
}

export type Smb2Handler = (req: Smb2Request) => Promise<Smb2Reply>;

/** A success reply. */
export function ok(body: Buffer, payload?: Buffer): Smb2Reply {
  return { status: Status.SUCCESS, body, payload };
}
