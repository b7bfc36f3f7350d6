import type { FileId } from '../types.js';
import type { MetadataStore } from '../../storage/metadata/store.js';
import type { LockOwner, LockProtocol, ShareModes } from './api.js';
import type { RangeLock } from './ranges.js';
import { copyOwner } from './owners.js';

/**
 * Lock state as persisted through the metadata store's state records: one
 * record per file (`locks/file/<id>`) holding that file's locks, opens and
 * leases, plus an index (`locks/files`) naming the files that have one — the
 * store contract has no key listing. Queued waiters are not persisted: a
 * blocked client re-sends its request after a restart (NLM reclaim, NFSv4
 * retries). JSON keeps the records readable with `dfsctl` and stores that show
 * raw state; a file's record is small (a handful of entries).
 */
export const INDEX_KEY = 'locks/files';
export function fileKey(file: FileId): string {
  return `locks/file/${file}`;
}

export interface PersistedOpen {
  owner: LockOwner;
  access: ShareModes;
  deny: ShareModes;
}

export interface PersistedLease {
  owner: LockOwner;
  key: string;
  kinds: number;
}

export interface FileRecord {
  locks: RangeLock[];
  opens: PersistedOpen[];
  leases: PersistedLease[];
}

const PROTOCOLS: ReadonlySet<string> = new Set<LockProtocol>(['nlm', 'nfs4', 'smb', 'local']);

interface WireOwner {
  p: string;
  c: string;
  o: string;
  pid?: number;
}
interface WireRecord {
  v: 1;
  locks: Array<WireOwner & { s: number; e: number | null; t: 'S' | 'X' }>;
  opens: Array<WireOwner & { a: string; d: string }>;
  leases: Array<WireOwner & { k: string; kinds: number }>;
}

function wireOwner(o: LockOwner): WireOwner {
  return o.pid === undefined
    ? { p: o.protocol, c: o.clientId, o: o.ownerId }
    : { p: o.protocol, c: o.clientId, o: o.ownerId, pid: o.pid };
}

function modesString(m: ShareModes): string {
  return (m.read ? 'r' : '') + (m.write ? 'w' : '') + (m.delete === true ? 'd' : '');
}

export function encodeFileRecord(rec: FileRecord): Buffer {
  const w: WireRecord = {
    v: 1,
    locks: rec.locks.map((l) => ({
      ...wireOwner(l.owner),
      s: l.start,
      // JSON has no Infinity: null is "to end of file".
      e: l.end === Infinity ? null : l.end,
      t: l.type === 'exclusive' ? 'X' : 'S',
    })),
    opens: rec.opens.map((x) => ({ ...wireOwner(x.owner), a: modesString(x.access), d: modesString(x.deny) })),
    leases: rec.leases.map((x) => ({ ...wireOwner(x.owner), k: x.key, kinds: x.kinds })),
  };
  return Buffer.from(JSON.stringify(w));
}

/** Parse a record; anything malformed is skipped entry by entry (a damaged record must not stop the server). */
export function decodeFileRecord(buf: Buffer): FileRecord {
  const out: FileRecord = { locks: [], opens: [], leases: [] };
  let w: unknown;
  try {
    w = JSON.parse(buf.toString('utf8'));
  } catch {
    return out;
  }
  if (!isObject(w) || w.v !== 1) return out;
  for (const l of arrayOf(w.locks)) {
    const owner = readOwner(l);
    const s = l.s;
    const e = l.e === null ? Infinity : l.e;
    if (!owner || typeof s !== 'number' || typeof e !== 'number' || !(s >= 0) || !(e > s)) continue;
    if (l.t !== 'S' && l.t !== 'X') continue;
    out.locks.push({ owner, start: s, end: e, type: l.t === 'X' ? 'exclusive' : 'shared' });
  }
  for (const x of arrayOf(w.opens)) {
    const owner = readOwner(x);
    if (!owner || typeof x.a !== 'string' || typeof x.d !== 'string') continue;
    out.opens.push({ owner, access: readModes(x.a), deny: readModes(x.d) });
  }
  for (const x of arrayOf(w.leases)) {
    const owner = readOwner(x);
    if (!owner || typeof x.k !== 'string' || typeof x.kinds !== 'number') continue;
    out.leases.push({ owner, key: x.k, kinds: x.kinds & 7 });
  }
  return out;
}

export function encodeIndex(files: Iterable<FileId>): Buffer {
  return Buffer.from(JSON.stringify([...files]));
}

export function decodeIndex(buf: Buffer | undefined): FileId[] {
  if (!buf) return [];
  try {
    const v: unknown = JSON.parse(buf.toString('utf8'));
    return Array.isArray(v) ? v.filter((x): x is number => Number.isSafeInteger(x) && (x as number) > 0) : [];
  } catch {
    return [];
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}

function arrayOf(v: unknown): Array<Record<string, unknown>> {
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function readOwner(x: Record<string, unknown>): LockOwner | undefined {
  if (typeof x.p !== 'string' || !PROTOCOLS.has(x.p) || typeof x.c !== 'string' || typeof x.o !== 'string')
    return undefined;
  const pid = typeof x.pid === 'number' ? x.pid : undefined;
  return copyOwner({
    protocol: x.p as LockProtocol,
    clientId: x.c,
    ownerId: x.o,
    ...(pid === undefined ? {} : { pid }),
  });
}

function readModes(s: string): ShareModes {
  return { read: s.includes('r'), write: s.includes('w'), delete: s.includes('d') };
}

/** Read every persisted file record (start-up). */
export async function loadAll(store: MetadataStore): Promise<Map<FileId, FileRecord>> {
  return store.view(async (tx) => {
    const files = decodeIndex(await tx.getState(INDEX_KEY));
    const out = new Map<FileId, FileRecord>();
    for (const f of files) {
      const buf = await tx.getState(fileKey(f));
      if (buf) out.set(f, decodeFileRecord(buf));
    }
    return out;
  });
}

/**
 * Write-behind of dirty files with coalescing: callers mark files dirty and
 * await `persist()`; at most one store update runs at a time and every
 * caller's promise resolves after an update that started after its call, so
 * a caller knows its change is durable. Records are built when the update
 * starts (from the manager's current state), so later changes are never lost
 * to an earlier, slower write.
 */
export class StateWriter {
  private readonly dirty = new Set<FileId>();
  private readonly persisted = new Set<FileId>();
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;

  constructor(
    private readonly store: MetadataStore,
    private readonly snapshot: (file: FileId) => FileRecord | undefined,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Files known to have a record (from `load`). */
  seed(files: Iterable<FileId>): void {
    for (const f of files) this.persisted.add(f);
  }

  markDirty(file: FileId): void {
    this.dirty.add(file);
  }

  persist(): Promise<void> {
    if (this.dirty.size === 0 && !this.running) return Promise.resolve();
    if (this.queued) return this.queued;
    const after = this.running ?? Promise.resolve();
    const next = after.then(() => {
      this.queued = undefined;
      const run = this.writeDirty();
      this.running = run;
      return run.finally(() => {
        if (this.running === run) this.running = undefined;
      });
    });
    this.queued = next;
    return next;
  }

  private async writeDirty(): Promise<void> {
    if (this.dirty.size === 0) return;
    const files = [...this.dirty];
    this.dirty.clear();
    const puts: Array<[FileId, Buffer]> = [];
    const deletes: FileId[] = [];
    const index = new Set(this.persisted);
    for (const f of files) {
      const rec = this.snapshot(f);
      if (rec && (rec.locks.length > 0 || rec.opens.length > 0 || rec.leases.length > 0)) {
        puts.push([f, encodeFileRecord(rec)]);
        index.add(f);
      } else if (this.persisted.has(f)) {
        deletes.push(f);
        index.delete(f);
      }
    }
    const indexChanged = index.size !== this.persisted.size || [...index].some((f) => !this.persisted.has(f));
    if (puts.length === 0 && deletes.length === 0) return;
    try {
      await this.store.update(async (tx) => {
        for (const [f, buf] of puts) await tx.putState(fileKey(f), buf);
        for (const f of deletes) await tx.deleteState(fileKey(f));
        if (indexChanged) await tx.putState(INDEX_KEY, encodeIndex(index));
      });
      this.persisted.clear();
      for (const f of index) this.persisted.add(f);
    } catch (err) {
      // Keep the files dirty so the next change writes them again; the
      // in-memory state stays authoritative while the process lives.
      for (const f of files) this.dirty.add(f);
      this.onError(err);
    }
  }
}
