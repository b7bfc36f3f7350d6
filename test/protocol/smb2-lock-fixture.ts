/** SMB2 LOCK requests for protocol tests (MS-SMB2 §2.2.26). */
import { Command } from '../../src/protocols/smb2/constants.js';
import { Smb2TestClient, type Smb2FileId } from './helpers/smb2-client.js';

/** MS-SMB2 §2.2.26.1 SMB2_LOCK_ELEMENT flags. */
export const LOCKFLAG = { SHARED: 0x1, EXCLUSIVE: 0x2, UNLOCK: 0x4, FAIL: 0x10 } as const;

/** One SMB2_LOCK_ELEMENT: offset, length, flags. */
export type LockElementSpec = [offset: number | bigint, length: number | bigint, flags: number];

export function lockBody(f: Smb2FileId, els: LockElementSpec[]): Buffer {
  const b = Buffer.alloc(24 + 24 * els.length);
  b.writeUInt16LE(48, 0);
  b.writeUInt16LE(els.length, 2);
  Smb2TestClient.fileIdBytes(f).copy(b, 8);
  els.forEach(([offset, length, flags], i) => {
    b.writeBigUInt64LE(BigInt(offset), 24 + i * 24);
    b.writeBigUInt64LE(BigInt(length), 32 + i * 24);
    b.writeUInt32LE(flags, 40 + i * 24);
  });
  return b;
}

/** Send a LOCK and return its status. */
export async function lockOf(c: Smb2TestClient, f: Smb2FileId, els: LockElementSpec[]): Promise<number> {
  return (await c.request(Command.LOCK, lockBody(f, els))).status;
}
