/**
 * Wire forms of oplocks and leases (MS-SMB2 §2.2.13.2.8, §2.2.14.2.10,
 * §2.2.23, §2.2.24, §2.2.25) and their mapping to the lock manager's lease
 * kinds. Codecs only: granting and breaking live in leases-grant.ts and
 * oplock-break.ts.
 */
import { LEASE_HANDLE, LEASE_READ, LEASE_WRITE, type LeaseKinds } from '../../core/locks/index.js';
import { SmbReader, SmbWriter, Smb2DecodeError, sliceAt } from './wire.js';

/** MS-SMB2 §2.2.13: RequestedOplockLevel / OplockLevel. */
export const OPLOCK_LEVEL_NONE = 0x00;
export const OPLOCK_LEVEL_II = 0x01;
export const OPLOCK_LEVEL_EXCLUSIVE = 0x08;
export const OPLOCK_LEVEL_BATCH = 0x09;
export const OPLOCK_LEVEL_LEASE = 0xff;

/** MS-SMB2 §2.2.13.2.8: lease state bits (the lock manager's kinds use other values). */
export const SMB2_LEASE_READ_CACHING = 0x01;
export const SMB2_LEASE_HANDLE_CACHING = 0x02;
export const SMB2_LEASE_WRITE_CACHING = 0x04;

/** §2.2.14.2.10: response lease flags; §2.2.23.2: break notification flags. */
export const LEASE_FLAG_BREAK_IN_PROGRESS = 0x02;
export const LEASE_FLAG_PARENT_LEASE_KEY_SET = 0x04;
export const NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED = 0x01;

/** The create context name of lease requests and responses. */
export const LEASE_CONTEXT_NAME = 'RqLs';

/** MS-SMB2 §2.2.13.2: one create context, name as ASCII, data sliced (not copied). */
export interface CreateContext {
  readonly name: string;
  readonly data: Buffer;
}

/**
 * Walk the create contexts of a CREATE request. Every offset and length is
 * checked to lie inside the message and its own context; a malformed chain
 * throws Smb2DecodeError (→ STATUS_INVALID_PARAMETER).
 */
export function parseCreateContexts(msg: Buffer, offset: number, length: number): CreateContext[] {
  if (length === 0) return [];
  const all = sliceAt(msg, offset, length);
  const out: CreateContext[] = [];
  let pos = 0;
  for (;;) {
    const r = new SmbReader(all, pos);
    const next = r.u32();
    const nameOffset = r.u16();
    const nameLength = r.u16();
    r.skip(2);
    const dataOffset = r.u16();
    const dataLength = r.u32();
    const own = all.subarray(pos, next === 0 ? all.length : pos + next);
    const name = sliceAt(own, nameOffset, nameLength).toString('latin1');
    const data = sliceAt(own, dataOffset, dataLength);
    out.push({ name, data });
    if (next === 0) return out;
    if (next % 8 !== 0 || pos + next >= all.length) throw new Smb2DecodeError('bad create context chain');
    pos += next;
  }
}

/** A decoded SMB2_CREATE_REQUEST_LEASE (v1, 32 bytes) or _V2 (52 bytes). */
export interface LeaseRequestContext {
  readonly version: 1 | 2;
  readonly key: Buffer;
  /** SMB2 lease state bits (R=1, H=2, W=4), unknown bits dropped. */
  readonly state: number;
  readonly parentKey?: Buffer;
  readonly epoch: number;
}

/**
 * MS-SMB2 §2.2.13.2.8 / §2.2.13.2.10. A V2 context on a 2.1 connection is
 * read as V1 (§3.3.5.9.8: 2.1 servers only know V1); any other length is
 * malformed.
 */
export function decodeLeaseContext(data: Buffer, dialect: number): LeaseRequestContext {
  if (data.length !== 32 && data.length !== 52) throw new Smb2DecodeError(`lease context of ${data.length} bytes`);
  const r = new SmbReader(data);
  const key = Buffer.from(r.bytes(16));
  const state = r.u32() & 0x7;
  const flags = r.u32();
  r.u64(); // LeaseDuration: reserved, zero.
  if (data.length === 32 || dialect < 0x0300) return { version: 1, key, state, epoch: 0 };
  const parent = Buffer.from(r.bytes(16));
  const epoch = r.u16();
  return {
    version: 2,
    key,
    state,
    epoch,
    parentKey: (flags & LEASE_FLAG_PARENT_LEASE_KEY_SET) !== 0 ? parent : undefined,
  };
}

/** The RqLs response context (§2.2.14.2.10 / .11), ready to append 8-aligned to a CREATE response. */
export function encodeLeaseResponse(
  lease: { version: 1 | 2; key: Buffer; parentKey?: Buffer; epoch: number },
  state: number,
  breaking: boolean,
): Buffer {
  const dataLen = lease.version === 2 ? 52 : 32;
  const w = new SmbWriter(24 + dataLen);
  w.u32(0).u16(16).u16(4).u16(0).u16(24).u32(dataLen);
  w.bytes(Buffer.from(LEASE_CONTEXT_NAME, 'latin1')).zeros(4);
  let flags = breaking ? LEASE_FLAG_BREAK_IN_PROGRESS : 0;
  if (lease.version === 2 && lease.parentKey) flags |= LEASE_FLAG_PARENT_LEASE_KEY_SET;
  w.bytes(lease.key).u32(state).u32(flags).u64(0);
  if (lease.version === 2) {
    w.bytes(lease.parentKey ?? Buffer.alloc(16))
      .u16(lease.epoch & 0xffff)
      .u16(0);
  }
  return w.result();
}

/** SMB2 lease state bits → lock manager kinds. */
export function kindsOfState(state: number): LeaseKinds {
  return (
    (state & SMB2_LEASE_READ_CACHING ? LEASE_READ : 0) |
    (state & SMB2_LEASE_WRITE_CACHING ? LEASE_WRITE : 0) |
    (state & SMB2_LEASE_HANDLE_CACHING ? LEASE_HANDLE : 0)
  );
}

/** Lock manager kinds → SMB2 lease state bits. */
export function stateOfKinds(kinds: LeaseKinds): number {
  return (
    (kinds & LEASE_READ ? SMB2_LEASE_READ_CACHING : 0) |
    (kinds & LEASE_WRITE ? SMB2_LEASE_WRITE_CACHING : 0) |
    (kinds & LEASE_HANDLE ? SMB2_LEASE_HANDLE_CACHING : 0)
  );
}

/** Oplock levels as lease kinds: level II caches reads, exclusive reads and writes, batch handles too. */
export function kindsOfOplock(level: number): LeaseKinds {
  switch (level) {
    case OPLOCK_LEVEL_II:
      return LEASE_READ;
    case OPLOCK_LEVEL_EXCLUSIVE:
      return LEASE_READ | LEASE_WRITE;
    case OPLOCK_LEVEL_BATCH:
      return LEASE_READ | LEASE_WRITE | LEASE_HANDLE;
    default:
      return 0;
  }
}

/** The oplock level that lease kinds amount to. */
export function oplockOfKinds(kinds: LeaseKinds): number {
  if ((kinds & (LEASE_READ | LEASE_WRITE | LEASE_HANDLE)) === (LEASE_READ | LEASE_WRITE | LEASE_HANDLE)) {
    return OPLOCK_LEVEL_BATCH;
  }
  if (kinds & LEASE_WRITE) return OPLOCK_LEVEL_EXCLUSIVE;
  if (kinds & LEASE_READ) return OPLOCK_LEVEL_II;
  return OPLOCK_LEVEL_NONE;
}

/** MS-SMB2 §2.2.23.1: oplock break notification body. */
export function encodeOplockBreak(level: number, persistent: bigint, volatile: bigint): Buffer {
  return new SmbWriter(24).u16(24).u8(level).u8(0).u32(0).u64(persistent).u64(volatile).result();
}

/** MS-SMB2 §2.2.23.2: lease break notification body. */
export function encodeLeaseBreak(
  key: Buffer,
  epoch: number,
  ackRequired: boolean,
  current: number,
  next: number,
): Buffer {
  return new SmbWriter(44)
    .u16(44)
    .u16(epoch & 0xffff)
    .u32(ackRequired ? NOTIFY_BREAK_LEASE_FLAG_ACK_REQUIRED : 0)
    .bytes(key)
    .u32(current)
    .u32(next)
    .u32(0)
    .u32(0)
    .u32(0)
    .result();
}
