import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLockManager, type LockManager } from '../../core/locks/index.js';
import { DEFAULT_SHARE_OPTIONS, type Share, type ShareAccess, type ShareRegistry } from '../../core/share.js';
import { encodeHandle } from '../../core/vfs/handle.js';
import { ROOT, makeVfs } from '../../core/vfs/vfs-fixture.js';
import { PortmapRegistry, createPortmapProgram } from '../portmap/index.js';
import { PortmapRemoteCaller, type RemoteCaller, type RemoteTarget } from '../portmap/remote-call.js';
import { RpcClient, type RpcReply } from '../rpc/client.js';
import { RpcServer } from '../rpc/server.js';
import { AcceptStat, type RpcProgram } from '../rpc/types.js';
import { XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import { decodeRes, decodeShareRes, decodeTestArgs, decodeTestRes } from './codec/decode.js';
import {
  encodeCancelArgs,
  encodeLockArgs,
  encodeNotifyArgs,
  encodeShareArgs,
  encodeTestArgs,
  encodeUnlockArgs,
} from './codec/encode.js';
import type { NlmLock, NlmRes, NlmTestArgs } from './codec/types.js';
import { FshAccess, FshMode, NLM_PROGRAM, NlmProc, NlmStatus } from './constants.js';
import type { MonitoredClient } from './context.js';
import { createNlmProgram, type NlmProgram } from './program.js';

const V4 = 4;
const V3 = 3;

/** The "client host": a portmapper and an NLM that records GRANTED and _RES calls. */
class ClientHost {
  readonly granted: NlmTestArgs[] = [];
  readonly results: Array<{ proc: number; body: Buffer }> = [];
  answer = NlmStatus.GRANTED;
  server!: RpcServer;
  portmapPort = 0;

  async start(): Promise<void> {
    const registry = new PortmapRegistry();
    const nlm: RpcProgram = {
      prog: NLM_PROGRAM,
      name: 'client-nlm',
      minVers: 1,
      maxVers: 4,
      handle: async (call, args, reply) => {
        if (call.proc === NlmProc.GRANTED) {
          const a = decodeTestArgs(args, call.vers);
          this.granted.push({ ...a, cookie: Buffer.from(a.cookie), lock: { ...a.lock, fh: Buffer.from(a.lock.fh) } });
          reply.opaque(a.cookie).uint32(this.answer);
        } else {
          this.results.push({ proc: call.proc, body: Buffer.from(args.rest()) });
        }
        return 'success';
      },
    };
    this.server = new RpcServer({ programs: [createPortmapProgram(registry), nlm] });
    this.portmapPort = (await this.server.listenTcp(0, '127.0.0.1')).port;
    for (const protocol of ['tcp', 'udp'] as const)
      registry.set({ prog: NLM_PROGRAM, vers: V4, protocol, port: this.portmapPort });
    registry.set({ prog: NLM_PROGRAM, vers: V3, protocol: 'tcp', port: this.portmapPort });
  }

  /** Calls go to this host's portmapper instead of port 111. */
  caller(): RemoteCaller {
    const inner = new PortmapRemoteCaller({ timeoutMs: 2_000 });
    return {
      call: (t: RemoteTarget, prog, vers, proc, args) =>
        inner.call({ ...t, portmapPort: this.portmapPort }, prog, vers, proc, args),
    };
  }
}

let lm: LockManager;
let share: Share;
let fh: Buffer;
let fh2: Buffer;
let host: ClientHost;
let program: NlmProgram;
let server: RpcServer;
let client: RpcClient;
let monitored: MonitoredClient[];
/** What the share authorizer answers, and the AUTH_SYS uids it was asked about. */
let access: ShareAccess;
let askedUids: Array<number | undefined>;

beforeEach(async () => {
  const { vfs } = await makeVfs();
  share = { id: 3, name: '/export', options: DEFAULT_SHARE_OPTIONS, vfs };
  const shares: ShareRegistry = {
    byId: (id) => (id === 3 ? share : undefined),
    byName: (n) => (n === '/export' ? share : undefined),
    list: () => [share],
  };
  const mk = async (name: string) => {
    const c = await vfs.create(ROOT, vfs.root(), name, { kind: 'unchecked', set: {} });
    return encodeHandle({ shareId: 3, id: c.obj.id, generation: c.obj.generation });
  };
  fh = await mk('a');
  fh2 = await mk('b');
  lm = createLockManager();
  host = new ClientHost();
  await host.start();
  monitored = [];
  access = 'write';
  askedUids = [];
  program = createNlmProgram({
    shares,
    locks: (id) => (id === 3 ? lm : undefined),
    callbackClient: host.caller(),
    monitor: (c) => monitored.push(c),
    serverName: 'dfs-test',
    grantRetryDelaysMs: [20, 20],
    authorize: (_share, caller) => {
      askedUids.push(caller?.uid);
      return access;
    },
  });
  server = new RpcServer({ programs: [program] });
  const { port } = await server.listenTcp(0, '127.0.0.1');
  client = await RpcClient.connect('127.0.0.1', port);
});

afterEach(async () => {
  await client.close();
  await server.close();
  await host.server.close();
  await lm.close();
});

const lockOf = (over: Partial<NlmLock> = {}): NlmLock => ({
  callerName: 'guest',
  fh,
  oh: Buffer.from('owner-1'),
  svid: 101,
  offset: 0n,
  length: 100n,
  ...over,
});
const A = (over: Partial<NlmLock> = {}) => lockOf(over);
const B = (over: Partial<NlmLock> = {}) => lockOf({ oh: Buffer.from('owner-2'), svid: 202, ...over });

function body(r: RpcReply): XdrReader {
  if (r.kind !== 'accepted' || r.acceptStat !== AcceptStat.SUCCESS) throw new Error(`unexpected ${JSON.stringify(r)}`);
  return r.body;
}
async function call(proc: number, enc: (w: XdrWriter) => void, vers = V4): Promise<XdrReader> {
  const w = new XdrWriter();
  enc(w);
  return body(await client.call(NLM_PROGRAM, vers, proc, w.toBuffer()));
}
const cookie = Buffer.from('ck');
async function lock(l: NlmLock, o: { block?: boolean; exclusive?: boolean; reclaim?: boolean; vers?: number } = {}) {
  const vers = o.vers ?? V4;
  const args = { cookie, block: !!o.block, exclusive: o.exclusive ?? true, lock: l, reclaim: !!o.reclaim, state: 3 };
  return decodeRes(await call(NlmProc.LOCK, (w) => encodeLockArgs(w, vers, args), vers)).stat;
}
async function unlock(l: NlmLock): Promise<NlmStatus> {
  return decodeRes(await call(NlmProc.UNLOCK, (w) => encodeUnlockArgs(w, V4, { cookie, lock: l }))).stat;
}
async function test(l: NlmLock, exclusive = true, vers = V4) {
  return decodeTestRes(
    await call(NlmProc.TEST, (w) => encodeTestArgs(w, vers, { cookie, exclusive, lock: l }), vers),
    vers,
  );
}
async function until(cond: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('NLM locking over RPC', () => {
  it('refuses a conflicting lock and TEST reports the holder (exclusive, svid, oh, range)', async () => {
    expect(await lock(A({ offset: 10n, length: 20n }))).toBe(NlmStatus.GRANTED);
    expect(await lock(B({ offset: 25n, length: 10n }))).toBe(NlmStatus.DENIED);
    const t = await test(B({ offset: 0n, length: 0n }));
    expect(t.stat).toBe(NlmStatus.DENIED);
    expect(t.holder).toEqual({ exclusive: true, svid: 101, oh: Buffer.from('owner-1'), offset: 10n, length: 20n });
    // Shared locks coexist; the owner's own lock never conflicts with itself.
    expect((await test(A({ offset: 0n, length: 0n }))).stat).toBe(NlmStatus.GRANTED);
    expect(await lock(B({ offset: 30n, length: 0n }), { exclusive: false })).toBe(NlmStatus.GRANTED);
    expect(await lock(lockOf({ oh: Buffer.from('o3'), offset: 40n, length: 5n }), { exclusive: false })).toBe(
      NlmStatus.GRANTED,
    );
    expect(monitored.map((m) => m.name)).toEqual(['guest', 'guest', 'guest']);
    expect(monitored[0]).toMatchObject({ address: '127.0.0.1', state: 3 });
  });

  it('a lock to end of file is reported with length 0; v3 uses 32-bit ranges', async () => {
    expect(await lock(A({ offset: 5n, length: 0n }), { vers: V3 })).toBe(NlmStatus.GRANTED);
    const t = await test(B({ offset: 1000n, length: 1n }), true, V3);
    expect(t.holder).toMatchObject({ offset: 5n, length: 0n, svid: 101 });
  });

  it('unlocking the middle of a lock leaves two locks that others see', async () => {
    expect(await lock(A({ offset: 0n, length: 300n }))).toBe(NlmStatus.GRANTED);
    expect(await unlock(A({ offset: 100n, length: 100n }))).toBe(NlmStatus.GRANTED);
    expect((await test(B({ offset: 100n, length: 100n }))).stat).toBe(NlmStatus.GRANTED);
    expect((await test(B({ offset: 50n, length: 60n }))).holder).toMatchObject({ offset: 0n, length: 100n });
    expect((await test(B({ offset: 190n, length: 20n }))).holder).toMatchObject({ offset: 200n, length: 100n });
  });

  it('a blocked lock is granted through an NLM_GRANTED callback when the holder unlocks', async () => {
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
    const waiting = B({ offset: 50n, length: 10n });
    expect(await lock(waiting, { block: true })).toBe(NlmStatus.BLOCKED);
    // The client re-polls (Linux: every 30 s): still the same queued request.
    expect(await lock(waiting, { block: true })).toBe(NlmStatus.BLOCKED);
    expect(program.blockedCount).toBe(1);
    expect(host.granted).toHaveLength(0);
    expect(await unlock(A())).toBe(NlmStatus.GRANTED);
    await until(() => host.granted.length === 1);
    const g = host.granted[0]!;
    expect(g.cookie).toEqual(cookie);
    expect(g.exclusive).toBe(true);
    expect(g.lock).toMatchObject({
      callerName: 'dfs-test',
      svid: 202,
      offset: 50n,
      length: 10n,
      oh: Buffer.from('owner-2'),
    });
    expect(g.lock.fh).toEqual(fh);
    expect((await test(A({ offset: 55n, length: 1n }))).holder).toMatchObject({ svid: 202 });
    expect(program.blockedCount).toBe(0);
  });

  it('a grant the client refuses is given back', async () => {
    host.answer = NlmStatus.DENIED;
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
    expect(await lock(B(), { block: true })).toBe(NlmStatus.BLOCKED);
    await unlock(A());
    await until(() => host.granted.length === 1);
    await until(() => lm.stats().locks === 0);
    expect((await test(A())).stat).toBe(NlmStatus.GRANTED);
  });

  it('CANCEL withdraws a blocked lock', async () => {
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
    expect(await lock(B(), { block: true })).toBe(NlmStatus.BLOCKED);
    const c = await call(NlmProc.CANCEL, (w) =>
      encodeCancelArgs(w, V4, { cookie, block: true, exclusive: true, lock: B() }),
    );
    expect(decodeRes(c).stat).toBe(NlmStatus.GRANTED);
    expect(program.blockedCount).toBe(0);
    await unlock(A());
    await new Promise((r) => setTimeout(r, 50));
    expect(host.granted).toHaveLength(0);
    expect((await test(A())).stat).toBe(NlmStatus.GRANTED);
  });

  it('a handle naming no file is STALE_FH (v4) or DENIED_NOLOCKS (v3)', async () => {
    const stale = encodeHandle({ shareId: 3, id: 999, generation: 1 });
    expect(await lock(A({ fh: stale }))).toBe(NlmStatus.STALE_FH);
    expect(await lock(A({ fh: stale }), { vers: V3 })).toBe(NlmStatus.DENIED_NOLOCKS);
    expect(await lock(A({ fh: Buffer.from('junk') }))).toBe(NlmStatus.STALE_FH);
    expect(await lock(A({ fh: encodeHandle({ shareId: 9, id: 1, generation: 1 }) }))).toBe(NlmStatus.STALE_FH);
  });

  it('during grace only reclaims are granted; TEST is refused', async () => {
    lm.startGrace(60);
    expect(await lock(A())).toBe(NlmStatus.DENIED_GRACE_PERIOD);
    expect((await test(A())).stat).toBe(NlmStatus.DENIED_GRACE_PERIOD);
    await lm.endGrace();
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
  });

  it('FREE_ALL and releaseHost drop every lock of a host', async () => {
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
    expect(await lock(B({ fh: fh2 }))).toBe(NlmStatus.GRANTED);
    expect(await lock(lockOf({ callerName: 'other', fh: fh2, offset: 500n }))).toBe(NlmStatus.GRANTED);
    await call(NlmProc.FREE_ALL, (w) => encodeNotifyArgs(w, { name: 'guest', state: 5 }));
    expect((await test(lockOf({ callerName: 'x' }))).stat).toBe(NlmStatus.GRANTED);
    expect((await test(lockOf({ callerName: 'x', fh: fh2, offset: 0n, length: 0n }))).holder).toMatchObject({
      offset: 500n,
    });
    await program.releaseHost('other');
    expect(lm.stats().locks).toBe(0);
  });

  it('NM_LOCK locks without making the client a monitored peer', async () => {
    const args = { cookie, block: false, exclusive: true, lock: A(), reclaim: false, state: 0 };
    expect(decodeRes(await call(NlmProc.NM_LOCK, (w) => encodeLockArgs(w, V4, args))).stat).toBe(NlmStatus.GRANTED);
    expect(await lock(B())).toBe(NlmStatus.DENIED);
    expect(monitored).toEqual([]);
  });

  it('SHARE reservations conflict by access and deny mode; UNSHARE releases', async () => {
    const share = (callerName: string, mode: FshMode, access: FshAccess, proc = NlmProc.SHARE) =>
      call(proc, (w) =>
        encodeShareArgs(w, {
          cookie,
          share: { callerName, fh, oh: Buffer.from(callerName), mode, access },
          reclaim: false,
        }),
      ).then(decodeShareRes);
    expect((await share('h1', FshMode.DW, FshAccess.R)).stat).toBe(NlmStatus.GRANTED);
    expect((await share('h2', FshMode.DN, FshAccess.W)).stat).toBe(NlmStatus.DENIED);
    expect((await share('h2', FshMode.DN, FshAccess.R)).stat).toBe(NlmStatus.GRANTED);
    expect((await share('h1', FshMode.DW, FshAccess.R, NlmProc.UNSHARE)).stat).toBe(NlmStatus.GRANTED);
    expect((await share('h3', FshMode.DN, FshAccess.W)).stat).toBe(NlmStatus.GRANTED);
  });

  it('LOCK_MSG replies void and sends LOCK_RES to the caller; _RES calls are accepted', async () => {
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
    const w = new XdrWriter();
    encodeLockArgs(w, V4, {
      cookie: Buffer.from('m1'),
      block: false,
      exclusive: true,
      lock: B(),
      reclaim: false,
      state: 1,
    });
    const r = body(await client.call(NLM_PROGRAM, V4, NlmProc.LOCK_MSG, w.toBuffer()));
    expect(r.remaining).toBe(0);
    await until(() => host.results.length === 1);
    expect(host.results[0]!.proc).toBe(NlmProc.LOCK_RES);
    expect(decodeRes(new XdrReader(host.results[0]!.body))).toEqual<NlmRes>({
      cookie: Buffer.from('m1'),
      stat: NlmStatus.DENIED,
    });
    const res = new XdrWriter().opaque(Buffer.from('x')).uint32(0).toBuffer();
    expect(body(await client.call(NLM_PROGRAM, V4, NlmProc.GRANTED_RES, res)).remaining).toBe(0);
  });

  it('serves the same procedures over UDP', async () => {
    const { port } = await server.listenUdp(0, '127.0.0.1');
    const udp = await RpcClient.connect('127.0.0.1', port, { transport: 'udp' });
    try {
      const w = new XdrWriter();
      encodeLockArgs(w, V4, { cookie, block: false, exclusive: true, lock: A(), reclaim: false, state: 1 });
      expect(decodeRes(body(await udp.call(NLM_PROGRAM, V4, NlmProc.LOCK, w.toBuffer()))).stat).toBe(NlmStatus.GRANTED);
      expect(await lock(B())).toBe(NlmStatus.DENIED);
    } finally {
      await udp.close();
    }
  });

  it('versions and hostile input: v1 has no SHARE, v2 is not served, garbage is GARBAGE_ARGS', async () => {
    expect(await client.call(NLM_PROGRAM, 1, NlmProc.SHARE, Buffer.alloc(0))).toMatchObject({
      acceptStat: AcceptStat.PROC_UNAVAIL,
    });
    expect(await client.call(NLM_PROGRAM, 2, NlmProc.NULL, Buffer.alloc(0))).toMatchObject({
      acceptStat: AcceptStat.PROG_MISMATCH,
    });
    expect(await client.call(NLM_PROGRAM, 4, NlmProc.LOCK, Buffer.alloc(11))).toMatchObject({
      acceptStat: AcceptStat.GARBAGE_ARGS,
    });
    expect(await client.call(NLM_PROGRAM, 4, 17, Buffer.alloc(0))).toMatchObject({
      acceptStat: AcceptStat.PROC_UNAVAIL,
    });
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
  });
});

describe('NLM and share permissions', () => {
  const msg = async (proc: NlmProc, enc: (w: XdrWriter) => void, vers = V4) => {
    const w = new XdrWriter();
    enc(w);
    const before = host.results.length;
    expect(body(await client.call(NLM_PROGRAM, vers, proc, w.toBuffer())).remaining).toBe(0);
    await until(() => host.results.length > before);
    return host.results[before]!;
  };
  const lockArgs = (l: NlmLock, exclusive: boolean, block = false) => ({
    cookie,
    block,
    exclusive,
    lock: l,
    reclaim: false,
    state: 1,
  });

  it('the _MSG variants carry the refusal in their _RES: FAILED for v4, DENIED_NOLOCKS for v3', async () => {
    access = 'none';
    const r4 = await msg(NlmProc.LOCK_MSG, (w) => encodeLockArgs(w, V4, lockArgs(A(), false)));
    expect(r4.proc).toBe(NlmProc.LOCK_RES);
    expect(decodeRes(new XdrReader(r4.body)).stat).toBe(NlmStatus.FAILED);
    const r3 = await msg(NlmProc.LOCK_MSG, (w) => encodeLockArgs(w, V3, lockArgs(A(), false)), V3);
    expect(decodeRes(new XdrReader(r3.body)).stat).toBe(NlmStatus.DENIED_NOLOCKS);
    const t = await msg(NlmProc.TEST_MSG, (w) => encodeTestArgs(w, V4, { cookie, exclusive: false, lock: A() }));
    expect(t.proc).toBe(NlmProc.TEST_RES);
    expect(decodeTestRes(new XdrReader(t.body), V4).stat).toBe(NlmStatus.FAILED);
    const u = await msg(NlmProc.UNLOCK_MSG, (w) => encodeUnlockArgs(w, V4, { cookie, lock: A() }));
    expect(decodeRes(new XdrReader(u.body)).stat).toBe(NlmStatus.FAILED);
    expect(lm.stats().locks).toBe(0);
  });

  it('a read grant: shared locks yes, exclusive locks and write reservations no', async () => {
    access = 'read';
    expect(await lock(A(), { exclusive: false })).toBe(NlmStatus.GRANTED);
    expect(await lock(B({ offset: 500n }))).toBe(NlmStatus.FAILED);
    const x = await msg(NlmProc.LOCK_MSG, (w) => encodeLockArgs(w, V4, lockArgs(B({ offset: 500n }), true)));
    expect(decodeRes(new XdrReader(x.body)).stat).toBe(NlmStatus.FAILED);
    const share = (a: FshAccess) =>
      call(NlmProc.SHARE, (w) =>
        encodeShareArgs(w, {
          cookie,
          share: { callerName: 'h', fh, oh: Buffer.from('h'), mode: FshMode.DN, access: a },
          reclaim: false,
        }),
      ).then((r) => decodeShareRes(r).stat);
    expect(await share(FshAccess.W)).toBe(NlmStatus.FAILED);
    expect(await share(FshAccess.R)).toBe(NlmStatus.GRANTED);
    expect(askedUids.length).toBeGreaterThan(0);
  });

  it('a client whose access is revoked still unlocks its locks and cancels its own queued request', async () => {
    expect(await lock(A())).toBe(NlmStatus.GRANTED);
    expect(await lock(B(), { block: true })).toBe(NlmStatus.BLOCKED);
    access = 'none';
    const c = await msg(NlmProc.CANCEL_MSG, (w) =>
      encodeCancelArgs(w, V4, { cookie, block: true, exclusive: true, lock: B() }),
    );
    expect(c.proc).toBe(NlmProc.CANCEL_RES);
    expect(decodeRes(new XdrReader(c.body)).stat).toBe(NlmStatus.GRANTED);
    expect(program.blockedCount).toBe(0);
    // B queued nothing any more: a second CANCEL is a stranger's and is refused.
    const again = await call(NlmProc.CANCEL, (w) =>
      encodeCancelArgs(w, V4, { cookie, block: true, exclusive: true, lock: B() }),
    );
    expect(decodeRes(again).stat).toBe(NlmStatus.FAILED);
    expect(await unlock(A())).toBe(NlmStatus.GRANTED);
    expect(lm.stats().locks).toBe(0);
    expect(await unlock(A())).toBe(NlmStatus.FAILED);
  });
});
