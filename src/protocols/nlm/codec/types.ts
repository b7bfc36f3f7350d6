/**
 * NLM arguments and results in one version-neutral shape: versions 1 and 3
 * carry 32-bit offsets and lengths (XNFS §10.2), version 4 carries 64-bit
 * ones (§14.2); the codec widens or narrows at the edge.
 */
import type { FshAccess, FshMode, NlmStatus } from '../constants.js';

/** nlm_lock / nlm4_lock. `length` 0 means "to the end of the file". */
export interface NlmLock {
  callerName: string;
  fh: Buffer;
  /** Owner handle: opaque, identifies the lock owner on the client. */
  oh: Buffer;
  /** uppid (v1/v3) or svid (v4): the client process id. */
  svid: number;
  offset: bigint;
  length: bigint;
}

export interface NlmTestArgs {
  cookie: Buffer;
  exclusive: boolean;
  lock: NlmLock;
}

export interface NlmLockArgs {
  cookie: Buffer;
  block: boolean;
  exclusive: boolean;
  lock: NlmLock;
  reclaim: boolean;
  /** The client's NSM state number. */
  state: number;
}

export interface NlmCancelArgs {
  cookie: Buffer;
  block: boolean;
  exclusive: boolean;
  lock: NlmLock;
}

export interface NlmUnlockArgs {
  cookie: Buffer;
  lock: NlmLock;
}

export interface NlmShare {
  callerName: string;
  fh: Buffer;
  oh: Buffer;
  mode: FshMode;
  access: FshAccess;
}

export interface NlmShareArgs {
  cookie: Buffer;
  share: NlmShare;
  reclaim: boolean;
}

export interface NlmNotifyArgs {
  name: string;
  state: number;
}

/** nlm_holder / nlm4_holder: who holds the lock that conflicts with a TEST. */
export interface NlmHolder {
  exclusive: boolean;
  svid: number;
  oh: Buffer;
  offset: bigint;
  length: bigint;
}

export interface NlmRes {
  cookie: Buffer;
  stat: NlmStatus;
}

export interface NlmTestRes {
  cookie: Buffer;
  stat: NlmStatus;
  /** Present when stat is DENIED. */
  holder?: NlmHolder;
}

export interface NlmShareRes {
  cookie: Buffer;
  stat: NlmStatus;
  sequence: number;
}
