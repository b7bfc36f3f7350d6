import type { ShareAuthorizer, ShareRegistry } from '../../../core/share.js';
import type { Logger } from '../../../observability/logger.js';
import type { RpcCall, RpcOutcome } from '../../rpc/types.js';
import type { XdrReader } from '../../xdr/reader.js';
import type { XdrWriter } from '../../xdr/writer.js';
import type { MountTable } from '../mount-table.js';

export interface MountContext {
  shares: ShareRegistry;
  table: MountTable;
  logger: Logger;
  authorize?: ShareAuthorizer;
}

/** One MOUNT procedure: decode (XdrError = GARBAGE_ARGS) before writing, then reply. */
export type MountProcedure = (
  ctx: MountContext,
  call: RpcCall,
  args: XdrReader,
  reply: XdrWriter,
) => Promise<RpcOutcome>;
