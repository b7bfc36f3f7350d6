import { describe, expect, it } from 'vitest';
import { DEFAULT_SHARE_OPTIONS } from '../share.js';
import { squash } from './identity.js';

describe('squash maps callers to the anonymous identity per export options', () => {
  const user = { uid: 1000, gid: 100, gids: [10, 20] };
  const root = { uid: 0, gid: 0, gids: [0, 1] };

  it('root_squash maps uid 0 to anon with no supplementary groups, others unchanged', () => {
    const o = { ...DEFAULT_SHARE_OPTIONS, rootSquash: true, anonUid: 65534, anonGid: 65533 };
    expect(squash(root, o)).toEqual({ uid: 65534, gid: 65533, gids: [] });
    expect(squash(user, o)).toEqual(user);
  });

  it('no_root_squash keeps root', () => {
    expect(squash(root, { ...DEFAULT_SHARE_OPTIONS, rootSquash: false })).toEqual(root);
  });

  it('all_squash maps everyone', () => {
    const o = { ...DEFAULT_SHARE_OPTIONS, rootSquash: false, allSquash: true, anonUid: 7, anonGid: 8 };
    expect(squash(user, o)).toEqual({ uid: 7, gid: 8, gids: [] });
    expect(squash(root, o)).toEqual({ uid: 7, gid: 8, gids: [] });
  });
});
