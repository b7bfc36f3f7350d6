/**
 * SMB2 LOCK (MS-SMB2 §3.3.5.14) against the real server with a unified lock
 * manager: Windows semantics per open, arrays in order with roll-back,
 * blocking locks answered async (interim STATUS_PENDING, then the final
 * response), CANCEL, release at close/logoff/tree disconnect/disconnect, and
 * mandatory locking on READ/WRITE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLockManager, type LockManager } from '../../src/core/locks/index.js';
import { MemoryMetadataStore } from '../../src/storage/metadata/memory/index.js';
import { Command, FLAGS_ASYNC_COMMAND, FLAGS_SIGNED } from '../../src/protocols/smb2/constants.js';
import { deriveSessionKeys, verifySignature } from '../../src/protocols/smb2/crypto/index.js';
import { cryptoSigning } from '../../src/protocols/smb2/signing.js';
import { Smb2TestClient, type Smb2FileId } from './helpers/smb2-client.js';
import { LOCKFLAG, lockBody, lockOf } from './smb2-lock-fixture.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const { SHARED, EXCLUSIVE, UNLOCK, FAIL } = LOCKFLAG;

const S = {
  OK: 0,
  PENDING: 0x103,
  INVALID_PARAMETER: 0xc000000d,
  FILE_LOCK_CONFLICT: 0xc0000054,
  LOCK_NOT_GRANTED: 0xc0000055,
  RANGE_NOT_LOCKED: 0xc000007e,
  CANCELLED: 0xc0000120,
  INVALID_LOCK_RANGE: 0xc00001a1,
  NOT_SUPPORTED: 0xc00000bb,
};

describe('SMB2 LOCK', () => {
  let srv: Smb2TestServer;
  let lm: LockManager;
  let n = 0;
  beforeAll(async () => {
    lm = createLockManager();
    srv = await startSmb2TestServer({ server: { locks: () => lm } });
  });
  afterAll(async () => {
    await srv.close();
    await lm.close();
  });

  /** A client with two opens of one new file (the same client: locks still conflict between them). */
  async function twoOpens(): Promise<{ c: Smb2TestClient; h1: Smb2FileId; h2: Smb2FileId; name: string }> {
    const c = await srv.client();
    const name = `lock-${n++}.bin`;
    const a = await c.create(name, { disposition: 5 });
    expect(a.status).toBe(0);
    expect((await c.write(a.fileId, 0, Buffer.alloc(200, 1))).status).toBe(0);
    const b = await c.create(name, { disposition: 1 });
    expect(b.status).toBe(0);
    return { c, h1: a.fileId, h2: b.fileId, name };
  }

  it('two opens of one client conflict; the same open may stack shared locks on its exclusive lock but not a second exclusive', async () => {
    const { c, h1, h2 } = await twoOpens();
    expect(await lockOf(c, h1, [[100, 10, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(await lockOf(c, h2, [[105, 1, SHARED | FAIL]])).toBe(S.LOCK_NOT_GRANTED);
    expect(await lockOf(c, h1, [[100, 10, EXCLUSIVE | FAIL]])).toBe(S.LOCK_NOT_GRANTED);
    expect(await lockOf(c, h1, [[102, 5, SHARED | FAIL]])).toBe(S.OK);
    // A zero-length lock inside the range conflicts (MS-FSA §2.1.4.10); one at its start does not.
    expect(await lockOf(c, h2, [[102, 0, EXCLUSIVE | FAIL]])).toBe(S.LOCK_NOT_GRANTED);
    expect(await lockOf(c, h2, [[100, 0, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(await lockOf(c, h2, [[110, 10, EXCLUSIVE | FAIL]])).toBe(S.OK);
  });

  it('unlocks must name a held lock exactly: a sub-range, another open’s lock or a second unlock is RANGE_NOT_LOCKED', async () => {
    const { c, h1, h2 } = await twoOpens();
    expect(await lockOf(c, h1, [[0, 10, SHARED | FAIL]])).toBe(S.OK);
    expect(await lockOf(c, h1, [[0, 5, UNLOCK]])).toBe(S.RANGE_NOT_LOCKED);
    expect(await lockOf(c, h2, [[0, 10, UNLOCK]])).toBe(S.RANGE_NOT_LOCKED);
    expect(await lockOf(c, h1, [[0, 10, UNLOCK]])).toBe(S.OK);
    expect(await lockOf(c, h1, [[0, 10, UNLOCK]])).toBe(S.RANGE_NOT_LOCKED);
  });

  it('unlock arrays apply in order and stop at the first range not locked, keeping earlier unlocks', async () => {
    const { c, h1, h2 } = await twoOpens();
    expect(
      await lockOf(c, h1, [
        [0, 10, EXCLUSIVE | FAIL],
        [20, 10, EXCLUSIVE | FAIL],
        [40, 10, EXCLUSIVE | FAIL],
      ]),
    ).toBe(S.OK);
    expect(
      await lockOf(c, h1, [
        [0, 10, UNLOCK],
        [30, 1, UNLOCK],
        [40, 10, UNLOCK],
      ]),
    ).toBe(S.RANGE_NOT_LOCKED);
    expect(await lockOf(c, h2, [[0, 10, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(await lockOf(c, h2, [[40, 10, EXCLUSIVE | FAIL]])).toBe(S.LOCK_NOT_GRANTED);
  });

  it('lock arrays are all-or-nothing: a refused element rolls back the ones taken before it', async () => {
    const { c, h1, h2 } = await twoOpens();
    expect(await lockOf(c, h2, [[50, 10, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(
      await lockOf(c, h1, [
        [0, 10, EXCLUSIVE | FAIL],
        [20, 10, SHARED | FAIL],
        [55, 1, SHARED | FAIL],
      ]),
    ).toBe(S.LOCK_NOT_GRANTED);
    // Nothing of the refused request is held: h2 can take both ranges.
    expect(
      await lockOf(c, h2, [
        [0, 10, EXCLUSIVE | FAIL],
        [20, 10, EXCLUSIVE | FAIL],
      ]),
    ).toBe(S.OK);
  });

  it('malformed requests: no elements, blocking in an array, unlock mixed with locks, bad flags, a range past 2^64', async () => {
    const { c, h1 } = await twoOpens();
    expect(await lockOf(c, h1, [])).toBe(S.INVALID_PARAMETER);
    expect(
      await lockOf(c, h1, [
        [0, 1, EXCLUSIVE | FAIL],
        [2, 1, EXCLUSIVE],
      ]),
    ).toBe(S.INVALID_PARAMETER);
    expect(
      await lockOf(c, h1, [
        [0, 1, EXCLUSIVE | FAIL],
        [2, 1, UNLOCK],
      ]),
    ).toBe(S.INVALID_PARAMETER);
    expect(await lockOf(c, h1, [[0, 1, SHARED | EXCLUSIVE | FAIL]])).toBe(S.INVALID_PARAMETER);
    expect(await lockOf(c, h1, [[0, 1, FAIL]])).toBe(S.INVALID_PARAMETER);
    expect(await lockOf(c, h1, [[0xffffffffffffff00n, 0x1000n, SHARED | FAIL]])).toBe(S.INVALID_LOCK_RANGE);
    // Nothing was taken by any of them.
    expect(await lockOf(c, h1, [[0, 1, UNLOCK]])).toBe(S.RANGE_NOT_LOCKED);
    // An unlock array stops at its first bad element, keeping the unlocks before it (MS-SMB2 §3.3.5.14.1).
    expect(await lockOf(c, h1, [[0, 1, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(
      await lockOf(c, h1, [
        [0, 1, UNLOCK],
        [2, 1, SHARED | FAIL],
      ]),
    ).toBe(S.INVALID_PARAMETER);
    expect(await lockOf(c, h1, [[0, 1, UNLOCK]])).toBe(S.RANGE_NOT_LOCKED);
    // A body claiming more elements than it carries.
    const body = lockBody(h1, [[0, 1, SHARED | FAIL]]);
    body.writeUInt16LE(5, 2);
    expect((await c.request(Command.LOCK, body)).status).toBe(S.INVALID_PARAMETER);
  });

  it('ranges near 2^64 keep conflicting although JavaScript numbers round them', async () => {
    const { c, h1, h2 } = await twoOpens();
    const top = 2n ** 63n - 1n;
    expect(await lockOf(c, h1, [[top, 1, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(await lockOf(c, h2, [[top, 1, EXCLUSIVE | FAIL]])).toBe(S.LOCK_NOT_GRANTED);
    expect(await lockOf(c, h1, [[top, 1, UNLOCK]])).toBe(S.OK);
    expect(await lockOf(c, h1, [[0xffffffffffffffffn, 0, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(await lockOf(c, h1, [[0xffffffffffffffffn, 0, UNLOCK]])).toBe(S.OK);
    expect(await lockOf(c, h1, [[0xffffffffffffffffn, 1, EXCLUSIVE | FAIL]])).toBe(S.OK);
    expect(await lockOf(c, h2, [[0xffffffffffffffffn, 1, EXCLUSIVE | FAIL]])).toBe(S.LOCK_NOT_GRANTED);
    expect(await lockOf(c, h1, [[0xffffffffffffffffn, 1, UNLOCK]])).toBe(S.OK);
    expect(await lockOf(c, h1, [[0xffffffffffffffffn, 2, EXCLUSIVE | FAIL]])).toBe(S.INVALID_LOCK_RANGE);
  });

  it('a blocking lock answers an interim STATUS_PENDING (ASYNC header, credits) and completes when the holder unlocks', async () => {
    const { c, h1, h2 } = await twoOpens();
    expect(await lockOf(c, h1, [[0, 10, EXCLUSIVE]])).toBe(S.OK);
    const w = c.requestAsync(Command.LOCK, lockBody(h2, [[5, 10, SHARED]]));
    const interim = await w.interim;
    expect(interim.status).toBe(S.PENDING);
    expect(interim.hdr.flags & FLAGS_ASYNC_COMMAND).toBe(FLAGS_ASYNC_COMMAND);
    expect(interim.hdr.asyncId).not.toBe(0n);
    expect(interim.hdr.credits).toBeGreaterThan(0);
    // Other commands on the connection are not held up by the waiting lock.
    expect((await c.echo()).status).toBe(0);
    expect(await lockOf(c, h1, [[0, 10, UNLOCK]])).toBe(S.OK);
    const final = await w.final;
    expect(final.status).toBe(S.OK);
    expect(final.hdr.flags & FLAGS_ASYNC_COMMAND).toBe(FLAGS_ASYNC_COMMAND);
    expect(final.hdr.asyncId).toBe(interim.hdr.asyncId);
    expect(final.hdr.messageId).toBe(w.messageId);
    expect(await lockOf(c, h1, [[5, 1, EXCLUSIVE | FAIL]])).toBe(S.LOCK_NOT_GRANTED);
  });

  it('CANCEL by AsyncId or by MessageId ends a waiting lock with STATUS_CANCELLED; an unknown target is ignored', async () => {
    const { c, h1, h2 } = await twoOpens();
    expect(await lockOf(c, h1, [[0, 10, EXCLUSIVE]])).toBe(S.OK);
    const w1 = c.requestAsync(Command.LOCK, lockBody(h2, [[0, 1, EXCLUSIVE]]));
    const interim = await w1.interim;
    c.cancel({ asyncId: 999999n });
    c.cancel({ asyncId: interim.hdr.asyncId });
    expect((await w1.final).status).toBe(S.CANCELLED);
    const w2 = c.requestAsync(Command.LOCK, lockBody(h2, [[0, 1, EXCLUSIVE]]));
    await w2.interim;
    c.cancel({ messageId: w2.messageId });
    expect((await w2.final).status).toBe(S.CANCELLED);
    // Neither left a lock or a waiter behind: after the unlock, the holder can lock again at once.
    expect(await lockOf(c, h1, [[0, 10, UNLOCK]])).toBe(S.OK);
    expect(await lockOf(c, h1, [[0, 10, EXCLUSIVE | FAIL]])).toBe(S.OK);
  });

  it('closing the waiting open ends its lock with RANGE_NOT_LOCKED; closing the holder releases its locks to the waiters', async () => {
    const { c, h1, h2, name } = await twoOpens();
    expect(await lockOf(c, h1, [[0, 10, EXCLUSIVE]])).toBe(S.OK);
    const w = c.requestAsync(Command.LOCK, lockBody(h2, [[0, 10, EXCLUSIVE]]));
    await w.interim;
    expect((await c.close(h2)).status).toBe(0);
    expect((await w.final).status).toBe(S.RANGE_NOT_LOCKED);

    const h3 = (await c.create(name, { disposition: 1 })).fileId;
    const w3 = c.requestAsync(Command.LOCK, lockBody(h3, [[0, 10, EXCLUSIVE]]));
    await w3.interim;
    expect((await c.close(h1)).status).toBe(0);
    expect((await w3.final).status).toBe(S.OK);
  });

  it('tree disconnect and logoff end waiting locks with RANGE_NOT_LOCKED and release the locks held', async () => {
    const other = await srv.client();
    const { c, h1, name } = await twoOpens();
    const o = (await other.create(name, { disposition: 1 })).fileId;
    expect(await lockOf(other, o, [[0, 10, EXCLUSIVE]])).toBe(S.OK);
    const w = c.requestAsync(Command.LOCK, lockBody(h1, [[0, 10, EXCLUSIVE]]));
    await w.interim;
    expect((await c.treeDisconnect()).status).toBe(0);
    expect((await w.final).status).toBe(S.RANGE_NOT_LOCKED);

    const c2 = await srv.client();
    const h = (await c2.create(name, { disposition: 1 })).fileId;
    const w2 = c2.requestAsync(Command.LOCK, lockBody(h, [[0, 10, SHARED]]));
    await w2.interim;
    expect((await c2.logoff()).status).toBe(0);
    expect((await w2.final).status).toBe(S.RANGE_NOT_LOCKED);

    // The holder logs off: its lock goes, so a third client gets the range at once.
    expect((await other.logoff()).status).toBe(0);
    const c3 = await srv.client();
    const h3 = (await c3.create(name, { disposition: 1 })).fileId;
    expect(await lockOf(c3, h3, [[0, 10, EXCLUSIVE | FAIL]])).toBe(S.OK);
  });

  it('losing the connection releases its locks and waiting locks, and the waiters of others are granted', async () => {
    const holder = await srv.client();
    const name = `lock-${n++}.bin`;
    const hf = (await holder.create(name, { disposition: 5 })).fileId;
    expect(await lockOf(holder, hf, [[0, 100, EXCLUSIVE]])).toBe(S.OK);
    const waiter = await srv.client();
    const wf = (await waiter.create(name, { disposition: 1 })).fileId;
    const w = waiter.requestAsync(Command.LOCK, lockBody(wf, [[50, 1, EXCLUSIVE]]));
    await w.interim;
    holder.socket.destroy();
    expect((await w.final).status).toBe(S.OK);
    expect(lm.stats().waiters).toBe(0);
  });

  it('mandatory locking: READ/WRITE over another open’s exclusive lock, or WRITE over any shared lock, is FILE_LOCK_CONFLICT', async () => {
    const { c, h1, h2 } = await twoOpens();
    expect(
      await lockOf(c, h1, [
        [0, 10, EXCLUSIVE | FAIL],
        [100, 10, SHARED | FAIL],
      ]),
    ).toBe(S.OK);
    expect((await c.write(h2, 5, Buffer.from('x'))).status).toBe(S.FILE_LOCK_CONFLICT);
    expect((await c.read(h2, 9, 2)).status).toBe(S.FILE_LOCK_CONFLICT);
    expect((await c.read(h2, 10, 5)).status).toBe(S.OK);
    // The holder reads and writes its exclusive range.
    expect((await c.write(h1, 0, Buffer.from('mine'))).status).toBe(S.OK);
    expect((await c.read(h1, 0, 4)).status).toBe(S.OK);
    // A shared lock lets everyone read and nobody write, its holder included.
    expect((await c.read(h2, 100, 10)).status).toBe(S.OK);
    expect((await c.write(h2, 105, Buffer.from('x'))).status).toBe(S.FILE_LOCK_CONFLICT);
    expect((await c.write(h1, 105, Buffer.from('x'))).status).toBe(S.FILE_LOCK_CONFLICT);
  });

  it('the final response of an async LOCK on a signed session is signed and verifies', async () => {
    const c = await srv.client({ dialects: [0x0210] });
    const key = deriveSessionKeys(0x0210, Buffer.alloc(16, 7)).signingKey;
    c.signing = { engine: cryptoSigning, key };
    const name = `lock-${n++}.bin`;
    const h1 = (await c.create(name, { disposition: 5 })).fileId;
    const h2 = (await c.create(name, { disposition: 1 })).fileId;
    expect(await lockOf(c, h1, [[0, 1, EXCLUSIVE]])).toBe(S.OK);
    const w = c.requestAsync(Command.LOCK, lockBody(h2, [[0, 1, EXCLUSIVE]]));
    const interim = await w.interim;
    // MS-SMB2 §3.3.4.1.1: the interim response is not signed.
    expect(interim.hdr.flags & FLAGS_SIGNED).toBe(0);
    expect(await lockOf(c, h1, [[0, 1, UNLOCK]])).toBe(S.OK);
    const final = await w.final;
    expect(final.status).toBe(S.OK);
    expect(final.hdr.flags & FLAGS_SIGNED).toBe(FLAGS_SIGNED);
    expect(verifySignature(0x0210, key, final.msg)).toBe(true);
  });

  it('a share without a lock manager answers NOT_SUPPORTED', async () => {
    const plain = await startSmb2TestServer();
    try {
      const c = await plain.client();
      const f = (await c.create('x.bin', { disposition: 5 })).fileId;
      expect(await lockOf(c, f, [[0, 1, SHARED | FAIL]])).toBe(S.NOT_SUPPORTED);
    } finally {
      await plain.close();
    }
  });
});

describe('SMB2 LOCK during the grace period after a restart', () => {
  it('during grace, locks and opens clear of the state being reclaimed are granted at once (SMB reclaims nothing)', async () => {
    const store = new MemoryMetadataStore();
    const before = createLockManager({ store });
    const nlmOwner = { protocol: 'nlm' as const, clientId: 'host-a', ownerId: 'oh', pid: 1 };
    await before.lock({ file: 999_999, owner: nlmOwner, type: 'exclusive', offset: 0, length: 1 }, { wait: false });
    await before.close();
    // The restarted manager holds that lock for reclaim, so grace does not end by itself.
    const lm = createLockManager({ store });
    await lm.load();
    lm.startGrace(60);
    const srv = await startSmb2TestServer({ server: { locks: () => lm } });
    try {
      const c = await srv.client();
      // An open taking a share reservation and a Windows lock on another file: neither waits for grace.
      const h = (await c.create('grace.bin', { disposition: 5 })).fileId;
      expect(await lockOf(c, h, [[0, 10, EXCLUSIVE | FAIL]])).toBe(S.OK);
      expect(lm.inGrace).toBe(true);
      expect(await lockOf(c, h, [[0, 10, UNLOCK]])).toBe(S.OK);
    } finally {
      await srv.close();
      await lm.close();
    }
  });
});
