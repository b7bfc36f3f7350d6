import type { LeaseBreakAccess, LockManager } from '../../core/locks/index.js';
import { FsError } from '../../core/errors.js';
import type { Share, ShareAccess, ShareAuthorizer, ShareRegistry } from '../../core/share.js';
import type { Credentials, FileId, Inode } from '../../core/types.js';
import type { VfsApi, WccResult } from '../../core/vfs/api.js';
import { decodeHandle, encodeHandle } from '../../core/vfs/handle.js';
import { squash } from '../../core/vfs/identity.js';
import type { Logger } from '../../observability/logger.js';
import { isClientAllowed, isPortAllowed } from '../mount/client-policy.js';
import { AUTH_NONE, AUTH_SYS, AuthStat, type RpcCall } from '../rpc/types.js';
import { Nfs3Status } from './constants.js';
import { nfs3StatusOf } from './errors.js';

/** Thrown while resolving a request whose credentials the share refuses: becomes an RPC auth error. */
export class AuthRejected extends Error {
  constructor(readonly stat: AuthStat) {
    super(`RPC auth rejected (${stat})`);
    this.name = 'AuthRejected';
  }
}

/** A file named by a request's handle, with everything a procedure needs to act on it. */
export interface Target {
  share: Share;
  vfs: VfsApi;
  /** fattr3 fsid: the share id. */
  fsid: number;
  id: FileId;
  /** Attributes at resolution time (the pre-op attributes of a modifying call). */
  attr: Inode;
  cred: Credentials;
  /** From the share authorizer; 'read' makes modifying calls fail with ROFS. Absent = write. */
  access?: ShareAccess;
}

/** State shared by all NFSv3 procedures of one program instance. */
export class Nfs3Context {
  private readonly opLoggers = new Map<string, Logger>();

  constructor(
    readonly shares: ShareRegistry,
    /** RFC 1813 §3.3.7: changes at each server start so clients know to resend unstable writes. */
    readonly writeVerifier: Buffer,
    readonly maxIo: number,
    readonly logger: Logger,
    private readonly authorize?: ShareAuthorizer,
    /** Payload bytes of successful READs and WRITEs (metrics). */
    readonly onBytes?: (direction: 'read' | 'write', bytes: number) => void,
    /** Lock managers whose leases (SMB) are broken before conflicting accesses, and how long to wait. */
    private readonly leases?: { locks: (shareId: number) => LockManager | undefined; waitMs: number },
  ) {}

  /**
   * docs/locking.md "Across protocols": NFSv3 has no opens, so before acting
   * on a file the procedure breaks other protocols' leases that the access
   * conflicts with (as knfsd calls break_lease). Waits up to the configured
   * bound; a holder slower than that makes the request fail with DELAY →
   * NFS3ERR_JUKEBOX, which the client retries. One map lookup when the file
   * has no leases.
   */
  breakLeases(t: Target, file: FileId, access: LeaseBreakAccess): Promise<void> | undefined {
    const lm = this.leases?.locks(t.share.id);
    if (!lm?.hasLeases(file)) return undefined;
    return lm.breakLeases(file, access, { waitMs: this.leases!.waitMs });
  }

  /**
   * {@link breakLeases} for a change of the entry `name` in `dir` (REMOVE,
   * RENAME): the directory's leases lose read caching (its listing changes;
   * SMB directory leases), the file it names gets `access`. Absent names are
   * the VFS's to report.
   */
  async breakLeasesOfName(t: Target, dir: FileId, name: string, access: LeaseBreakAccess): Promise<void> {
    const lm = this.leases?.locks(t.share.id);
    if (!lm?.hasLeases()) return;
    await this.breakLeases(t, dir, 'write');
    const child = await t.vfs.lookup(t.cred, dir, name).catch(() => undefined);
    if (child) await this.breakLeases(t, child.id, access);
  }

  /** The child logger of one procedure ({protocol:'nfs3', op}). */
  opLogger(op: string): Logger {
    let log = this.opLoggers.get(op);
    if (!log) {
      log =
        'protocol' in this.logger.bindings() ? this.logger.child({ op }) : this.logger.child({ protocol: 'nfs3', op });
      this.opLoggers.set(op, log);
    }
    return log;
  }

  /**
   * Handle → share → file. A malformed handle is BADHANDLE; an unknown share
   * or a file that no longer exists with this generation is STALE.
   */
  async resolve(call: RpcCall, fh: Buffer): Promise<Target> {
    const h = decodeHandle(fh);
    const share = this.shares.byId(h.shareId);
    if (!share) throw new FsError('STALE', `no share ${h.shareId}`);
    const cred = this.admit(call, share);
    const access = this.authorize?.(share, call.authSys, call.peer);
    if (access === 'none') throw new FsError('ACCES', 'no permission on this share');
    const attr = await share.vfs.checkHandle(h.id, h.generation);
    return { share, vfs: share.vfs, fsid: share.id, id: h.id, attr, cred, access };
  }

  /** The second handle of RENAME/LINK: must live in the same share (else XDEV). */
  async resolveSibling(first: Target, fh: Buffer): Promise<{ id: FileId; attr: Inode }> {
    const h = decodeHandle(fh);
    if (h.shareId !== first.share.id) {
      if (!this.shares.byId(h.shareId)) throw new FsError('STALE', `no share ${h.shareId}`);
      throw new FsError('XDEV');
    }
    const attr = await first.vfs.checkHandle(h.id, h.generation);
    return { id: h.id, attr };
  }

  /**
   * Export policy, then squashing. A handle can be forged without MOUNT, so
   * the address and port rules are applied on every request, not only at MNT.
   */
  private admit(call: RpcCall, share: Share): Credentials {
    const opts = share.options;
    if (!isPortAllowed(opts, call.peer.port)) throw new AuthRejected(AuthStat.AUTH_TOOWEAK);
    if (!isClientAllowed(opts, call.peer.address)) throw new FsError('ACCES', 'client not allowed by export');
    switch (call.cred.flavor) {
      case AUTH_SYS:
        if (!call.authSys) throw new AuthRejected(AuthStat.AUTH_BADCRED);
        return squash(call.authSys, opts);
      case AUTH_NONE:
        // RFC 5531 §10.1: AUTH_NONE callers are anonymous, whatever the squash options.
        return { uid: opts.anonUid, gid: opts.anonGid, gids: [] };
      default:
        throw new AuthRejected(AuthStat.AUTH_TOOWEAK);
    }
  }

  /** RFC 1813 §3.3: modifying procedures on a read-only export (or with a read-only grant) fail with ROFS. */
  ensureWritable(t: Target): void {
    if (t.share.options.readOnly || t.vfs.readOnly || t.access === 'read') throw new FsError('ROFS');
  }

  handleOf(t: Target, inode: Inode): Buffer {
    return encodeHandle({ shareId: t.share.id, id: inode.id, generation: inode.generation });
  }

  /**
   * The nfsstat3 for a failure. Auth rejections propagate (the program turns
   * them into an RPC auth error); anything that is not an FsError is a bug,
   * logged at warn and reported as SERVERFAULT.
   */
  statusOf(e: unknown, op: string): Nfs3Status {
    if (e instanceof AuthRejected) throw e;
    const st = nfs3StatusOf(e);
    if (st !== undefined) return st;
    this.opLogger(op).warn({ err: e }, 'unexpected error');
    return Nfs3Status.SERVERFAULT;
  }

  /**
   * wcc_data for a failed modifying call (RFC 1813 §2.6: "the server should
   * return the attributes it has"): the attributes read at resolution, and
   * the current ones if the file still exists.
   */
  async wccAfterFailure(t: Target | undefined, id?: FileId, before?: Inode): Promise<Partial<WccResult> | undefined> {
    if (!t) return undefined;
    const target = id ?? t.id;
    let after: Inode | undefined;
    try {
      after = await t.vfs.getattr(target);
    } catch {
      after = undefined;
    }
    return { before: before ?? (target === t.id ? t.attr : undefined), after };
  }
}
