import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RemoteCaller, RemoteTarget } from '../portmap/remote-call.js';
import { RpcClient } from '../rpc/client.js';
import { RpcServer } from '../rpc/server.js';
import { AcceptStat, type RpcCall } from '../rpc/types.js';
import { XdrError } from '../xdr/errors.js';
import { XdrReader } from '../xdr/reader.js';
import { XdrWriter } from '../xdr/writer.js';
import {
  decodeMon,
  decodeStatChange,
  decodeStatusCallback,
  encodeMon,
  encodeMyId,
  encodeStatChange,
  type Mon,
} from './codec.js';
import { NSM_PROGRAM, NsmProc } from './constants.js';
import { createNsmProgram } from './program.js';
import { NsmService } from './service.js';

interface Sent {
  target: RemoteTarget;
  prog: number;
  vers: number;
  proc: number;
  args: Buffer;
}

class RecordingCaller implements RemoteCaller {
  readonly sent: Sent[] = [];
  failuresLeft = 0;
  async call(target: RemoteTarget, prog: number, vers: number, proc: number, args: Buffer): Promise<XdrReader> {
    this.sent.push({ target, prog, vers, proc, args: Buffer.from(args) });
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('unreachable');
    }
    return new XdrReader(Buffer.alloc(0));
  }
}

let dir: string;
let path: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nsm-'));
  path = join(dir, 'nsm', 'state.json');
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const mon = (monName: string, proc = 16): Mon => ({
  monId: { monName, myId: { myName: '127.0.0.1', prog: 100021, vers: 4, proc } },
  priv: Buffer.alloc(16, 7),
});

describe('NSM codecs (XNFS §11.2)', () => {
  it('round-trips mon and stat_chge', () => {
    const w = new XdrWriter();
    encodeMon(w, mon('client-a'));
    expect(decodeMon(new XdrReader(w.toBuffer()))).toEqual(mon('client-a'));
    const s = new XdrWriter();
    encodeStatChange(s, { monName: 'x', state: 5 });
    expect(decodeStatChange(new XdrReader(s.toBuffer()))).toEqual({ monName: 'x', state: 5 });
  });

  it('refuses truncated and oversized input with XdrError', () => {
    const w = new XdrWriter();
    encodeMon(w, mon('client-a'));
    const good = w.toBuffer();
    for (let n = 0; n < good.length; n++) expect(() => decodeMon(new XdrReader(good.subarray(0, n)))).toThrow(XdrError);
    const long = new XdrWriter().uint32(1025).fixedOpaque(Buffer.alloc(1025)).int32(1).toBuffer();
    expect(() => decodeStatChange(new XdrReader(long))).toThrow(/exceeds limit/);
  });
});

describe('NSM state persistence', () => {
  it('advances the state to the next odd number at every start and keeps peers', async () => {
    const caller = new RecordingCaller();
    const a = new NsmService({ path, caller });
    expect((await a.startup()).state).toBe(1);
    a.monitorPeer({ name: 'guest', address: '192.0.2.7', localAddress: '192.0.2.1', state: 3 });
    await a.close();

    const b = new NsmService({ path, caller, notifyRetryDelaysMs: [] });
    const r = await b.startup();
    expect(r.state).toBe(3);
    expect(r.previousPeers).toEqual([{ name: 'guest', address: '192.0.2.7', localAddress: '192.0.2.1', state: 3 }]);
    await b.settle();
    expect(caller.sent).toHaveLength(0);
    b.notifyPeers();
    await b.settle();
    // The peer is told, by the name it knows this server by, about the new state.
    expect(caller.sent).toHaveLength(1);
    const n = caller.sent[0]!;
    expect(n.target).toEqual({ address: '192.0.2.7', transport: 'udp' });
    expect([n.prog, n.vers, n.proc]).toEqual([NSM_PROGRAM, 1, NsmProc.NOTIFY]);
    expect(decodeStatChange(new XdrReader(n.args))).toEqual({ monName: '192.0.2.1', state: 3 });
    await b.close();

    // An even state (a crash while "down") moves to the next odd one.
    await writeFile(path, JSON.stringify({ format: 1, state: 8, peers: [] }));
    const c = new NsmService({ path, caller });
    expect((await c.startup()).state).toBe(9);
    await c.close();
  });

  it('writes atomically: no temporary file is left and the file is always whole JSON', async () => {
    const s = new NsmService({ path, caller: new RecordingCaller() });
    await s.startup();
    for (let i = 0; i < 50; i++) s.monitorPeer({ name: `h${i}`, address: `192.0.2.${i}` });
    await s.close();
    expect(await readdir(join(dir, 'nsm'))).toEqual(['state.json']);
    const j = JSON.parse(await readFile(path, 'utf8')) as { peers: unknown[] };
    expect(j.peers).toHaveLength(50);
  });

  it('refuses a corrupt state file instead of starting with state 1', async () => {
    const s = new NsmService({ path, caller: new RecordingCaller() });
    await s.startup();
    await s.close();
    await writeFile(path, '{"format": 1, "state": "x"}');
    await expect(new NsmService({ path }).startup()).rejects.toThrow(/not an NSM state file/);
  });

  it('retries SM_NOTIFY to an unreachable peer', async () => {
    const caller = new RecordingCaller();
    const a = new NsmService({ path, caller });
    await a.startup();
    a.monitorPeer({ name: 'guest', address: '192.0.2.7' });
    await a.close();
    caller.failuresLeft = 2;
    const b = new NsmService({ path, caller, notifyRetryDelaysMs: [5, 5, 5] });
    await b.startup();
    b.notifyPeers();
    await b.settle();
    expect(caller.sent).toHaveLength(3);
    await b.close();
  });
});

describe('NSM reboot notifications', () => {
  it('a new state from a monitored peer calls the listeners once; the same state again does not', async () => {
    const caller = new RecordingCaller();
    const s = new NsmService({ path, caller });
    await s.startup();
    const rebooted: string[] = [];
    s.onPeerRebooted((name) => void rebooted.push(name));
    s.monitorPeer({ name: 'guest', address: '192.0.2.7', state: 3 });
    expect(await s.notified('guest', 3)).toBe(false);
    expect(await s.notified('guest', 5)).toBe(true);
    expect(await s.notified('guest', 5)).toBe(false);
    // A peer can also be named by its address.
    expect(await s.notified('192.0.2.7', 7)).toBe(true);
    expect(await s.notified('stranger', 9)).toBe(false);
    // Only the peer itself (or this host) is believed.
    expect(await s.notified('guest', 9, '198.51.100.66')).toBe(false);
    expect(await s.notified('guest', 9, '192.0.2.7')).toBe(true);
    expect(await s.notified('guest', 11, '127.0.0.1')).toBe(true);
    expect(rebooted).toEqual(['guest', 'guest', 'guest', 'guest']);
    await s.close();
  });

  it('SM_MON registrants get the status callback with their priv', async () => {
    const caller = new RecordingCaller();
    const s = new NsmService({ path, caller });
    await s.startup();
    expect(await s.monitor(mon('peer-b'))).toBe(true);
    await s.notified('peer-b', 11);
    await s.settle();
    const cb = caller.sent.find((x) => x.prog === 100021)!;
    expect(cb.proc).toBe(16);
    expect(cb.target.address).toBe('127.0.0.1');
    expect(decodeStatusCallback(new XdrReader(cb.args))).toEqual({
      monName: 'peer-b',
      state: 11,
      priv: Buffer.alloc(16, 7),
    });
    await s.unmonitor(mon('peer-b').monId);
    expect(s.listPeers()).toEqual([]);
    await s.close();
  });
});

describe('NSM program over RPC', () => {
  let service: NsmService;
  let server: RpcServer;
  let client: RpcClient;
  beforeEach(async () => {
    service = new NsmService({ path, caller: new RecordingCaller() });
    await service.startup();
    server = new RpcServer({ programs: [createNsmProgram({ service })] });
    const { port } = await server.listenUdp(0, '127.0.0.1');
    client = await RpcClient.connect('127.0.0.1', port, { transport: 'udp' });
  });
  afterEach(async () => {
    await client.close();
    await server.close();
    await service.close();
  });

  const ok = (r: Awaited<ReturnType<RpcClient['call']>>): XdrReader => {
    if (r.kind !== 'accepted' || r.acceptStat !== AcceptStat.SUCCESS) throw new Error(JSON.stringify(r));
    return r.body;
  };

  it('SM_STAT reports the odd state; SM_MON from loopback succeeds; SM_NOTIFY releases', async () => {
    const stat = ok(await client.call(NSM_PROGRAM, 1, NsmProc.STAT, new XdrWriter().string('x').toBuffer()));
    expect([stat.uint32(), stat.int32()]).toEqual([0, 1]);
    const m = new XdrWriter();
    encodeMon(m, mon('guest'));
    const r = ok(await client.call(NSM_PROGRAM, 1, NsmProc.MON, m.toBuffer()));
    expect([r.uint32(), r.int32()]).toEqual([0, 1]);
    const released: string[] = [];
    service.onPeerRebooted((n) => void released.push(n));
    const n = new XdrWriter();
    encodeStatChange(n, { monName: 'guest', state: 42 });
    ok(await client.call(NSM_PROGRAM, 1, NsmProc.NOTIFY, n.toBuffer()));
    expect(released).toEqual(['guest']);
    const all = new XdrWriter();
    encodeMyId(all, mon('guest').monId.myId);
    expect(ok(await client.call(NSM_PROGRAM, 1, NsmProc.UNMON_ALL, all.toBuffer())).int32()).toBe(1);
    expect(service.listPeers()).toEqual([]);
  });

  it('garbage arguments are GARBAGE_ARGS; unknown procedures PROC_UNAVAIL', async () => {
    expect(await client.call(NSM_PROGRAM, 1, NsmProc.MON, Buffer.alloc(6))).toMatchObject({
      acceptStat: AcceptStat.GARBAGE_ARGS,
    });
    expect(await client.call(NSM_PROGRAM, 1, 99, Buffer.alloc(0))).toMatchObject({
      acceptStat: AcceptStat.PROC_UNAVAIL,
    });
  });

  it('refuses SM_MON, SM_UNMON_ALL and SM_SIMU_CRASH from a remote host', async () => {
    const prog = createNsmProgram({ service });
    const call = (proc: number): RpcCall => ({
      xid: 1,
      prog: NSM_PROGRAM,
      vers: 1,
      proc,
      cred: { flavor: 0, body: Buffer.alloc(0) },
      verf: { flavor: 0, body: Buffer.alloc(0) },
      peer: { transport: 'udp', address: '192.0.2.9', port: 900, connectionId: 1 },
    });
    const m = new XdrWriter();
    encodeMon(m, mon('victim'));
    const w = new XdrWriter();
    await prog.handle(call(NsmProc.MON), new XdrReader(m.toBuffer()), w);
    expect(new XdrReader(w.toBuffer()).uint32()).toBe(1);
    await prog.handle(call(NsmProc.SIMU_CRASH), new XdrReader(Buffer.alloc(0)), new XdrWriter());
    expect(service.state).toBe(1);
    expect(service.listPeers()).toEqual([]);
  });
});
