import { FsError } from '../../../core/errors.js';
import type { SetAttrs } from '../../../core/vfs/api.js';
import type { FileType } from '../../../core/types.js';
import { XdrError } from '../../xdr/errors.js';
import type { XdrReader } from '../../xdr/reader.js';
import { readDirOpArgs, readSattr3 } from '../codec/decode.js';
import { toFileName } from '../codec/names.js';
import { Ftype3 } from '../constants.js';
import type { Target } from '../context.js';
import { failWithWcc, replyCreated } from './replies.js';
import { checkSetAttrs } from './setattr.js';
import type { Nfs3Procedure } from './types.js';

type NodeType = Exclude<FileType, 'reg' | 'dir' | 'lnk'>;

interface MknodData {
  /** Undefined for REG/DIR/LNK: the union arm is void and the answer BADTYPE. */
  type?: NodeType;
  set: SetAttrs;
  rdev?: { major: number; minor: number };
}

/** RFC 1813 §3.3.11 mknoddata3: a union on ftype3. */
function readMknodData(r: XdrReader): MknodData {
  const ftype = r.uint32();
  switch (ftype) {
    case Ftype3.CHR:
    case Ftype3.BLK: {
      const set = readSattr3(r);
      const major = r.uint32();
      const minor = r.uint32();
      return { type: ftype === Ftype3.CHR ? 'chr' : 'blk', set, rdev: { major, minor } };
    }
    case Ftype3.SOCK:
      return { type: 'sock', set: readSattr3(r) };
    case Ftype3.FIFO:
      return { type: 'fifo', set: readSattr3(r) };
    case Ftype3.REG:
    case Ftype3.DIR:
    case Ftype3.LNK:
      return { set: {} };
    default:
      throw new XdrError(`invalid ftype3 ${ftype}`);
  }
}

/** RFC 1813 §3.3.11 MKNOD: device nodes, sockets and FIFOs; other types are BADTYPE. */
export const mknodProc: Nfs3Procedure = {
  name: 'MKNOD',
  nonIdempotent: true,
  async run(ctx, call, args, reply) {
    const where = readDirOpArgs(args);
    const what = readMknodData(args);
    let d: Target | undefined;
    try {
      d = await ctx.resolve(call, where.dir);
      ctx.ensureWritable(d);
      const name = toFileName(where.name);
      if (what.type === undefined) throw new FsError('BADTYPE');
      checkSetAttrs(what.set);
      const res = await d.vfs.mknod(d.cred, d.id, name, what.type, what.set, what.rdev);
      return replyCreated(ctx, reply, d, res);
    } catch (e) {
      return failWithWcc(ctx, 'MKNOD', reply, e, d);
    }
  },
};
