import { describe, expect, it } from 'vitest';
import { XdrError } from '../../xdr/errors.js';
import { XdrReader } from '../../xdr/reader.js';
import { XdrWriter } from '../../xdr/writer.js';
import { FshAccess, FshMode, NLM_V1, NLM_V3, NLM_V4, NlmStatus } from '../constants.js';
import {
  decodeCancelArgs,
  decodeLockArgs,
  decodeNotifyArgs,
  decodeRes,
  decodeShareArgs,
  decodeShareRes,
  decodeTestArgs,
  decodeTestRes,
  decodeUnlockArgs,
} from './decode.js';
import {
  encodeCancelArgs,
  encodeLockArgs,
  encodeNotifyArgs,
  encodeRes,
  encodeShareArgs,
  encodeShareRes,
  encodeTestArgs,
  encodeTestRes,
  encodeUnlockArgs,
} from './encode.js';
import type { NlmLock, NlmLockArgs } from './types.js';

const lock = (over: Partial<NlmLock> = {}): NlmLock => ({
  callerName: 'guest',
  fh: Buffer.from('0123456789abcdef0123', 'utf8'),
  oh: Buffer.from([1, 2, 3, 4, 5]),
  svid: 4242,
  offset: 100n,
  length: 50n,
  ...over,
});
const lockArgs: NlmLockArgs = {
  cookie: Buffer.from([9, 9]),
  block: true,
  exclusive: true,
  lock: lock(),
  reclaim: false,
  state: 3,
};

function bytes(f: (w: XdrWriter) => void): Buffer {
  const w = new XdrWriter(16);
  f(w);
  return w.toBuffer();
}

describe('NLM argument codecs round-trip in every version', () => {
  for (const vers of [NLM_V1, NLM_V3, NLM_V4]) {
    it(`v${vers}: TEST, LOCK, CANCEL, UNLOCK, SHARE, NOTIFY`, () => {
      const t = { cookie: Buffer.from('c'), exclusive: false, lock: lock() };
      expect(decodeTestArgs(new XdrReader(bytes((w) => encodeTestArgs(w, vers, t))), vers)).toEqual(t);
      expect(decodeLockArgs(new XdrReader(bytes((w) => encodeLockArgs(w, vers, lockArgs))), vers)).toEqual(lockArgs);
      const c = { cookie: Buffer.alloc(0), block: false, exclusive: true, lock: lock({ svid: -1 }) };
      expect(decodeCancelArgs(new XdrReader(bytes((w) => encodeCancelArgs(w, vers, c))), vers)).toEqual(c);
      const u = { cookie: Buffer.from('u'), lock: lock({ length: 0n }) };
      expect(decodeUnlockArgs(new XdrReader(bytes((w) => encodeUnlockArgs(w, vers, u))), vers)).toEqual(u);
      const s = {
        cookie: Buffer.from('s'),
        share: { callerName: 'h', fh: Buffer.from('f'), oh: Buffer.from('o'), mode: FshMode.DW, access: FshAccess.RW },
        reclaim: true,
      };
      expect(decodeShareArgs(new XdrReader(bytes((w) => encodeShareArgs(w, s))))).toEqual(s);
      const n = { name: 'client.example', state: 7 };
      expect(decodeNotifyArgs(new XdrReader(bytes((w) => encodeNotifyArgs(w, n))))).toEqual(n);
    });
  }

  it('v4 carries 64-bit offsets and lengths; v1/v3 carry 32-bit ones', () => {
    const big = { ...lockArgs, lock: lock({ offset: 1n << 40n, length: (1n << 50n) + 1n }) };
    expect(decodeLockArgs(new XdrReader(bytes((w) => encodeLockArgs(w, NLM_V4, big))), NLM_V4).lock).toMatchObject({
      offset: 1n << 40n,
      length: (1n << 50n) + 1n,
    });
    const v3 = bytes((w) => encodeLockArgs(w, NLM_V3, lockArgs));
    const v4 = bytes((w) => encodeLockArgs(w, NLM_V4, lockArgs));
    expect(v4.length - v3.length).toBe(8);
  });
});

describe('NLM result codecs', () => {
  it('TEST reports the holder only when DENIED', () => {
    const holder = { exclusive: true, svid: 77, oh: Buffer.from('owner'), offset: 10n, length: 0n };
    for (const vers of [NLM_V1, NLM_V4]) {
      const denied = { cookie: Buffer.from('k'), stat: NlmStatus.DENIED, holder };
      expect(decodeTestRes(new XdrReader(bytes((w) => encodeTestRes(w, vers, denied))), vers)).toEqual(denied);
      const granted = { cookie: Buffer.from('k'), stat: NlmStatus.GRANTED, holder };
      expect(decodeTestRes(new XdrReader(bytes((w) => encodeTestRes(w, vers, granted))), vers)).toEqual({
        cookie: granted.cookie,
        stat: NlmStatus.GRANTED,
      });
    }
  });

  it('narrows v4-only statuses for v1/v3 and keeps them for v4', () => {
    const cookie = Buffer.alloc(0);
    const stat = (s: NlmStatus, vers: number) =>
      decodeRes(new XdrReader(bytes((w) => encodeRes(w, vers, { cookie, stat: s })))).stat;
    expect(stat(NlmStatus.STALE_FH, NLM_V4)).toBe(NlmStatus.STALE_FH);
    expect(stat(NlmStatus.FBIG, NLM_V4)).toBe(NlmStatus.FBIG);
    expect(stat(NlmStatus.DEADLCK, NLM_V4)).toBe(NlmStatus.DEADLCK);
    expect(stat(NlmStatus.DEADLCK, NLM_V3)).toBe(NlmStatus.DENIED);
    expect(stat(NlmStatus.STALE_FH, NLM_V3)).toBe(NlmStatus.DENIED_NOLOCKS);
    expect(stat(NlmStatus.DENIED_GRACE_PERIOD, NLM_V1)).toBe(NlmStatus.DENIED_GRACE_PERIOD);
    // A v3 DEADLCK on TEST becomes DENIED and must still carry a (placeholder) holder.
    const r = decodeTestRes(
      new XdrReader(bytes((w) => encodeTestRes(w, NLM_V3, { cookie, stat: NlmStatus.DEADLCK }))),
      NLM_V3,
    );
    expect(r.stat).toBe(NlmStatus.DENIED);
    expect(r.holder).toBeDefined();
  });

  it('v1/v3 report ranges beyond 4 GiB as reaching the end of the file', () => {
    const holder = { exclusive: false, svid: 1, oh: Buffer.alloc(0), offset: 1n << 33n, length: 10n };
    const r = decodeTestRes(
      new XdrReader(
        bytes((w) => encodeTestRes(w, NLM_V3, { cookie: Buffer.alloc(0), stat: NlmStatus.DENIED, holder })),
      ),
      NLM_V3,
    );
    expect(r.holder).toMatchObject({ offset: 0xffffffffn, length: 0n });
    const h2 = { ...holder, offset: 0xfffffff0n, length: 0x100n };
    const r2 = decodeTestRes(
      new XdrReader(
        bytes((w) => encodeTestRes(w, NLM_V1, { cookie: Buffer.alloc(0), stat: NlmStatus.DENIED, holder: h2 })),
      ),
      NLM_V1,
    );
    expect(r2.holder).toMatchObject({ offset: 0xfffffff0n, length: 0n });
  });

  it('SHARE results round-trip', () => {
    const res = { cookie: Buffer.from('z'), stat: NlmStatus.DENIED, sequence: -5 };
    expect(decodeShareRes(new XdrReader(bytes((w) => encodeShareRes(w, NLM_V3, res))))).toEqual(res);
  });
});

describe('NLM decoders refuse hostile input with XdrError', () => {
  const good = bytes((w) => encodeLockArgs(w, NLM_V4, lockArgs));

  it('every truncation of a LOCK argument is an XdrError', () => {
    for (let n = 0; n < good.length; n++) {
      expect(() => decodeLockArgs(new XdrReader(good.subarray(0, n)), NLM_V4)).toThrow(XdrError);
    }
  });

  it('oversized netobj and caller_name lengths are refused before allocation', () => {
    const huge = new XdrWriter().uint32(0xfffffff0).toBuffer();
    expect(() => decodeLockArgs(new XdrReader(huge), NLM_V4)).toThrow(XdrError);
    const longName = bytes((w) => {
      w.opaque(Buffer.alloc(0)).bool(false).bool(false).uint32(1025);
      w.fixedOpaque(Buffer.alloc(1028));
    });
    expect(() => decodeLockArgs(new XdrReader(longName), NLM_V4)).toThrow(/exceeds limit/);
    const bigFh = bytes((w) => {
      w.opaque(Buffer.alloc(0)).bool(false).string('h').uint32(2048);
    });
    expect(() => decodeTestArgs(new XdrReader(bigFh), NLM_V4)).toThrow(/exceeds limit/);
  });

  it('bools other than 0/1 and out-of-range share modes are refused', () => {
    const badBool = Buffer.from(good);
    badBool.writeUInt32BE(2, 8); // `block` after a 2-byte cookie (4 + 4 bytes)
    expect(() => decodeLockArgs(new XdrReader(badBool), NLM_V4)).toThrow(XdrError);
    const share = bytes((w) =>
      encodeShareArgs(w, {
        cookie: Buffer.alloc(0),
        share: { callerName: '', fh: Buffer.alloc(0), oh: Buffer.alloc(0), mode: 4 as FshMode, access: FshAccess.R },
        reclaim: false,
      }),
    );
    expect(() => decodeShareArgs(new XdrReader(share))).toThrow(/fsh_mode/);
  });

  it('random bytes never throw anything but XdrError', () => {
    let seed = 12345;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 600; i++) {
      const b = Buffer.alloc(rand() % 96);
      for (let j = 0; j < b.length; j++) b[j] = rand() % 3 === 0 ? 0 : rand() & 0xff;
      for (const f of [decodeLockArgs, decodeTestArgs, decodeCancelArgs, decodeUnlockArgs]) {
        try {
          f(new XdrReader(b), i % 2 ? NLM_V4 : NLM_V3);
        } catch (e) {
          expect(e).toBeInstanceOf(XdrError);
        }
      }
      for (const f of [decodeShareArgs, decodeNotifyArgs, decodeRes]) {
        try {
          f(new XdrReader(b));
        } catch (e) {
          expect(e).toBeInstanceOf(XdrError);
        }
      }
    }
  });
});
