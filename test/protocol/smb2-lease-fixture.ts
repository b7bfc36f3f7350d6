/**
 * Share-mode, oplock and lease helpers for protocol tests: an SMB2 test
 * server whose share has a lock manager (short break timeout), clients with
 * their own ClientGuid (the server treats one ClientGuid as one client), and
 * builders/parsers for CREATE with ShareAccess, oplock levels and RqLs
 * contexts, break notifications and acknowledgments.
 */
import { createLockManager, type LockManager } from '../../src/core/locks/index.js';
import { Command } from '../../src/protocols/smb2/constants.js';
import { decodeHeader } from '../../src/protocols/smb2/header.js';
import { createRequestBody, Smb2TestClient, type Smb2FileId, type Smb2Response } from './helpers/smb2-client.js';
import { USERS, startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

export const ALL_DIALECTS = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311];

/** MS-SMB2 access and share bits the tests use. */
export const READ = 0x00120089; // FILE_GENERIC_READ
export const WRITE = 0x00120116; // FILE_GENERIC_WRITE
export const READ_WRITE = READ | WRITE;
export const DELETE = 0x00010000;
export const READ_ATTRIBUTES = 0x00000080;
export const SHARE_READ = 1;
export const SHARE_WRITE = 2;
export const SHARE_DELETE = 4;
export const SHARE_ALL = 7;

export const STATUS_SHARING_VIOLATION = 0xc0000043;
export const STATUS_INVALID_PARAMETER = 0xc000000d;

export interface LeaseTestServer {
  srv: Smb2TestServer;
  lm: LockManager;
  close(): Promise<void>;
}

/** A test server whose one share (/export) has a lock manager with a `breakTimeoutMs` break timeout. */
export async function startLeaseServer(breakTimeoutMs = 400): Promise<LeaseTestServer> {
  const lm = createLockManager({ breakTimeoutMs });
  const srv = await startSmb2TestServer({ server: { locks: () => lm } });
  return {
    srv,
    lm,
    async close() {
      await srv.close();
      await lm.close();
    },
  };
}

/**
 * A client with its own ClientGuid (the default test client's is fixed, which
 * would make every client the same one), logged in as alice, tree-connected to /export.
 */
export async function connectClient(port: number, guidByte: number, dialects = ALL_DIALECTS): Promise<Smb2TestClient> {
  const c = await Smb2TestClient.connect(port);
  const body = c.negotiateBody(dialects);
  body.fill(guidByte, 12, 28);
  const neg = await c.request(Command.NEGOTIATE, body, { creditCharge: 0 });
  if (neg.status !== 0) throw new Error(`negotiate 0x${neg.status.toString(16)}`);
  c.dialect = neg.body.readUInt16LE(4);
  await c.sessionSetup(Buffer.from('NEGO'));
  const done = await c.sessionSetup(Buffer.from(`alice:${USERS.alice.password}`));
  if (done.status !== 0) throw new Error(`session setup 0x${done.status.toString(16)}`);
  const tree = await c.treeConnect('\\\\127.0.0.1\\export');
  if (tree.status !== 0) throw new Error(`tree connect 0x${tree.status.toString(16)}`);
  return c;
}

export interface CreateOptions {
  access?: number;
  share?: number;
  /** 1 = OPEN, 3 = OPEN_IF (default), 2 = CREATE, 5 = OVERWRITE_IF. */
  disposition?: number;
  options?: number;
  oplock?: number;
  contexts?: Buffer;
}

/** MS-SMB2 §2.2.13 CREATE body with every field the tests vary (read/write access by default). */
export function createBody(name: string, o: CreateOptions = {}): Buffer {
  return createRequestBody(name, { access: READ_WRITE, share: SHARE_ALL, ...o });
}

export interface Created extends Smb2Response {
  fileId: Smb2FileId;
  oplockLevel: number;
  /** The RqLs response context, when there is one. */
  lease?: { key: Buffer; state: number; flags: number; epoch?: number; parentKey?: Buffer };
}

/** CREATE, following an interim STATUS_PENDING to its final response. */
export async function create(c: Smb2TestClient, name: string, o: CreateOptions = {}): Promise<Created> {
  return parseCreate(await finalOf(c, await c.request(Command.CREATE, createBody(name, o))));
}

export const STATUS_PENDING = 0x103;

/**
 * The final response of a command answered STATUS_PENDING (MS-SMB2 §3.3.4.2):
 * the test client hands out the interim one; the final arrives later with the
 * same MessageId and is found among the frames received.
 */
export async function finalOf(c: Smb2TestClient, res: Smb2Response, ms = 5000): Promise<Smb2Response> {
  if (!res || res.status !== STATUS_PENDING) return res;
  const until = Date.now() + ms;
  for (;;) {
    for (const f of c.frames) {
      if (f.length < 64 || f.readUInt32LE(0) !== 0x424d53fe) continue;
      const hdr = decodeHeader(f, 0);
      if (hdr.messageId === res.hdr.messageId && hdr.status !== STATUS_PENDING) {
        return { hdr, status: hdr.status, msg: f, body: f.subarray(64) };
      }
    }
    if (Date.now() > until || c.closed) throw new Error('no final response');
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function parseCreate(res: Smb2Response): Created {
  if (!res || res.status !== 0) return { ...res, fileId: { persistent: 0n, volatile: 0n }, oplockLevel: -1 };
  const b = res.body;
  const fileId = { persistent: b.readBigUInt64LE(64), volatile: b.readBigUInt64LE(72) };
  const out: Created = { ...res, fileId, oplockLevel: b[2] };
  const ctxOff = b.readUInt32LE(80);
  const ctxLen = b.readUInt32LE(84);
  if (ctxLen > 0) {
    const ctx = res.msg.subarray(ctxOff, ctxOff + ctxLen);
    const name = ctx.subarray(ctx.readUInt16LE(4), ctx.readUInt16LE(4) + ctx.readUInt16LE(6)).toString('latin1');
    const data = ctx.subarray(ctx.readUInt16LE(10), ctx.readUInt16LE(10) + ctx.readUInt32LE(12));
    if (name === 'RqLs') {
      out.lease = {
        key: Buffer.from(data.subarray(0, 16)),
        state: data.readUInt32LE(16),
        flags: data.readUInt32LE(20),
        ...(data.length === 52 ? { parentKey: Buffer.from(data.subarray(32, 48)), epoch: data.readUInt16LE(48) } : {}),
      };
    }
  }
  return out;
}

/** An RqLs create context (v1: 32 bytes of data; v2: 52). */
export function leaseContext(key: Buffer, state: number, v2?: { epoch?: number; parentKey?: Buffer }): Buffer {
  const data = Buffer.alloc(v2 ? 52 : 32);
  key.copy(data, 0);
  data.writeUInt32LE(state, 16);
  if (v2) {
    if (v2.parentKey) {
      data.writeUInt32LE(4, 20);
      v2.parentKey.copy(data, 32);
    }
    data.writeUInt16LE(v2.epoch ?? 0, 48);
  }
  return rawContext('RqLs', data);
}

export function rawContext(name: string, data: Buffer): Buffer {
  const head = Buffer.alloc(24);
  head.writeUInt16LE(16, 4);
  head.writeUInt16LE(name.length, 6);
  head.writeUInt16LE(24, 10);
  head.writeUInt32LE(data.length, 12);
  head.write(name, 16, 'latin1');
  return Buffer.concat([head, data]);
}

export function leaseKey(n: number): Buffer {
  return Buffer.alloc(16, n);
}

export interface BreakNotification {
  kind: 'oplock' | 'lease';
  /** Oplock: the level to go down to. */
  level?: number;
  fileId?: Smb2FileId;
  /** Lease: fields of §2.2.23.2. */
  epoch?: number;
  flags?: number;
  key?: Buffer;
  current?: number;
  next?: number;
  sessionId: bigint;
  signed: boolean;
}

/** Break notifications received so far (MessageId 0xFFFFFFFFFFFFFFFF, OPLOCK_BREAK), in order. */
export function breaks(c: Smb2TestClient): BreakNotification[] {
  const out: BreakNotification[] = [];
  for (const f of c.frames) {
    if (f.length < 64 || f.readUInt32LE(0) !== 0x424d53fe) continue;
    const hdr = decodeHeader(f, 0);
    if (hdr.command !== Command.OPLOCK_BREAK || hdr.messageId !== 0xffffffffffffffffn) continue;
    const b = f.subarray(64);
    const base = { sessionId: hdr.sessionId, signed: (hdr.flags & 8) !== 0 };
    if (b.readUInt16LE(0) === 24) {
      out.push({
        ...base,
        kind: 'oplock',
        level: b[2],
        fileId: { persistent: b.readBigUInt64LE(8), volatile: b.readBigUInt64LE(16) },
      });
    } else {
      out.push({
        ...base,
        kind: 'lease',
        epoch: b.readUInt16LE(2),
        flags: b.readUInt32LE(4),
        key: Buffer.from(b.subarray(8, 24)),
        current: b.readUInt32LE(24),
        next: b.readUInt32LE(28),
      });
    }
  }
  return out;
}

/** Wait until `c` has received `count` break notifications (fails after `ms`). */
export async function waitForBreaks(c: Smb2TestClient, count = 1, ms = 3000): Promise<BreakNotification[]> {
  const until = Date.now() + ms;
  for (;;) {
    const got = breaks(c);
    if (got.length >= count) return got;
    if (Date.now() > until) throw new Error(`expected ${count} break notification(s), got ${got.length}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** MS-SMB2 §2.2.24.1 oplock break acknowledgment. */
export function ackOplock(c: Smb2TestClient, f: Smb2FileId, level: number): Promise<Smb2Response> {
  const b = Buffer.alloc(24);
  b.writeUInt16LE(24, 0);
  b.writeUInt8(level, 2);
  Smb2TestClient.fileIdBytes(f).copy(b, 8);
  return c.request(Command.OPLOCK_BREAK, b);
}

/** MS-SMB2 §2.2.24.2 lease break acknowledgment. */
export function ackLease(c: Smb2TestClient, key: Buffer, state: number): Promise<Smb2Response> {
  const b = Buffer.alloc(36);
  b.writeUInt16LE(36, 0);
  key.copy(b, 8);
  b.writeUInt32LE(state, 24);
  return c.request(Command.OPLOCK_BREAK, b);
}

/** Whether `p` is still pending after `ms`. */
export async function stillPending(p: Promise<unknown>, ms = 100): Promise<boolean> {
  const marker = Symbol('pending');
  const r = await Promise.race([p, new Promise((res) => setTimeout(() => res(marker), ms))]);
  return r === marker;
}
