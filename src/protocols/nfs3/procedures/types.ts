import type { RpcCall } from '../../rpc/types.js';
import type { XdrReader } from '../../xdr/reader.js';
import type { XdrWriter } from '../../xdr/writer.js';
import type { Nfs3Status } from '../constants.js';
import type { Nfs3Context } from '../context.js';

/** One NFSv3 procedure (RFC 1813 §3.3.x). */
export interface Nfs3Procedure {
  /** Upper-case RFC name: log field and metrics label. */
  readonly name: string;
  /** Retransmissions must be answered from the duplicate-request cache. */
  readonly nonIdempotent: boolean;
  /**
   * Decode the arguments (an XdrError here means GARBAGE_ARGS, so all
   * decoding happens before the first byte of the reply), run, and write
   * the status and result body. Returns the nfsstat3 sent.
   */
  run(ctx: Nfs3Context, call: RpcCall, args: XdrReader, reply: XdrWriter): Promise<Nfs3Status>;
}
