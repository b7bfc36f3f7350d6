import type { LockOwner, LockProtocol, LockRequest, LockType } from '../api.js';

/** An owner for tests: client `c`, owner `o`, protocol 'local' unless given. */
export function owner(clientId: string, ownerId = '1', protocol: LockProtocol = 'local', pid?: number): LockOwner {
  return pid === undefined ? { protocol, clientId, ownerId } : { protocol, clientId, ownerId, pid };
}

export function req(o: LockOwner, file: number, type: LockType, offset: number, length: number): LockRequest {
  return { file, owner: o, type, offset, length };
}

/** Let queued microtasks and promise chains run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((r) => setImmediate(r));
}
