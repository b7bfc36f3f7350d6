import {
  LEASE_HANDLE,
  LEASE_READ,
  LEASE_WRITE,
  type LeaseBreakAccess,
  type LeaseKinds,
  type LockType,
  type ShareModes,
} from './api.js';

/**
 * Which lease kinds another client's action leaves intact (the break target
 * is `kinds & keep`). Writers invalidate cached reads and writes; readers
 * only cached writes (MS-SMB2 §3.3.4.7 lease breaks on conflicting opens;
 * RFC 7530 §10.4.4 recalling delegations on conflicting access). HANDLE is
 * only broken by share-reservation conflicts (see LockManager.open).
 */
export function keepForLock(type: LockType): LeaseKinds {
  return type === 'exclusive' ? LEASE_HANDLE : LEASE_READ | LEASE_HANDLE;
}

export function keepForOpen(access: ShareModes): LeaseKinds {
  return access.write || access.delete === true ? LEASE_HANDLE : LEASE_READ | LEASE_HANDLE;
}

export function keepForLease(kinds: LeaseKinds): LeaseKinds {
  if (kinds & LEASE_WRITE) return LEASE_HANDLE;
  if (kinds & LEASE_READ) return LEASE_READ | LEASE_HANDLE;
  return LEASE_READ | LEASE_WRITE | LEASE_HANDLE;
}

export const NO_HANDLE: LeaseKinds = LEASE_READ | LEASE_WRITE;

/**
 * An access without an open (LockManager.breakLeases): a reader needs
 * written-back data (W goes), a writer makes cached data stale (R and W go),
 * removing or replacing the name needs cached handles closed and dirty data
 * written first (W and H go; MS-FSA 2.1.5.14.11 rename/delete break handle
 * caching).
 */
export function keepForAccess(access: LeaseBreakAccess): LeaseKinds {
  if (access === 'write') return LEASE_HANDLE;
  if (access === 'namespace') return LEASE_READ;
  return LEASE_READ | LEASE_HANDLE;
}
