// Oplocks and leases (MS-SMB2 §3.3.5.9.8, §3.3.5.9.11, §3.3.4.6/.7,
// §3.3.5.22) with two in-process clients of different ClientGuids over a
// share whose lock manager breaks within 400 ms.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Command } from '../../src/protocols/smb2/constants.js';
import { frameHeader } from '../../src/protocols/smb2/framing.js';
import {
  READ,
  READ_WRITE,
  SHARE_ALL,
  SHARE_READ,
  STATUS_INVALID_PARAMETER,
  STATUS_PENDING,
  STATUS_SHARING_VIOLATION,
  ackLease,
  ackOplock,
  breaks,
  connectClient,
  create,
  createBody,
  finalOf,
  leaseContext,
  leaseKey,
  parseCreate,
  rawContext,
  stillPending,
  startLeaseServer,
  waitForBreaks,
  type LeaseTestServer,
} from './smb2-lease-fixture.js';

const LEVEL_NONE = 0;
const LEVEL_II = 1;
const LEVEL_EXCLUSIVE = 8;
const LEVEL_BATCH = 9;
const LEVEL_LEASE = 0xff;
const R = 1;
const H = 2;
const W = 4;

describe('SMB2 oplocks', () => {
  let s: LeaseTestServer;
  beforeEach(async () => {
    s = await startLeaseServer(400);
  });
  afterEach(async () => {
    await s.close();
  });

  it('grants batch, exclusive and level II to a lone opener and level II to a second opener', async () => {
    const a = await connectClient(s.srv.port, 1);
    expect((await create(a, 'batch.txt', { oplock: LEVEL_BATCH })).oplockLevel).toBe(LEVEL_BATCH);
    expect((await create(a, 'excl.txt', { oplock: LEVEL_EXCLUSIVE })).oplockLevel).toBe(LEVEL_EXCLUSIVE);
    expect((await create(a, 'two.txt', { oplock: LEVEL_II })).oplockLevel).toBe(LEVEL_II);
    expect((await create(a, 'none.txt', { oplock: LEVEL_NONE })).oplockLevel).toBe(LEVEL_NONE);
    // The same client opening again gets level II, never a second exclusive oplock.
    expect((await create(a, 'batch.txt', { oplock: LEVEL_BATCH, access: READ })).oplockLevel).toBe(LEVEL_II);
  });

  it('breaks an exclusive oplock to level II for a second reader, who waits for the acknowledgment', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    // A reader (the manager keeps no read caching for anyone while another client may write).
    const held = await create(a, 'f.txt', { oplock: LEVEL_BATCH, access: READ });
    expect(held.oplockLevel).toBe(LEVEL_BATCH);

    const second = create(b, 'f.txt', { oplock: LEVEL_BATCH, access: READ });
    const [brk] = await waitForBreaks(a);
    expect(brk.kind).toBe('oplock');
    expect(brk.level).toBe(LEVEL_II);
    expect(brk.fileId).toEqual(held.fileId);
    expect(await stillPending(second)).toBe(true);

    const ack = await ackOplock(a, held.fileId, LEVEL_II);
    expect(ack.status).toBe(0);
    expect(ack.body[2]).toBe(LEVEL_II);
    const got = await second;
    expect(got.status).toBe(0);
    expect(got.oplockLevel).toBe(LEVEL_II);
    expect(s.lm.stats().revoked).toBe(0);
  });

  it('breaks a level II oplock to none for a writer without waiting for an acknowledgment', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    expect((await create(a, 'l2.txt', { oplock: LEVEL_II, access: READ })).oplockLevel).toBe(LEVEL_II);
    const started = Date.now();
    const w = await create(b, 'l2.txt', { access: READ_WRITE });
    expect(w.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(300);
    const [brk] = await waitForBreaks(a);
    expect(brk.level).toBe(LEVEL_NONE);
  });

  it('revokes an oplock whose holder does not acknowledge within the break timeout', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    await create(a, 'slow.txt', { oplock: LEVEL_EXCLUSIVE, access: READ_WRITE });
    const started = Date.now();
    const got = await create(b, 'slow.txt', { access: READ_WRITE });
    expect(got.status).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(s.lm.stats().revoked).toBe(1);
    expect(breaks(a)).toHaveLength(1);
  });

  it('answers acknowledgments that match no break with an error, never a crash', async () => {
    const a = await connectClient(s.srv.port, 1);
    const held = await create(a, 'ack.txt', { oplock: LEVEL_BATCH });
    // No break in progress.
    expect((await ackOplock(a, held.fileId, LEVEL_NONE)).status).toBe(0xc0000184);
    // A lease level in an oplock acknowledgment, and an unknown level.
    expect((await ackOplock(a, held.fileId, LEVEL_LEASE)).status).toBe(STATUS_INVALID_PARAMETER);
    expect((await ackOplock(a, held.fileId, 0x42)).status).toBe(STATUS_INVALID_PARAMETER);
    // Unknown open.
    expect((await ackOplock(a, { persistent: 999n, volatile: 999n }, LEVEL_NONE)).status).toBe(0xc0000128);
  });
});

describe('SMB2 leases', () => {
  let s: LeaseTestServer;
  beforeEach(async () => {
    s = await startLeaseServer(400);
  });
  afterEach(async () => {
    await s.close();
  });

  it('grants RWH, RH and R to a lone opener (v1 and v2 contexts)', async () => {
    const a = await connectClient(s.srv.port, 1);
    for (const [i, state] of [R | W | H, R | H, R, R | W].entries()) {
      const got = await create(a, `l${i}.txt`, {
        oplock: LEVEL_LEASE,
        contexts: leaseContext(leaseKey(10 + i), state),
      });
      expect(got.oplockLevel).toBe(LEVEL_LEASE);
      expect(got.lease?.key).toEqual(leaseKey(10 + i));
      expect(got.lease?.state).toBe(state);
    }
    const v2 = await create(a, 'v2.txt', {
      oplock: LEVEL_LEASE,
      contexts: leaseContext(leaseKey(20), R | W | H, { epoch: 3, parentKey: leaseKey(99) }),
    });
    expect(v2.lease?.state).toBe(R | W | H);
    expect(v2.lease?.epoch).toBe(4);
    expect(v2.lease?.parentKey).toEqual(leaseKey(99));
    expect(v2.lease!.flags & 4).toBe(4);
    // W or H without R is no valid lease state: none.
    expect(
      (await create(a, 'bad.txt', { oplock: LEVEL_LEASE, contexts: leaseContext(leaseKey(21), W | H) })).lease?.state,
    ).toBe(0);
  });

  it('ignores a lease context unless OplockLevel is LEASE, and on 2.0.2', async () => {
    const a = await connectClient(s.srv.port, 1);
    const got = await create(a, 'x.txt', { oplock: LEVEL_II, contexts: leaseContext(leaseKey(1), R) });
    expect(got.oplockLevel).toBe(LEVEL_II);
    expect(got.lease).toBeUndefined();
    const old = await connectClient(s.srv.port, 2, [0x0202]);
    const g2 = await create(old, 'y.txt', { oplock: LEVEL_LEASE, contexts: leaseContext(leaseKey(2), R) });
    expect(g2.status).toBe(0);
    expect(g2.lease).toBeUndefined();
  });

  it('breaks RWH to RH for a second reader: ACK_REQUIRED, new epoch, the opener waits for the ack', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    const k = leaseKey(5);
    const held = await create(a, 'f.txt', {
      access: READ,
      oplock: LEVEL_LEASE,
      contexts: leaseContext(k, R | W | H, { epoch: 1 }),
    });
    expect(held.lease?.state).toBe(R | W | H);
    expect(held.lease?.epoch).toBe(2);

    const second = create(b, 'f.txt', {
      access: READ,
      oplock: LEVEL_LEASE,
      contexts: leaseContext(leaseKey(6), R | W | H, { epoch: 1 }),
    });
    const [brk] = await waitForBreaks(a);
    expect(brk.kind).toBe('lease');
    expect(brk.key).toEqual(k);
    expect(brk.current).toBe(R | W | H);
    expect(brk.next).toBe(R | H);
    expect(brk.flags).toBe(1);
    expect(brk.epoch).toBe(3);
    expect(await stillPending(second)).toBe(true);

    // Acknowledging more than the break allows is refused; the right state is accepted.
    expect((await ackLease(a, k, R | W | H)).status).toBe(0xc00000d0);
    const ack = await ackLease(a, k, R | H);
    expect(ack.status).toBe(0);
    expect(ack.body.readUInt32LE(24)).toBe(R | H);
    const got = await second;
    expect(got.status).toBe(0);
    expect(got.lease?.state).toBe(R | H);
    expect(s.lm.stats().revoked).toBe(0);
  });

  it('answers a waiting CREATE STATUS_PENDING at once (async), and STATUS_CANCELLED when cancelled', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    const k = leaseKey(12);
    await create(a, 'p.txt', { access: READ, oplock: LEVEL_LEASE, contexts: leaseContext(k, R | W | H) });
    const interim = await b.request(Command.CREATE, createBody('p.txt', { access: READ_WRITE }));
    expect(interim.status).toBe(STATUS_PENDING);
    expect(interim.hdr.flags & 2).toBe(2);
    expect(interim.hdr.asyncId).not.toBe(0n);
    // The connection keeps serving meanwhile.
    expect((await b.request(Command.ECHO, Buffer.from([4, 0, 0, 0]))).status).toBe(0);
    await waitForBreaks(a);

    // SMB2 CANCEL naming the AsyncId.
    const { msg } = b.build(Command.CANCEL, Buffer.from([4, 0, 0, 0]), { messageId: interim.hdr.messageId, flags: 2 });
    msg.writeBigUInt64LE(interim.hdr.asyncId, 32);
    b.sendRaw(Buffer.concat([frameHeader(msg.length), msg]));
    expect((await finalOf(b, interim)).status).toBe(0xc0000120);
    // The holder answers; the open the cancelled CREATE then made is closed again.
    await ackLease(a, k, H);
    const until = Date.now() + 2000;
    while (s.lm.stats().opens > 1 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(s.lm.stats().opens).toBe(1);
  });

  it('revokes a lease whose holder does not acknowledge in time', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    await create(a, 'g.txt', { access: READ, oplock: LEVEL_LEASE, contexts: leaseContext(leaseKey(7), R | W | H) });
    const started = Date.now();
    const got = await create(b, 'g.txt', { access: READ_WRITE });
    expect(got.status).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
    expect(s.lm.stats().revoked).toBe(1);
    // A late acknowledgment finds no break in progress.
    expect((await ackLease(a, leaseKey(7), 0)).status).toBe(0xc0000001);
  });

  it('breaks the HANDLE lease of a holder whose open denies the newcomer, who gets in once the handle closes', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    const k = leaseKey(8);
    const held = await create(a, 'h.txt', {
      access: READ_WRITE,
      share: SHARE_READ,
      oplock: LEVEL_LEASE,
      contexts: leaseContext(k, R | W | H),
    });
    const second = create(b, 'h.txt', { access: READ_WRITE });
    const [brk] = await waitForBreaks(a);
    expect(brk.current).toBe(R | W | H);
    expect(brk.next! & H).toBe(0);
    // The client closes its cached handle instead of acknowledging (as Windows does).
    await a.close(held.fileId);
    expect((await second).status).toBe(0);

    // Without a handle lease the conflict is a plain sharing violation.
    const c = await connectClient(s.srv.port, 3);
    const plain = await create(c, 'i.txt', { access: READ_WRITE, share: SHARE_READ });
    expect(plain.status).toBe(0);
    expect((await create(b, 'i.txt', { access: READ_WRITE })).status).toBe(STATUS_SHARING_VIOLATION);
  });

  it('shares one lease between the opens of one client that name its key, until the last closes', async () => {
    const a = await connectClient(s.srv.port, 1);
    const k = leaseKey(9);
    const first = await create(a, 'k.txt', { access: READ, oplock: LEVEL_LEASE, contexts: leaseContext(k, R | H, {}) });
    expect(first.lease?.state).toBe(R | H);
    const epoch1 = first.lease!.epoch!;
    // An upgrade through a second open of the same key.
    const second = await create(a, 'k.txt', {
      access: READ,
      oplock: LEVEL_LEASE,
      contexts: leaseContext(k, R | W | H, {}),
    });
    expect(second.lease?.state).toBe(R | W | H);
    expect(second.lease!.epoch).toBe(epoch1 + 1);
    // A lesser request never lowers it.
    const third = await create(a, 'k.txt', { access: READ, oplock: LEVEL_LEASE, contexts: leaseContext(k, R, {}) });
    expect(third.lease?.state).toBe(R | W | H);
    expect(s.lm.stats().leases).toBe(1);
    // The same key for another file.
    const other = await create(a, 'other.txt', { oplock: LEVEL_LEASE, contexts: leaseContext(k, R) });
    expect(other.status).toBe(STATUS_INVALID_PARAMETER);

    await a.close(first.fileId);
    await a.close(second.fileId);
    expect(s.lm.stats().leases).toBe(1);
    await a.close(third.fileId);
    expect(s.lm.stats().leases).toBe(0);
  });

  it('grants directory leases on 3.x only, and at most RH', async () => {
    const a = await connectClient(s.srv.port, 1);
    expect((await create(a, 'd', { options: 1, disposition: 2, access: READ })).status).toBe(0);
    const dir = await create(a, 'd', {
      options: 1,
      access: READ,
      oplock: LEVEL_LEASE,
      contexts: leaseContext(leaseKey(30), R | W | H, {}),
    });
    expect(dir.status).toBe(0);
    expect(dir.lease?.state).toBe(R | H);
    const old = await connectClient(s.srv.port, 2, [0x0210]);
    const d21 = await create(old, 'd', {
      options: 1,
      access: READ,
      oplock: LEVEL_LEASE,
      contexts: leaseContext(leaseKey(31), R | H),
    });
    expect(d21.status).toBe(0);
    expect(d21.oplockLevel).toBe(LEVEL_NONE);
    expect(d21.lease).toBeUndefined();
    // Oplocks are never granted on directories.
    expect((await create(a, 'd', { options: 1, access: READ, oplock: LEVEL_BATCH })).oplockLevel).toBe(LEVEL_NONE);
  });

  it('answers malformed lease contexts and acknowledgments with INVALID_PARAMETER and keeps serving', async () => {
    const a = await connectClient(s.srv.port, 1);
    for (const len of [0, 20, 31, 33, 51, 60]) {
      const got = await create(a, `m${len}.txt`, {
        oplock: LEVEL_LEASE,
        contexts: rawContext('RqLs', Buffer.alloc(len, 1)),
      });
      expect(got.status, `length ${len}`).toBe(STATUS_INVALID_PARAMETER);
    }
    // A context whose data runs past the message.
    const ctx = leaseContext(leaseKey(40), R);
    ctx.writeUInt32LE(5000, 12);
    expect((await create(a, 'n.txt', { oplock: LEVEL_LEASE, contexts: ctx })).status).toBe(STATUS_INVALID_PARAMETER);

    // Lease acknowledgments: bad state bits, unknown key; bad StructureSize; short bodies.
    expect((await ackLease(a, leaseKey(41), 0x10)).status).toBe(STATUS_INVALID_PARAMETER);
    expect((await ackLease(a, leaseKey(41), R)).status).toBe(0xc0000034);
    const odd = Buffer.alloc(30);
    odd.writeUInt16LE(30, 0);
    expect((await a.request(Command.OPLOCK_BREAK, odd)).status).toBe(STATUS_INVALID_PARAMETER);
    for (const n of [0, 1, 2, 10, 35]) {
      const short = Buffer.alloc(n);
      if (n >= 2) short.writeUInt16LE(36, 0);
      expect((await a.request(Command.OPLOCK_BREAK, short)).status, `body of ${n}`).toBe(STATUS_INVALID_PARAMETER);
    }
    // Random bodies.
    for (let i = 0; i < 50; i++) {
      const body = Buffer.from(Array.from({ length: 1 + ((i * 7) % 60) }, (_, j) => (i * 31 + j * 17) & 0xff));
      const res = await a.request(Command.OPLOCK_BREAK, body);
      expect(res.status).not.toBe(0);
    }
    const alive = parseCreate(
      await a.request(
        Command.CREATE,
        createBody('alive.txt', { oplock: LEVEL_LEASE, contexts: leaseContext(leaseKey(42), R) }),
      ),
    );
    expect(alive.status).toBe(0);
    expect(alive.lease?.state).toBe(R);
    void SHARE_ALL;
  });
});
