/**
 * A small typed NFSv3 + MOUNT v3 client for protocol tests: encodes
 * arguments, sends them with RpcClient, decodes results, and checks that
 * every reply body is consumed exactly (a codec mismatch fails the test).
 */
import { AcceptStat, type AuthSysParams } from '../../../src/protocols/rpc/types.js';
import type { RpcClient, RpcReply } from '../../../src/protocols/rpc/client.js';
import { XdrReader } from '../../../src/protocols/xdr/reader.js';
import { XdrWriter } from '../../../src/protocols/xdr/writer.js';

export const NFS_PROG = 100003;
export const MOUNT_PROG = 100005;

export interface Time {
  sec: number;
  nsec: number;
}

export interface Fattr {
  type: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  used: number;
  rdev: [number, number];
  fsid: number;
  fileid: number;
  atime: Time;
  mtime: Time;
  ctime: Time;
}

export interface Wcc {
  before?: { size: number; mtime: Time; ctime: Time };
  after?: Fattr;
}

export interface Sattr {
  mode?: number;
  uid?: number;
  gid?: number;
  size?: number;
  atime?: Time | 'server';
  mtime?: Time | 'server';
}

export type CreateHowArg = { mode: 'unchecked' | 'guarded'; set?: Sattr } | { mode: 'exclusive'; verf: Buffer };

export interface DirEntry3 {
  fileid: number;
  name: string;
  cookie: bigint;
  attr?: Fattr;
  fh?: Buffer;
}

export type Cred = AuthSysParams | 'none';

export function authSys(uid: number, gid: number, gids: number[] = []): AuthSysParams {
  return { stamp: 1, machineName: 'test', uid, gid, gids };
}

export const ROOT: AuthSysParams = authSys(0, 0);

function u64(r: XdrReader): number {
  return Number(r.uint64());
}

function time(r: XdrReader): Time {
  return { sec: r.uint32(), nsec: r.uint32() };
}

export function decodeFattr(r: XdrReader): Fattr {
  return {
    type: r.uint32(),
    mode: r.uint32(),
    nlink: r.uint32(),
    uid: r.uint32(),
    gid: r.uint32(),
    size: u64(r),
    used: u64(r),
    rdev: [r.uint32(), r.uint32()],
    fsid: u64(r),
    fileid: u64(r),
    atime: time(r),
    mtime: time(r),
    ctime: time(r),
  };
}

function postOp(r: XdrReader): Fattr | undefined {
  return r.bool() ? decodeFattr(r) : undefined;
}

function wcc(r: XdrReader): Wcc {
  const before = r.bool() ? { size: u64(r), mtime: time(r), ctime: time(r) } : undefined;
  return { before, after: postOp(r) };
}

function postOpFh(r: XdrReader): Buffer | undefined {
  return r.bool() ? Buffer.from(r.opaque(64)) : undefined;
}

function writeTime(w: XdrWriter, t: Time | 'server' | undefined): void {
  if (t === undefined) w.uint32(0);
  else if (t === 'server') w.uint32(1);
  else w.uint32(2).uint32(t.sec).uint32(t.nsec);
}

export function encodeSattr(w: XdrWriter, s: Sattr = {}): void {
  w.optional(s.mode, (v) => w.uint32(v));
  w.optional(s.uid, (v) => w.uint32(v));
  w.optional(s.gid, (v) => w.uint32(v));
  w.optional(s.size, (v) => w.uint64(v));
  writeTime(w, s.atime);
  writeTime(w, s.mtime);
}

function nameBytes(name: string | Buffer): Buffer {
  return typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
}

export class RpcFailure extends Error {
  constructor(readonly reply: RpcReply) {
    super(
      reply.kind === 'accepted' ? `accept_stat ${reply.acceptStat}` : `denied ${reply.rejectStat}/${reply.authStat}`,
    );
  }
}

/** Sends one call and decodes the body, checking SUCCESS and that nothing is left over. */
async function call<T>(
  rpc: RpcClient,
  prog: number,
  vers: number,
  proc: number,
  cred: Cred,
  build: (w: XdrWriter) => void,
  decode: (r: XdrReader) => T,
): Promise<T> {
  const w = new XdrWriter(256);
  build(w);
  const reply = await rpc.call(prog, vers, proc, w.toBuffer(), { cred });
  if (reply.kind !== 'accepted' || reply.acceptStat !== AcceptStat.SUCCESS) throw new RpcFailure(reply);
  const out = decode(reply.body);
  if (reply.body.remaining !== 0) throw new Error(`proc ${proc}: ${reply.body.remaining} bytes left undecoded`);
  return out;
}

export class Nfs3TestClient {
  constructor(
    readonly rpc: RpcClient,
    readonly cred: Cred = ROOT,
  ) {}

  as(cred: Cred): Nfs3TestClient {
    return new Nfs3TestClient(this.rpc, cred);
  }

  /** A raw NFSv3 call with caller-built argument bytes. */
  raw(proc: number, args: Buffer): Promise<RpcReply> {
    return this.rpc.call(NFS_PROG, 3, proc, args, { cred: this.cred });
  }

  private nfs<T>(proc: number, build: (w: XdrWriter) => void, decode: (r: XdrReader, status: number) => T): Promise<T> {
    return call(this.rpc, NFS_PROG, 3, proc, this.cred, build, (r) => decode(r, r.uint32()));
  }

  null(): Promise<void> {
    return call(
      this.rpc,
      NFS_PROG,
      3,
      0,
      this.cred,
      () => undefined,
      () => undefined,
    );
  }

  getattr(fh: Buffer) {
    return this.nfs(
      1,
      (w) => w.opaque(fh),
      (r, status) => ({ status, attr: status === 0 ? decodeFattr(r) : undefined }),
    );
  }

  setattr(fh: Buffer, set: Sattr, guard?: Time) {
    return this.nfs(
      2,
      (w) => {
        w.opaque(fh);
        encodeSattr(w, set);
        w.optional(guard, (g) => w.uint32(g.sec).uint32(g.nsec));
      },
      (r, status) => ({ status, wcc: wcc(r) }),
    );
  }

  lookup(dir: Buffer, name: string | Buffer) {
    return this.nfs(
      3,
      (w) => w.opaque(dir).opaque(nameBytes(name)),
      (r, status) => {
        if (status !== 0) return { status, dirAttr: postOp(r) };
        const fh = Buffer.from(r.opaque(64));
        return { status, fh, attr: postOp(r), dirAttr: postOp(r) };
      },
    );
  }

  access(fh: Buffer, bits: number) {
    return this.nfs(
      4,
      (w) => w.opaque(fh).uint32(bits),
      (r, status) => {
        const attr = postOp(r);
        return { status, attr, access: status === 0 ? r.uint32() : undefined };
      },
    );
  }

  readlink(fh: Buffer) {
    return this.nfs(
      5,
      (w) => w.opaque(fh),
      (r, status) => {
        const attr = postOp(r);
        return { status, attr, target: status === 0 ? r.string(4096) : undefined };
      },
    );
  }

  read(fh: Buffer, offset: number, count: number) {
    return this.nfs(
      6,
      (w) => w.opaque(fh).uint64(offset).uint32(count),
      (r, status) => {
        const attr = postOp(r);
        if (status !== 0) return { status, attr };
        const n = r.uint32();
        const eof = r.bool();
        const data = Buffer.from(r.opaque(64 * 1024 * 1024));
        return { status, attr, count: n, eof, data };
      },
    );
  }

  write(fh: Buffer, offset: number, data: Buffer, stable = 2, count = data.length) {
    return this.nfs(
      7,
      (w) => w.opaque(fh).uint64(offset).uint32(count).uint32(stable).opaque(data),
      (r, status) => {
        const fileWcc = wcc(r);
        if (status !== 0) return { status, wcc: fileWcc };
        return { status, wcc: fileWcc, count: r.uint32(), committed: r.uint32(), verf: Buffer.from(r.fixedOpaque(8)) };
      },
    );
  }

  private created(r: XdrReader, status: number) {
    if (status !== 0) return { status, dirWcc: wcc(r) };
    const fh = postOpFh(r);
    const attr = postOp(r);
    return { status, fh, attr, dirWcc: wcc(r) };
  }

  create(dir: Buffer, name: string | Buffer, how: CreateHowArg = { mode: 'unchecked' }) {
    return this.nfs(
      8,
      (w) => {
        w.opaque(dir).opaque(nameBytes(name));
        if (how.mode === 'exclusive') w.uint32(2).fixedOpaque(how.verf);
        else {
          w.uint32(how.mode === 'unchecked' ? 0 : 1);
          encodeSattr(w, how.set);
        }
      },
      (r, status) => this.created(r, status),
    );
  }

  mkdir(dir: Buffer, name: string | Buffer, set: Sattr = {}) {
    return this.nfs(
      9,
      (w) => {
        w.opaque(dir).opaque(nameBytes(name));
        encodeSattr(w, set);
      },
      (r, status) => this.created(r, status),
    );
  }

  symlink(dir: Buffer, name: string | Buffer, target: string | Buffer, set: Sattr = {}) {
    return this.nfs(
      10,
      (w) => {
        w.opaque(dir).opaque(nameBytes(name));
        encodeSattr(w, set);
        w.opaque(nameBytes(target));
      },
      (r, status) => this.created(r, status),
    );
  }

  mknod(dir: Buffer, name: string | Buffer, type: number, set: Sattr = {}, rdev: [number, number] = [0, 0]) {
    return this.nfs(
      11,
      (w) => {
        w.opaque(dir).opaque(nameBytes(name)).uint32(type);
        if (type === 3 || type === 4) {
          encodeSattr(w, set);
          w.uint32(rdev[0]).uint32(rdev[1]);
        } else if (type === 6 || type === 7) encodeSattr(w, set);
      },
      (r, status) => this.created(r, status),
    );
  }

  remove(dir: Buffer, name: string | Buffer) {
    return this.nfs(
      12,
      (w) => w.opaque(dir).opaque(nameBytes(name)),
      (r, status) => ({ status, dirWcc: wcc(r) }),
    );
  }

  rmdir(dir: Buffer, name: string | Buffer) {
    return this.nfs(
      13,
      (w) => w.opaque(dir).opaque(nameBytes(name)),
      (r, status) => ({ status, dirWcc: wcc(r) }),
    );
  }

  rename(fromDir: Buffer, fromName: string, toDir: Buffer, toName: string) {
    return this.nfs(
      14,
      (w) => w.opaque(fromDir).opaque(nameBytes(fromName)).opaque(toDir).opaque(nameBytes(toName)),
      (r, status) => ({ status, fromWcc: wcc(r), toWcc: wcc(r) }),
    );
  }

  link(fh: Buffer, dir: Buffer, name: string) {
    return this.nfs(
      15,
      (w) => w.opaque(fh).opaque(dir).opaque(nameBytes(name)),
      (r, status) => ({ status, attr: postOp(r), dirWcc: wcc(r) }),
    );
  }

  readdir(dir: Buffer, cookie: bigint, verf: Buffer, count: number) {
    return this.nfs(
      16,
      (w) => w.opaque(dir).uint64(cookie).fixedOpaque(verf).uint32(count),
      (r, status) => {
        const dirAttr = postOp(r);
        if (status !== 0) return { status, dirAttr, entries: [] as DirEntry3[], eof: false };
        const cookieverf = Buffer.from(r.fixedOpaque(8));
        const entries: DirEntry3[] = [];
        while (r.bool()) entries.push({ fileid: u64(r), name: r.string(4096), cookie: r.uint64() });
        return { status, dirAttr, cookieverf, entries, eof: r.bool() };
      },
    );
  }

  readdirplus(dir: Buffer, cookie: bigint, verf: Buffer, dircount: number, maxcount: number) {
    return this.nfs(
      17,
      (w) => w.opaque(dir).uint64(cookie).fixedOpaque(verf).uint32(dircount).uint32(maxcount),
      (r, status) => {
        const dirAttr = postOp(r);
        if (status !== 0) return { status, dirAttr, entries: [] as DirEntry3[], eof: false };
        const cookieverf = Buffer.from(r.fixedOpaque(8));
        const entries: DirEntry3[] = [];
        while (r.bool()) {
          entries.push({ fileid: u64(r), name: r.string(4096), cookie: r.uint64(), attr: postOp(r), fh: postOpFh(r) });
        }
        return { status, dirAttr, cookieverf, entries, eof: r.bool() };
      },
    );
  }

  fsstat(fh: Buffer) {
    return this.nfs(
      18,
      (w) => w.opaque(fh),
      (r, status) => {
        const attr = postOp(r);
        if (status !== 0) return { status, attr };
        return {
          status,
          attr,
          tbytes: u64(r),
          fbytes: u64(r),
          abytes: u64(r),
          tfiles: u64(r),
          ffiles: u64(r),
          afiles: u64(r),
          invarsec: r.uint32(),
        };
      },
    );
  }

  fsinfo(fh: Buffer) {
    return this.nfs(
      19,
      (w) => w.opaque(fh),
      (r, status) => {
        const attr = postOp(r);
        if (status !== 0) return { status, attr };
        return {
          status,
          attr,
          rtmax: r.uint32(),
          rtpref: r.uint32(),
          rtmult: r.uint32(),
          wtmax: r.uint32(),
          wtpref: r.uint32(),
          wtmult: r.uint32(),
          dtpref: r.uint32(),
          maxfilesize: r.uint64(),
          timeDelta: time(r),
          properties: r.uint32(),
        };
      },
    );
  }

  pathconf(fh: Buffer) {
    return this.nfs(
      20,
      (w) => w.opaque(fh),
      (r, status) => {
        const attr = postOp(r);
        if (status !== 0) return { status, attr };
        return {
          status,
          attr,
          linkmax: r.uint32(),
          nameMax: r.uint32(),
          noTrunc: r.bool(),
          chownRestricted: r.bool(),
          caseInsensitive: r.bool(),
          casePreserving: r.bool(),
        };
      },
    );
  }

  commit(fh: Buffer, offset = 0, count = 0) {
    return this.nfs(
      21,
      (w) => w.opaque(fh).uint64(offset).uint32(count),
      (r, status) => {
        const fileWcc = wcc(r);
        return { status, wcc: fileWcc, verf: status === 0 ? Buffer.from(r.fixedOpaque(8)) : undefined };
      },
    );
  }
}

export class MountTestClient {
  constructor(
    readonly rpc: RpcClient,
    readonly cred: Cred = ROOT,
    readonly vers = 3,
  ) {}

  private mount<T>(proc: number, build: (w: XdrWriter) => void, decode: (r: XdrReader) => T): Promise<T> {
    return call(this.rpc, MOUNT_PROG, this.vers, proc, this.cred, build, decode);
  }

  null(): Promise<void> {
    return this.mount(
      0,
      () => undefined,
      () => undefined,
    );
  }

  mnt(path: string) {
    return this.mount(
      1,
      (w) => w.string(path),
      (r) => {
        const status = r.uint32();
        if (status !== 0) return { status };
        const fh = Buffer.from(r.opaque(64));
        const flavors = r.array(16, () => r.uint32());
        return { status, fh, flavors };
      },
    );
  }

  dump() {
    return this.mount(
      2,
      () => undefined,
      (r) => {
        const out: { host: string; dir: string }[] = [];
        while (r.bool()) out.push({ host: r.string(255), dir: r.string(1024) });
        return out;
      },
    );
  }

  umnt(path: string): Promise<void> {
    return this.mount(
      3,
      (w) => w.string(path),
      () => undefined,
    );
  }

  umntall(): Promise<void> {
    return this.mount(
      4,
      () => undefined,
      () => undefined,
    );
  }

  export() {
    return this.mount(
      5,
      () => undefined,
      (r) => {
        const out: { dir: string; groups: string[] }[] = [];
        while (r.bool()) {
          const dir = r.string(1024);
          const groups: string[] = [];
          while (r.bool()) groups.push(r.string(255));
          out.push({ dir, groups });
        }
        return out;
      },
    );
  }
}
