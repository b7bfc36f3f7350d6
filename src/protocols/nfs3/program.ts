import type { LockManager } from '../../core/locks/index.js';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ShareAuthorizer, ShareRegistry } from '../../core/share.js';
import { silentLogger, type Logger } from '../../observability/logger.js';
import type { RpcCall, RpcOutcome, RpcProgram } from '../rpc/types.js';
import type { XdrReader } from '../xdr/reader.js';
import type { XdrWriter } from '../xdr/writer.js';
import { NFS_PROGRAM, NFS_V3, NFS3_DEFAULT_MAX_IO, NFS3_WRITEVERFSIZE, Nfs3Proc, Nfs3Status } from './constants.js';
import { AuthRejected, Nfs3Context } from './context.js';
import { accessProc } from './procedures/access.js';
import { commitProc } from './procedures/commit.js';
import { createProc } from './procedures/create.js';
import { fsinfoProc } from './procedures/fsinfo.js';
import { fsstatProc } from './procedures/fsstat.js';
import { getattrProc } from './procedures/getattr.js';
import { linkProc } from './procedures/link.js';
import { lookupProc } from './procedures/lookup.js';
import { mkdirProc } from './procedures/mkdir.js';
import { mknodProc } from './procedures/mknod.js';
import { nullProc } from './procedures/null.js';
import { pathconfProc } from './procedures/pathconf.js';
import { readProc } from './procedures/read.js';
import { readdirProc } from './procedures/readdir.js';
import { readdirplusProc } from './procedures/readdirplus.js';
import { readlinkProc } from './procedures/readlink.js';
import { removeProc } from './procedures/remove.js';
import { renameProc } from './procedures/rename.js';
import { rmdirProc } from './procedures/rmdir.js';
import { setattrProc } from './procedures/setattr.js';
import { symlinkProc } from './procedures/symlink.js';
import type { Nfs3Procedure } from './procedures/types.js';
import { writeProc } from './procedures/write.js';

export interface Nfs3ProgramOptions {
  shares: ShareRegistry;
  logger?: Logger;
  /** RFC 1813 §3.3.7 write verifier (8 bytes); a random one when absent. Must change at every start. */
  writeVerifier?: Buffer;
  /** rtmax/wtmax in bytes (FSINFO); default 1 MiB. */
  maxIo?: number;
  /** Called after every procedure with its RFC name, the nfsstat3 sent and the time taken. */
  onOp?: (op: string, status: number, seconds: number) => void;
  /** Share permissions, asked on every request: 'none' → ACCES, 'read' → ROFS on modifying calls. Absent = write. */
  authorize?: ShareAuthorizer;
  /** Called with the payload size of every successful READ and WRITE. */
  onBytes?: (direction: 'read' | 'write', bytes: number) => void;
  /**
   * The share's unified lock manager (the Runtime passes NLM's): other
   * protocols' leases (SMB oplocks and leases) are broken before READ, WRITE,
   * SETATTR of the size, REMOVE and RENAME (docs/locking.md "Across protocols").
   */
  locks?: (shareId: number) => LockManager | undefined;
  /** How long a request waits for a lease break before answering NFS3ERR_JUKEBOX (default 1000 ms). */
  leaseBreakWaitMs?: number;
}

/** How long an NFS request waits for a holder to answer a lease break before NFS3ERR_JUKEBOX. */
const DEFAULT_LEASE_BREAK_WAIT_MS = 1000;

/** Indexed by procedure number (RFC 1813 §3). */
const PROCEDURES: readonly Nfs3Procedure[] = (() => {
  const table: Nfs3Procedure[] = [];
  table[Nfs3Proc.NULL] = nullProc;
  table[Nfs3Proc.GETATTR] = getattrProc;
  table[Nfs3Proc.SETATTR] = setattrProc;
  table[Nfs3Proc.LOOKUP] = lookupProc;
  table[Nfs3Proc.ACCESS] = accessProc;
  table[Nfs3Proc.READLINK] = readlinkProc;
  table[Nfs3Proc.READ] = readProc;
  table[Nfs3Proc.WRITE] = writeProc;
  table[Nfs3Proc.CREATE] = createProc;
  table[Nfs3Proc.MKDIR] = mkdirProc;
  table[Nfs3Proc.SYMLINK] = symlinkProc;
  table[Nfs3Proc.MKNOD] = mknodProc;
  table[Nfs3Proc.REMOVE] = removeProc;
  table[Nfs3Proc.RMDIR] = rmdirProc;
  table[Nfs3Proc.RENAME] = renameProc;
  table[Nfs3Proc.LINK] = linkProc;
  table[Nfs3Proc.READDIR] = readdirProc;
  table[Nfs3Proc.READDIRPLUS] = readdirplusProc;
  table[Nfs3Proc.FSSTAT] = fsstatProc;
  table[Nfs3Proc.FSINFO] = fsinfoProc;
  table[Nfs3Proc.PATHCONF] = pathconfProc;
  table[Nfs3Proc.COMMIT] = commitProc;
  return table;
})();

/** The NFS version 3 program (100003 v3, RFC 1813) over the given shares. */
export function createNfs3Program(opts: Nfs3ProgramOptions): RpcProgram {
  const writeVerifier = opts.writeVerifier ?? randomBytes(NFS3_WRITEVERFSIZE);
  if (writeVerifier.length !== NFS3_WRITEVERFSIZE) throw new RangeError('writeVerifier must be 8 bytes');
  const maxIo = opts.maxIo ?? NFS3_DEFAULT_MAX_IO;
  if (!Number.isInteger(maxIo) || maxIo < 4096 || maxIo > 0x7fffffff) throw new RangeError(`invalid maxIo ${maxIo}`);
  const ctx = new Nfs3Context(
    opts.shares,
    writeVerifier,
    maxIo,
    opts.logger ?? silentLogger,
    opts.authorize,
    opts.onBytes,
    opts.locks ? { locks: opts.locks, waitMs: opts.leaseBreakWaitMs ?? DEFAULT_LEASE_BREAK_WAIT_MS } : undefined,
  );
  const onOp = opts.onOp;

  return {
    prog: NFS_PROGRAM,
    name: 'nfs3',
    minVers: NFS_V3,
    maxVers: NFS_V3,

    isNonIdempotent(_vers: number, proc: number): boolean {
      return PROCEDURES[proc]?.nonIdempotent ?? false;
    },

    async handle(call: RpcCall, args: XdrReader, reply: XdrWriter): Promise<RpcOutcome> {
      const proc = PROCEDURES[call.proc];
      if (!proc) return 'proc_unavail';
      const start = onOp ? performance.now() : 0;
      let status: Nfs3Status;
      try {
        status = await proc.run(ctx, call, args, reply);
      } catch (e) {
        // XdrError propagates: the RPC layer answers GARBAGE_ARGS.
        if (e instanceof AuthRejected) return { authError: e.stat };
        throw e;
      }
      const log = ctx.opLogger(proc.name);
      if (log.isLevelEnabled('debug')) log.debug({ client: call.peer.address, xid: call.xid, status }, 'nfs3 op');
      onOp?.(proc.name, status, (performance.now() - start) / 1000);
      return 'success';
    },
  };
}
