import type { VfsApi } from './vfs/api.js';

/**
 * Export policy of a share, applied by every protocol the same way
 * (see core/vfs/identity.ts for squashing).
 */
export interface ShareOptions {
  readOnly: boolean;
  /** Map uid 0 to the anonymous identity (on by default: safe default). */
  rootSquash: boolean;
  /** Map every caller to the anonymous identity. */
  allSquash: boolean;
  anonUid: number;
  anonGid: number;
  /** Refuse callers whose source port is not below 1024 (off by default). */
  requirePrivilegedPort: boolean;
  /** CIDR blocks allowed to mount; empty = everyone. */
  allowedClients: string[];
}

export const DEFAULT_SHARE_OPTIONS: ShareOptions = {
  readOnly: false,
  rootSquash: true,
  allSquash: false,
  anonUid: 65534,
  anonGid: 65534,
  requirePrivilegedPort: false,
  allowedClients: [],
};

/** One exported tree: a name clients mount ("/export") and its file system. */
export interface Share {
  /** Small integer, part of every file handle. */
  readonly id: number;
  /** The export path clients mount, e.g. "/export". */
  readonly name: string;
  readonly options: ShareOptions;
  readonly vfs: VfsApi;
}

/** What protocols need to find shares; the Runtime owns the real list and may change it live. */
export interface ShareRegistry {
  byId(id: number): Share | undefined;
  byName(name: string): Share | undefined;
  list(): Share[];
}

/** What a caller may do on a share, as decided by the control plane's share permissions. */
export type ShareAccess = 'none' | 'read' | 'write';

/**
 * Decides a caller's access to a share (MOUNT MNT and every NFS request).
 * `caller` is the AUTH_SYS identity before squashing, undefined for AUTH_NONE.
 * Absent = every caller the export policy admits may read and write.
 */
export type ShareAuthorizer = (
  share: Share,
  caller: { uid: number; gid: number; gids: readonly number[] } | undefined,
  peer: { address: string },
) => ShareAccess;
