import type { ShareOptions } from '../share.js';
import type { Credentials } from '../types.js';

/**
 * Apply the share's squashing policy to a caller's credentials (exports(5)
 * root_squash / all_squash): the squashed caller becomes anonUid/anonGid with
 * no supplementary groups. Protocols call this once per request, before any
 * VFS call.
 */
export function squash(cred: Credentials, opts: ShareOptions): Credentials {
  if (opts.allSquash || (opts.rootSquash && cred.uid === 0)) {
    return { uid: opts.anonUid, gid: opts.anonGid, gids: [] };
  }
  return cred;
}
