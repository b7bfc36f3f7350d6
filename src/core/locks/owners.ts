import type { LockOwner, LockProtocol } from './api.js';

/**
 * Identity keys. Two owners are the same iff protocol, clientId and ownerId
 * are equal (pid is informational); two owners belong to the same client iff
 * protocol and clientId are equal. NUL separates the parts: it cannot occur
 * in the identifiers protocols derive from host names, GUIDs or hex handles,
 * and even if it did only the two keys' equality matters here.
 */
export function ownerKey(owner: LockOwner): string {
  return `${owner.protocol}\0${owner.clientId}\0${owner.ownerId}`;
}

export function clientKey(protocol: LockProtocol, clientId: string): string {
  return `${protocol}\0${clientId}`;
}

export function ownerClientKey(owner: LockOwner): string {
  return clientKey(owner.protocol, owner.clientId);
}

export function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.protocol === b.protocol && a.clientId === b.clientId && a.ownerId === b.ownerId;
}

export function sameClient(a: LockOwner, b: LockOwner): boolean {
  return a.protocol === b.protocol && a.clientId === b.clientId;
}

/** A frozen copy, so that callers cannot change an owner the manager keeps. */
export function copyOwner(owner: LockOwner): LockOwner {
  const o: LockOwner =
    owner.pid === undefined
      ? { protocol: owner.protocol, clientId: owner.clientId, ownerId: owner.ownerId }
      : { protocol: owner.protocol, clientId: owner.clientId, ownerId: owner.ownerId, pid: owner.pid };
  return Object.freeze(o);
}
