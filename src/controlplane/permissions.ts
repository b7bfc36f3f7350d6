import type { ShareAccess, ShareAuthorizer } from '../core/share.js';
import type { GroupRecord, PermissionLevel, PermissionRecord, UserRecord } from './store/types.js';

const RANK: Record<PermissionLevel, number> = { none: 0, read: 1, 'read-write': 2, admin: 3 };

function accessOf(level: PermissionLevel): ShareAccess {
  return level === 'none' ? 'none' : level === 'read' ? 'read' : 'write';
}

interface ShareRules {
  /** Explicit per-user levels, keyed by the user's uid. */
  byUid: Map<number, PermissionLevel>;
  /** Group levels, keyed by gid (the group's own gid). */
  byGid: Map<number, PermissionLevel>;
}

/**
 * Share permissions in the form NFS asks them on every request: an
 * in-memory index rebuilt whenever users, groups or permissions change.
 *
 * Rules (docs/control-plane.md "Permissions"):
 * - a share with no permission rows is open: access is decided by the
 *   export options alone (the behaviour without a control plane);
 * - otherwise the AUTH_SYS uid names a control-plane user (by uid); a row
 *   for that user decides, even when it is lower than a group's;
 * - else the highest row among the user's groups (memberships) and the
 *   groups whose gid the caller presents (AUTH_SYS gid and gids);
 * - else, and for AUTH_NONE callers, no access.
 * Disabled users get no access on restricted shares.
 */
export class PermissionIndex {
  private rules = new Map<string, ShareRules>();

  rebuild(
    users: readonly UserRecord[],
    groups: readonly GroupRecord[],
    permissions: readonly PermissionRecord[],
  ): void {
    const userByName = new Map(users.map((u) => [u.name, u]));
    const groupByName = new Map(groups.map((g) => [g.name, g]));
    const rules = new Map<string, ShareRules>();
    const rulesOf = (share: string) => {
      let r = rules.get(share);
      if (!r) {
        r = { byUid: new Map(), byGid: new Map() };
        rules.set(share, r);
      }
      return r;
    };
    // The API asks by user name (share admins, docs/control-plane.md "Share administrators").
    const byName = new Map<string, Map<string, PermissionLevel>>();
    const nameRules = (share: string) => {
      let m = byName.get(share);
      if (!m) byName.set(share, (m = new Map()));
      return m;
    };
    const explicit = new Set<string>();
    for (const p of permissions) {
      if (p.kind !== 'user') continue;
      const u = userByName.get(p.principal);
      if (!u) continue;
      nameRules(p.share).set(u.name, u.enabled ? p.level : 'none');
      explicit.add(`${p.share}\0${u.name}`);
    }
    for (const p of permissions) {
      if (p.kind !== 'group') continue;
      for (const m of groupByName.get(p.principal)?.members ?? []) {
        const u = userByName.get(m);
        if (!u || explicit.has(`${p.share}\0${u.name}`)) continue;
        const rules = nameRules(p.share);
        const level = u.enabled ? p.level : 'none';
        const cur = rules.get(u.name);
        if (cur === undefined || RANK[level] > RANK[cur]) rules.set(u.name, level);
      }
    }
    this.byName = byName;
    // Group rows apply to members (by uid) as well as to callers presenting the gid.
    const memberGroupLevels = new Map<string, Map<number, PermissionLevel>>();
    for (const p of permissions) {
      const r = rulesOf(p.share);
      if (p.kind === 'user') {
        const u = userByName.get(p.principal);
        if (u) r.byUid.set(u.uid, u.enabled ? p.level : 'none');
        continue;
      }
      const g = groupByName.get(p.principal);
      if (!g) continue;
      const prev = r.byGid.get(g.gid);
      if (prev === undefined || RANK[p.level] > RANK[prev]) r.byGid.set(g.gid, p.level);
      let byMember = memberGroupLevels.get(p.share);
      if (!byMember) memberGroupLevels.set(p.share, (byMember = new Map()));
      for (const m of g.members) {
        const u = userByName.get(m);
        if (!u) continue;
        const level = u.enabled ? p.level : 'none';
        const cur = byMember.get(u.uid);
        if (cur === undefined || RANK[level] > RANK[cur]) byMember.set(u.uid, level);
      }
    }
    // A member's group level is folded in as a per-uid fallback, kept apart
    // from explicit user rows (which win even when lower).
    this.memberLevels = memberGroupLevels;
    this.rules = rules;
  }

  private memberLevels = new Map<string, Map<number, PermissionLevel>>();
  private byName = new Map<string, Map<string, PermissionLevel>>();

  /**
   * A control-plane user's level on a share by name (for the API): their own
   * row decides, else the highest row of a group they are a member of; none
   * for disabled users and users without a row. Unlike NFS, an open share
   * (no rows) grants nothing here: API rights are never implicit.
   */
  userLevel(share: string, user: string): PermissionLevel {
    return this.byName.get(share)?.get(user) ?? 'none';
  }

  /** Is the share restricted (has at least one permission row)? */
  restricted(share: string): boolean {
    return this.rules.has(share);
  }

  level(
    share: string,
    caller: { uid: number; gid: number; gids: readonly number[] } | undefined,
  ): PermissionLevel | undefined {
    const r = this.rules.get(share);
    if (!r) return undefined;
    if (!caller) return 'none';
    const own = r.byUid.get(caller.uid);
    if (own !== undefined) return own;
    let best: PermissionLevel = this.memberLevels.get(share)?.get(caller.uid) ?? 'none';
    const consider = (gid: number) => {
      const l = r.byGid.get(gid);
      if (l !== undefined && RANK[l] > RANK[best]) best = l;
    };
    consider(caller.gid);
    for (const g of caller.gids) consider(g);
    return best;
  }

  /** The callback MOUNT and NFS ask on every request. */
  readonly authorize: ShareAuthorizer = (share, caller) => {
    const l = this.level(share.name, caller);
    return l === undefined ? 'write' : accessOf(l);
  };
}
