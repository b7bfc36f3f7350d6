import { describe, expect, it } from 'vitest';
import { XdrError } from '../xdr/errors.js';
import { XdrWriter } from '../xdr/writer.js';
import {
  AUTH_ERROR,
  MSG_REPLY,
  RPC_MISMATCH,
  decodeAuthSys,
  decodeCallHeader,
  decodeReply,
  encodeAcceptedReply,
  encodeAuthSys,
  encodeCallHeader,
  encodeDeniedReply,
} from './message.js';
import { AUTH_NONE, AUTH_SYS, AcceptStat, AuthStat } from './types.js';

const none = { flavor: AUTH_NONE, body: Buffer.alloc(0) };

function call(opts: { rpcvers?: number; cred?: { flavor: number; body: Buffer }; args?: Buffer } = {}): Buffer {
  const w = new XdrWriter();
  encodeCallHeader(w, { xid: 0xdeadbeef, prog: 100003, vers: 3, proc: 7, cred: opts.cred ?? none, verf: none });
  if (opts.args) w.fixedOpaque(opts.args);
  const b = w.toBuffer();
  if (opts.rpcvers !== undefined) b.writeUInt32BE(opts.rpcvers, 8);
  return b;
}

function authSysBody(gidCount: number, machineName = 'client.example'): Buffer {
  const w = new XdrWriter();
  w.uint32(12345).string(machineName).uint32(1000).uint32(100).uint32(gidCount);
  for (let i = 0; i < gidCount; i++) w.uint32(i);
  return w.toBuffer();
}

describe('RPC call header codec (RFC 5531 §9)', () => {
  it('round-trips a call header and points at the arguments', () => {
    const msg = call({ args: Buffer.from([1, 2, 3, 4]) });
    const d = decodeCallHeader(msg);
    expect(d.kind).toBe('call');
    if (d.kind !== 'call') return;
    expect(d.header).toMatchObject({ xid: 0xdeadbeef, prog: 100003, vers: 3, proc: 7 });
    expect(d.header.cred.flavor).toBe(AUTH_NONE);
    expect([...msg.subarray(d.argsOffset)]).toEqual([1, 2, 3, 4]);
  });

  it('denies rpcvers other than 2 with RPC_MISMATCH', () => {
    expect(decodeCallHeader(call({ rpcvers: 3 }))).toEqual({ kind: 'denied', xid: 0xdeadbeef, reject: RPC_MISMATCH });
  });

  it('drops replies, unknown message types and truncated headers', () => {
    const reply = call();
    reply.writeUInt32BE(MSG_REPLY, 4);
    expect(decodeCallHeader(reply).kind).toBe('drop');
    const weird = call();
    weird.writeUInt32BE(7, 4);
    expect(decodeCallHeader(weird).kind).toBe('drop');
    expect(decodeCallHeader(call().subarray(0, 20)).kind).toBe('drop');
    expect(decodeCallHeader(Buffer.alloc(3)).kind).toBe('drop');
  });

  it('denies a credential body over 400 bytes with AUTH_BADCRED', () => {
    const d = decodeCallHeader(call({ cred: { flavor: AUTH_SYS, body: Buffer.alloc(404) } }));
    expect(d).toMatchObject({ kind: 'denied', reject: AUTH_ERROR, authStat: AuthStat.AUTH_BADCRED });
  });

  it('denies a credential length larger than the message with AUTH_BADCRED', () => {
    const msg = call();
    msg.writeUInt32BE(300, 28); // cred length, message has no such body
    expect(decodeCallHeader(msg)).toMatchObject({ kind: 'denied', authStat: AuthStat.AUTH_BADCRED });
  });

  it('denies a truncated verifier with AUTH_BADVERF', () => {
    const msg = call().subarray(0, 36);
    expect(decodeCallHeader(msg)).toMatchObject({ kind: 'denied', authStat: AuthStat.AUTH_BADVERF });
  });
});

describe('AUTH_SYS credentials (RFC 5531 Appendix A)', () => {
  it('round-trips AUTH_SYS parameters', () => {
    const p = { stamp: 7, machineName: 'host', uid: 1000, gid: 1000, gids: [4, 24, 27] };
    expect(decodeAuthSys(encodeAuthSys(new XdrWriter(), p).toBuffer())).toEqual(p);
  });

  it('accepts 16 gids and rejects 17', () => {
    expect(decodeAuthSys(authSysBody(16))?.gids).toHaveLength(16);
    expect(decodeAuthSys(authSysBody(17))).toBeUndefined();
  });

  it('rejects a 10,000-gid count from its header alone', () => {
    // Only the count, none of the gids: it must be refused on the count.
    const w = new XdrWriter();
    w.uint32(1).string('h').uint32(0).uint32(0).uint32(10_000);
    expect(decodeAuthSys(w.toBuffer())).toBeUndefined();
  });

  it('accepts a 255-byte machine name and rejects 256', () => {
    expect(decodeAuthSys(authSysBody(0, 'm'.repeat(255)))?.machineName).toHaveLength(255);
    expect(decodeAuthSys(authSysBody(0, 'm'.repeat(256)))).toBeUndefined();
  });

  it('rejects trailing bytes and truncation', () => {
    expect(decodeAuthSys(Buffer.concat([authSysBody(1), Buffer.alloc(4)]))).toBeUndefined();
    expect(decodeAuthSys(authSysBody(3).subarray(0, 30))).toBeUndefined();
  });
});

describe('RPC reply codec', () => {
  it('round-trips an accepted SUCCESS reply with a body', () => {
    const w = encodeAcceptedReply(new XdrWriter(), 42, AcceptStat.SUCCESS).uint32(99);
    const r = decodeReply(w.toBuffer());
    expect(r).toMatchObject({ xid: 42, kind: 'accepted', acceptStat: AcceptStat.SUCCESS });
    if (r.kind === 'accepted') expect(r.body.uint32()).toBe(99);
  });

  it('round-trips PROG_MISMATCH with its version range', () => {
    const r = decodeReply(
      encodeAcceptedReply(new XdrWriter(), 1, AcceptStat.PROG_MISMATCH, { low: 2, high: 4 }).toBuffer(),
    );
    expect(r).toMatchObject({ kind: 'accepted', acceptStat: AcceptStat.PROG_MISMATCH, mismatch: { low: 2, high: 4 } });
  });

  it('round-trips each other accept_stat', () => {
    for (const stat of [
      AcceptStat.PROG_UNAVAIL,
      AcceptStat.PROC_UNAVAIL,
      AcceptStat.GARBAGE_ARGS,
      AcceptStat.SYSTEM_ERR,
    ]) {
      const r = decodeReply(encodeAcceptedReply(new XdrWriter(), 5, stat).toBuffer());
      expect(r).toMatchObject({ kind: 'accepted', acceptStat: stat });
      if (r.kind === 'accepted') expect(r.body.remaining).toBe(0);
    }
  });

  it('round-trips MSG_DENIED RPC_MISMATCH (2, 2) and AUTH_ERROR', () => {
    expect(decodeReply(encodeDeniedReply(new XdrWriter(), 3, RPC_MISMATCH).toBuffer())).toEqual({
      xid: 3,
      kind: 'denied',
      rejectStat: RPC_MISMATCH,
      mismatch: { low: 2, high: 2 },
    });
    expect(decodeReply(encodeDeniedReply(new XdrWriter(), 4, AUTH_ERROR, AuthStat.AUTH_TOOWEAK).toBuffer())).toEqual({
      xid: 4,
      kind: 'denied',
      rejectStat: AUTH_ERROR,
      authStat: AuthStat.AUTH_TOOWEAK,
    });
  });

  it('throws XdrError on calls, bad stats and truncation', () => {
    expect(() => decodeReply(call())).toThrow(XdrError);
    const bad = encodeDeniedReply(new XdrWriter(), 3, RPC_MISMATCH).toBuffer();
    bad.writeUInt32BE(9, 12);
    expect(() => decodeReply(bad)).toThrow(XdrError);
    expect(() =>
      decodeReply(encodeAcceptedReply(new XdrWriter(), 1, AcceptStat.PROG_MISMATCH).toBuffer().subarray(0, 26)),
    ).toThrow(XdrError);
  });
});
