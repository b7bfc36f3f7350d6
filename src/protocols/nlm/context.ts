/**
 * What every NLM procedure shares: file-handle resolution, the lock-owner
 * mapping, the table of blocked requests waiting for a grant, and the
 * outgoing-call client for callbacks.
 */
import { hostname } from 'node:os';
import { FsError } from '../../core/errors.js';
import type { HeldLock, LockManager, LockOwner, LockType } from '../../core/locks/api.js';
import type { Share, ShareAccess, ShareAuthorizer, ShareRegistry } from '../../core/share.js';
import type { FileId } from '../../core/types.js';
import { HANDLE_SIZE, decodeHandle } from '../../core/vfs/handle.js';
import type { Logger } from '../../observability/logger.js';
import type { RemoteCaller } from '../portmap/remote-call.js';
import type { RpcCall, RpcPeer } from '../rpc/types.js';
import type { NlmHolder, NlmLock } from './codec/types.js';
import { NlmProc } from './constants.js';

/** A host that took monitored lock state: NSM must tell it when this server restarts. */
export interface MonitoredClient {
  /** caller_name of the NLM requests: the client id of its locks. */
  name: string;
  /** Address the requests came from (where its statd is). */
  address: string;
  /** Address the client reached this server on (the name it monitors us by). */
  localAddress?: string;
  /** The client's NSM state number from LOCK. */
  state?: number;
}

export interface NlmTarget {
  share: Share;
  lm: LockManager;
  file: FileId;
  /** The caller's access to the share (see {@link NlmContext.accessOf}). */
  access: ShareAccess;
}

/**
 * What a request needs of the caller's share access: `read` (TEST, a shared
 * lock, a read-only share reservation), `write` (an exclusive lock, a
 * reservation asking for write access), or `cleanup` (UNLOCK, CANCEL,
 * UNSHARE: the procedure itself decides, so that a client whose access was
 * revoked can still give up what it holds).
 */
export type NlmNeed = 'read' | 'write' | 'cleanup';

/** A blocked LOCK: what the NLM_GRANTED callback must repeat back to the client. */
export interface BlockedLock {
  key: string;
  lm: LockManager;
  file: FileId;
  owner: LockOwner;
  cancel: () => boolean;
  vers: number;
  cookie: Buffer;
  exclusive: boolean;
  lock: NlmLock;
  peer: Pick<RpcPeer, 'address' | 'transport'>;
}

const U64_MAX = 0xffffffffffffffffn;

export class NlmContext {
  /** Blocked requests by {@link blockKey}, until granted, cancelled or released. */
  readonly blocked = new Map<string, BlockedLock>();
  readonly serverName: string;

  constructor(
    readonly shares: ShareRegistry,
    private readonly locksOf: (shareId: number) => LockManager | undefined,
    readonly logger: Logger,
    readonly caller: RemoteCaller,
    readonly monitor: (client: MonitoredClient) => void,
    readonly grantRetryDelaysMs: readonly number[],
    serverName?: string,
    private readonly authorize?: ShareAuthorizer,
  ) {
    this.serverName = serverName ?? hostname();
  }

  /**
   * The caller's access to a share: the authorizer's answer (every caller
   * may write when none is installed), capped at `read` on a read-only
   * export, where no client may take write-mode lock state either.
   */
  accessOf(call: RpcCall, share: Share): ShareAccess {
    const access = this.authorize ? this.authorize(share, call.authSys, call.peer) : 'write';
    if (access === 'write' && (share.options.readOnly || share.vfs.readOnly)) return 'read';
    return access;
  }

  /**
   * nlm_lock.fh → share, lock manager and file, for a caller with `need`.
   * v4 carries an nfs_fh3; v1/v3 carry a 32-byte NFSv2-sized handle, which
   * is ours zero-padded. A handle that names no (current) file is STALE →
   * NLM4_STALE_FH. Too little access is ACCES → NLM4_FAILED (v4) or
   * DENIED_NOLOCKS (v1/v3), what Linux's knfsd answers when it cannot open
   * the file for the lock's mode (fs/nfsd/lockd.c nlm_fopen); it is checked
   * before the handle so that a caller without access learns nothing about
   * the share's files.
   */
  async resolve(call: RpcCall, fh: Buffer, need: NlmNeed): Promise<NlmTarget> {
    let raw = fh;
    if (fh.length > HANDLE_SIZE && fh.subarray(HANDLE_SIZE).every((b) => b === 0)) raw = fh.subarray(0, HANDLE_SIZE);
    const h = decodeHandle(raw);
    const share = this.shares.byId(h.shareId);
    if (!share) throw new FsError('STALE', `no share ${h.shareId}`);
    const access = this.accessOf(call, share);
    if (need !== 'cleanup' && (access === 'none' || (need === 'write' && access === 'read'))) {
      this.refused(call, share, need);
    }
    const lm = this.locksOf(share.id);
    if (!lm) throw new FsError('NOTSUPP', `no lock manager for share ${share.name}`);
    await share.vfs.checkHandle(h.id, h.generation);
    return { share, lm, file: h.id, access };
  }

  /** Log and throw the refusal of a request the caller's share access does not allow. */
  refused(call: RpcCall, share: Share, need: NlmNeed): never {
    if (this.logger.isLevelEnabled('debug')) {
      this.logger.debug(
        { op: NlmProc[call.proc], client: call.peer.address, uid: call.authSys?.uid, share: share.name, need },
        'nlm: refused by share permissions',
      );
    }
    throw new FsError('ACCES', `no ${need} access to share ${share.name}`);
  }

  /** Every lock manager of a live share (FREE_ALL, reboot notifications). */
  allManagers(): LockManager[] {
    const out: LockManager[] = [];
    for (const s of this.shares.list()) {
      const lm = this.locksOf(s.id);
      if (lm && !out.includes(lm)) out.push(lm);
    }
    return out;
  }
}

/** DESIGN.md lock owners: NLM's client is the caller_name, its owner the owner handle. */
export function ownerOf(lock: Pick<NlmLock, 'callerName' | 'oh' | 'svid'>): LockOwner {
  return { protocol: 'nlm', clientId: lock.callerName, ownerId: lock.oh.toString('hex'), pid: lock.svid };
}

export function lockTypeOf(exclusive: boolean): LockType {
  return exclusive ? 'exclusive' : 'shared';
}

/** NLM offsets are unsigned 32/64-bit; the manager takes numbers (precision past 2^53 is not needed to conflict correctly at EOF). */
export function toRange(lock: Pick<NlmLock, 'offset' | 'length'>): { offset: number; length: number } {
  return { offset: Number(lock.offset), length: Number(lock.length) };
}

/** A conflicting holder as nlm4_holder: "to end of file" is length 0; other protocols' owners have no oh. */
export function holderOf(h: HeldLock): NlmHolder {
  const nlm = h.owner.protocol === 'nlm';
  const offset = Number.isFinite(h.range.offset) ? BigInt(Math.trunc(h.range.offset)) : U64_MAX;
  const length = Number.isFinite(h.range.length) ? BigInt(h.range.length) : 0n;
  return {
    exclusive: h.type === 'exclusive',
    svid: h.owner.pid ?? 0,
    oh: nlm && /^([0-9a-f]{2})*$/.test(h.owner.ownerId) ? Buffer.from(h.owner.ownerId, 'hex') : Buffer.alloc(0),
    offset: offset > U64_MAX ? U64_MAX : offset,
    length: length > U64_MAX ? 0n : length,
  };
}

/** The identity of a blocked request: a retransmitted LOCK and its CANCEL name the same one. */
export function blockKey(shareId: number, file: FileId, owner: LockOwner, lock: NlmLock, exclusive: boolean): string {
  return `${shareId}/${file}/${owner.clientId}/${owner.ownerId}/${lock.offset}/${lock.length}/${exclusive ? 'x' : 's'}`;
}

/** Arguments are zero-copy slices of the request buffer: copy what outlives the call. */
export function copyLock(l: NlmLock): NlmLock {
  return { ...l, fh: Buffer.from(l.fh), oh: Buffer.from(l.oh) };
}
