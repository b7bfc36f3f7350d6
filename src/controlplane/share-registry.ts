import type { Share, ShareRegistry } from '../core/share.js';

/** The live list of shares; the Runtime adds and removes, protocols look up. */
export class MutableShareRegistry implements ShareRegistry {
  private readonly ids = new Map<number, Share>();
  private readonly names = new Map<string, Share>();

  add(share: Share): void {
    if (this.ids.has(share.id) || this.names.has(share.name)) throw new Error(`share ${share.name} exists`);
    this.ids.set(share.id, share);
    this.names.set(share.name, share);
  }

  remove(name: string): Share | undefined {
    const s = this.names.get(name);
    if (!s) return undefined;
    this.names.delete(name);
    this.ids.delete(s.id);
    return s;
  }

  /** Swap in a new version of an exported share (same id and name), e.g. with new options. */
  replace(share: Share): void {
    const cur = this.names.get(share.name);
    if (!cur || cur.id !== share.id) throw new Error(`share ${share.name} is not exported with id ${share.id}`);
    this.ids.set(share.id, share);
    this.names.set(share.name, share);
  }

  byId(id: number): Share | undefined {
    return this.ids.get(id);
  }

  byName(name: string): Share | undefined {
    return this.names.get(name);
  }

  list(): Share[] {
    return [...this.ids.values()];
  }

  /**
   * The id for a share named `name`. Ids are part of every file handle, so
   * they derive from the name (FNV-1a): the same share keeps its id across
   * restarts and reordering of the configuration. A collision moves on to the
   * next free id.
   */
  idFor(name: string): number {
    let h = 0x811c9dc5;
    for (const b of Buffer.from(name, 'utf8')) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    let id = h || 1;
    while (this.ids.has(id)) id = (id + 1) >>> 0 || 1;
    return id;
  }
}
