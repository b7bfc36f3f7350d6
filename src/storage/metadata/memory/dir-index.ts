import type { DirEntry } from '../../../core/types.js';

/**
 * The committed entries of one directory, indexed two ways: by name (lookup)
 * and by cookie (readdir). The VFS hands out cookies in increasing order per
 * directory, so the cookie-ordered arrays are append-only in practice; removal
 * leaves a tombstone (null) that a lazy compaction sweeps once tombstones
 * outnumber live entries. readdir is a binary search plus a forward scan, so a
 * page costs O(log n + page) even for 100,000 entries.
 */
export class DirIndex {
  readonly byName = new Map<string, DirEntry>();
  private cookies: number[] = [];
  private slots: (DirEntry | null)[] = [];
  private dead = 0;

  get size(): number {
    return this.byName.size;
  }

  add(entry: DirEntry): void {
    this.byName.set(entry.name, entry);
    const n = this.cookies.length;
    if (n === 0 || this.cookies[n - 1] < entry.cookie) {
      this.cookies.push(entry.cookie);
      this.slots.push(entry);
      return;
    }
    // A cookie out of order (not produced by the VFS, but legal for the store contract).
    const at = this.firstAfter(entry.cookie - 1);
    this.cookies.splice(at, 0, entry.cookie);
    this.slots.splice(at, 0, entry);
  }

  remove(name: string): void {
    const entry = this.byName.get(name);
    if (entry === undefined) return;
    this.byName.delete(name);
    let i = this.firstAfter(entry.cookie - 1);
    // Several entries may share a cookie only if a caller chose so; find ours.
    while (i < this.slots.length && this.slots[i] !== entry) i++;
    if (i < this.slots.length) {
      this.slots[i] = null;
      this.dead++;
    }
    if (this.dead > 64 && this.dead > this.byName.size) this.compact();
  }

  /** Live entries with cookie > `after`, in cookie order, skipping names for which `skip` returns true. */
  page(after: number, limit: number, skip?: (name: string) => boolean): DirEntry[] {
    const out: DirEntry[] = [];
    for (let i = this.firstAfter(after); i < this.slots.length && out.length < limit; i++) {
      const e = this.slots[i];
      if (e !== null && (skip === undefined || !skip(e.name))) out.push(e);
    }
    return out;
  }

  /** Index of the first cookie strictly greater than `after`. */
  private firstAfter(after: number): number {
    let lo = 0;
    let hi = this.cookies.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cookies[mid] <= after) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private compact(): void {
    const cookies: number[] = [];
    const slots: DirEntry[] = [];
    for (const e of this.slots) {
      if (e !== null) {
        cookies.push(e.cookie);
        slots.push(e);
      }
    }
    this.cookies = cookies;
    this.slots = slots;
    this.dead = 0;
  }
}
