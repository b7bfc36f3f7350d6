/**
 * The host-side benchmark client: NFSv3 over the project's pipelined RPC
 * client (src/protocols/rpc/client.ts), with many calls in flight on one
 * connection, as the kernel client keeps them on one mount.
 *
 * It is kept cheap so that it measures the server: arguments are built in
 * small reused-size writers, WRITE payloads are passed as separate buffers
 * (never copied into the message), and replies are decoded only as far as
 * the benchmark needs (status, a handle, a count, a cookie). Setup calls
 * (MOUNT, FSINFO) go through the typed test client instead.
 */
import { Nfs3Proc, Nfs3Status, StableHow3 } from '../../src/protocols/nfs3/constants.js';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { AcceptStat, type AuthSysParams } from '../../src/protocols/rpc/types.js';
import type { XdrReader } from '../../src/protocols/xdr/reader.js';
import { XdrWriter } from '../../src/protocols/xdr/writer.js';
import { MountTestClient, Nfs3TestClient, ROOT } from '../../test/protocol/helpers/nfs3-client.js';

const NFS_PROG = 100003;
/** RFC 1813 §2.6: fattr3 is 21 words on the wire. */
const FATTR3_BYTES = 84;

export class NfsError extends Error {
  constructor(
    readonly op: string,
    readonly status: number,
  ) {
    super(`${op} failed: NFS3 status ${status}`);
  }
}

/** Skips a post_op_attr (RFC 1813 §2.6): a bool, then a fattr3 when true. */
function skipPostOp(r: XdrReader): void {
  if (r.bool()) r.skip(FATTR3_BYTES);
}

/** Skips wcc_data (RFC 1813 §2.6): pre_op_attr (bool + 24 bytes) then post_op_attr. */
function skipWcc(r: XdrReader): void {
  if (r.bool()) r.skip(24);
  skipPostOp(r);
}

export interface DirPage {
  entries: number;
  cookie: bigint;
  verf: Buffer;
  eof: boolean;
}

export interface ServerAddress {
  host: string;
  port: number;
  mountPort: number;
  exportPath: string;
}

export class Nfs3BenchClient {
  /** Largest READ / WRITE the server offers (FSINFO rtmax / wtmax). */
  rtmax = 0;
  wtmax = 0;

  private constructor(
    private readonly rpc: RpcClient,
    /** Root handle of the export (from MNT). */
    readonly root: Buffer,
    private readonly cred: AuthSysParams,
  ) {}

  static async connect(addr: ServerAddress, cred: AuthSysParams = ROOT): Promise<Nfs3BenchClient> {
    const mountRpc = await RpcClient.connect(addr.host, addr.mountPort, { timeoutMs: 120_000 });
    const mnt = await new MountTestClient(mountRpc, cred).mnt(addr.exportPath);
    await mountRpc.close();
    if (mnt.status !== 0 || !mnt.fh) throw new Error(`MNT ${addr.exportPath} failed: status ${mnt.status}`);
    const rpc = await RpcClient.connect(addr.host, addr.port, { timeoutMs: 120_000 });
    const client = new Nfs3BenchClient(rpc, mnt.fh, cred);
    const info = await new Nfs3TestClient(rpc, cred).fsinfo(mnt.fh);
    if (info.status !== 0) throw new NfsError('FSINFO', info.status);
    client.rtmax = info.rtmax ?? 0;
    client.wtmax = info.wtmax ?? 0;
    return client;
  }

  close(): Promise<void> {
    return this.rpc.close();
  }

  /** Sends one NFSv3 call and returns the reply body positioned after nfsstat3 (which must be OK). */
  private async call(op: string, proc: Nfs3Proc, args: Buffer | Buffer[]): Promise<XdrReader> {
    const reply = await this.rpc.call(NFS_PROG, 3, proc, args, { cred: this.cred });
    if (reply.kind !== 'accepted' || reply.acceptStat !== AcceptStat.SUCCESS) {
      throw new Error(`${op}: RPC ${reply.kind === 'accepted' ? `accept_stat ${reply.acceptStat}` : 'denied'}`);
    }
    const status = reply.body.uint32();
    if (status !== Nfs3Status.OK) throw new NfsError(op, status);
    return reply.body;
  }

  private static args(build: (w: XdrWriter) => void): Buffer {
    const w = new XdrWriter(160);
    build(w);
    return w.toBuffers()[0];
  }

  async getattr(fh: Buffer): Promise<void> {
    await this.call(
      'GETATTR',
      Nfs3Proc.GETATTR,
      Nfs3BenchClient.args((w) => w.opaque(fh)),
    );
  }

  async lookup(dir: Buffer, name: string): Promise<Buffer> {
    const r = await this.call(
      'LOOKUP',
      Nfs3Proc.LOOKUP,
      Nfs3BenchClient.args((w) => w.opaque(dir).string(name)),
    );
    return Buffer.from(r.opaque(64));
  }

  /** CREATE UNCHECKED mode 0644 (what open(O_CREAT) without O_EXCL sends); returns the new handle. */
  async create(dir: Buffer, name: string): Promise<Buffer> {
    const r = await this.call(
      'CREATE',
      Nfs3Proc.CREATE,
      // createhow3 UNCHECKED (0), sattr3 with mode 0644 and nothing else set.
      Nfs3BenchClient.args((w) =>
        w.opaque(dir).string(name).uint32(0).uint32(1).uint32(0o644).uint32(0).uint32(0).uint32(0).uint32(0).uint32(0),
      ),
    );
    if (!r.bool()) throw new Error('CREATE returned no handle');
    return Buffer.from(r.opaque(64));
  }

  async mkdir(dir: Buffer, name: string): Promise<Buffer> {
    const r = await this.call(
      'MKDIR',
      Nfs3Proc.MKDIR,
      Nfs3BenchClient.args((w) =>
        w.opaque(dir).string(name).uint32(1).uint32(0o755).uint32(0).uint32(0).uint32(0).uint32(0).uint32(0),
      ),
    );
    if (!r.bool()) throw new Error('MKDIR returned no handle');
    return Buffer.from(r.opaque(64));
  }

  async remove(dir: Buffer, name: string): Promise<void> {
    await this.call(
      'REMOVE',
      Nfs3Proc.REMOVE,
      Nfs3BenchClient.args((w) => w.opaque(dir).string(name)),
    );
  }

  async rmdir(dir: Buffer, name: string): Promise<void> {
    await this.call(
      'RMDIR',
      Nfs3Proc.RMDIR,
      Nfs3BenchClient.args((w) => w.opaque(dir).string(name)),
    );
  }

  /** WRITE; the payload travels as its own buffer. Returns the count the server wrote. */
  async write(fh: Buffer, offset: number, data: Buffer, stable: StableHow3): Promise<number> {
    const head = Nfs3BenchClient.args((w) =>
      w.opaque(fh).uint64(offset).uint32(data.length).uint32(stable).uint32(data.length),
    );
    const pad = (4 - (data.length & 3)) & 3;
    const r = await this.call('WRITE', Nfs3Proc.WRITE, pad ? [head, data, Buffer.alloc(pad)] : [head, data]);
    skipWcc(r);
    const count = r.uint32();
    if (count !== data.length) throw new Error(`WRITE: short write ${count} of ${data.length}`);
    return count;
  }

  /** READ; returns the number of bytes the server sent (the data itself is not copied). */
  async read(fh: Buffer, offset: number, count: number): Promise<number> {
    const r = await this.call(
      'READ',
      Nfs3Proc.READ,
      Nfs3BenchClient.args((w) => w.opaque(fh).uint64(offset).uint32(count)),
    );
    skipPostOp(r);
    const n = r.uint32();
    r.bool(); // eof
    return r.opaque(count).length === n ? n : -1;
  }

  async commit(fh: Buffer): Promise<void> {
    await this.call(
      'COMMIT',
      Nfs3Proc.COMMIT,
      Nfs3BenchClient.args((w) => w.opaque(fh).uint64(0).uint32(0)),
    );
  }

  /** One READDIRPLUS page: walks the entries (attributes and handles skipped) to find the last cookie. */
  async readdirplus(dir: Buffer, cookie: bigint, verf: Buffer, dircount: number, maxcount: number): Promise<DirPage> {
    const r = await this.call(
      'READDIRPLUS',
      Nfs3Proc.READDIRPLUS,
      Nfs3BenchClient.args((w) => w.opaque(dir).uint64(cookie).fixedOpaque(verf).uint32(dircount).uint32(maxcount)),
    );
    skipPostOp(r);
    const nextVerf = Buffer.from(r.fixedOpaque(8));
    let entries = 0;
    let last = cookie;
    while (r.bool()) {
      r.skip(8); // fileid
      r.opaque(4096); // name
      last = r.uint64();
      skipPostOp(r);
      if (r.bool()) r.opaque(64); // post_op_fh3
      entries++;
    }
    return { entries, cookie: last, verf: nextVerf, eof: r.bool() };
  }
}
