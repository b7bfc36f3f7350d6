import { FsError } from '../../../core/errors.js';
import { encodeHandle } from '../../../core/vfs/handle.js';
import { AUTH_NONE, AUTH_SYS } from '../../rpc/types.js';
import { isClientAllowed, isPortAllowed } from '../client-policy.js';
import { MountStat3 } from '../constants.js';
import { readDirpath } from './dirpath.js';
import type { MountProcedure } from './types.js';

/**
 * RFC 1813 Appendix I: flavors the client may use, in order of preference.
 * Linux takes the first one it supports, so AUTH_SYS comes first.
 */
const AUTH_FLAVORS = [AUTH_SYS, AUTH_NONE];

/**
 * MOUNTPROC3_MNT: the root handle of the export named exactly by dirpath.
 * Unknown path → NOENT; a client outside allowedClients, or calling from an
 * unprivileged port when the export requires one, or without a share
 * permission when the control plane restricts the share → ACCES.
 */
export const mountMnt: MountProcedure = async (ctx, call, args, reply) => {
  const dirpath = readDirpath(args);
  const log = ctx.logger;
  const share = ctx.shares.byName(dirpath);
  let status = MountStat3.OK;
  let fh: Buffer | undefined;
  if (!share) {
    status = MountStat3.NOENT;
  } else if (!isClientAllowed(share.options, call.peer.address) || !isPortAllowed(share.options, call.peer.port)) {
    status = MountStat3.ACCES;
  } else if (ctx.authorize && ctx.authorize(share, call.authSys, call.peer) === 'none') {
    // The control plane's share permissions give this caller no access.
    status = MountStat3.ACCES;
  } else {
    try {
      const root = await share.vfs.getattr(share.vfs.root());
      fh = encodeHandle({ shareId: share.id, id: root.id, generation: root.generation });
    } catch (e) {
      if (!(e instanceof FsError)) log.warn({ err: e, dirpath }, 'mount: unexpected error reading export root');
      status = MountStat3.SERVERFAULT;
    }
  }
  if (log.isLevelEnabled('debug')) log.debug({ op: 'MNT', client: call.peer.address, dirpath, status }, 'mount');
  reply.uint32(status);
  if (status !== MountStat3.OK || !fh || !share) return 'success';
  ctx.table.add(call.peer.address, share.name);
  reply.opaque(fh);
  reply.uint32(AUTH_FLAVORS.length);
  for (const f of AUTH_FLAVORS) reply.uint32(f);
  return 'success';
};
