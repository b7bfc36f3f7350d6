import { silentLogger, type Logger } from '../../observability/logger.js';
import type { ShareAuthorizer, ShareRegistry } from '../../core/share.js';
import type { RpcProgram } from '../rpc/types.js';
import { MOUNT_PROGRAM, MOUNT_V1, MOUNT_V3, MountProc } from './constants.js';
import { MountTable } from './mount-table.js';
import { mountDump } from './procedures/dump.js';
import { mountExport } from './procedures/export.js';
import { mountMnt } from './procedures/mnt.js';
import { mountNull } from './procedures/null.js';
import type { MountContext, MountProcedure } from './procedures/types.js';
import { mountUmnt } from './procedures/umnt.js';
import { mountUmntall } from './procedures/umntall.js';

export interface MountProgramOptions {
  shares: ShareRegistry;
  logger?: Logger;
  /** Share permissions: 'none' refuses MNT with MNT3ERR_ACCES. Absent = everyone the export admits. */
  authorize?: ShareAuthorizer;
}

const PROCEDURES: Readonly<Record<number, MountProcedure>> = {
  [MountProc.NULL]: mountNull,
  [MountProc.MNT]: mountMnt,
  [MountProc.DUMP]: mountDump,
  [MountProc.UMNT]: mountUmnt,
  [MountProc.UMNTALL]: mountUmntall,
  [MountProc.EXPORT]: mountExport,
};

/**
 * The MOUNT program (100005). Versions 1-3 are served because showmount and
 * older tools ask v1 for DUMP/EXPORT, whose encoding is the same in every
 * version. MNT exists only in v3: v1/v2 MNT returns an NFSv2 handle, and
 * this server has no NFSv2 (PROC_UNAVAIL), as has v2's PATHCONF.
 */
export function createMountProgram(opts: MountProgramOptions): RpcProgram {
  const logger = opts.logger ?? silentLogger;
  const ctx: MountContext = {
    shares: opts.shares,
    table: new MountTable(),
    authorize: opts.authorize,
    logger: 'protocol' in logger.bindings() ? logger : logger.child({ protocol: 'mount' }),
  };
  return {
    prog: MOUNT_PROGRAM,
    name: 'mount',
    minVers: MOUNT_V1,
    maxVers: MOUNT_V3,
    async handle(call, args, reply) {
      const proc = PROCEDURES[call.proc];
      if (!proc || (call.proc === MountProc.MNT && call.vers !== MOUNT_V3)) return 'proc_unavail';
      return proc(ctx, call, args, reply);
    },
  };
}
