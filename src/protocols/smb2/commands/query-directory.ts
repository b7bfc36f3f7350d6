import type { Inode } from '../../../core/types.js';
import { FileInfoClass, HEADER_SIZE, REOPEN, RESTART_SCANS, RETURN_SINGLE_ENTRY } from '../constants.js';
import { allocationSize, endOfFile, fileAttributes, writeTimes } from '../fscc.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import { lookupOptional } from '../paths.js';
import type { DirEnum, Open } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbWriter, align8, sliceAt, utf16 } from '../wire.js';

/** VFS entries fetched per page while enumerating. */
const PAGE = 256;

/** Fixed part of each directory information structure before FileName (MS-FSCC §2.4). */
const FIXED_SIZE: Partial<Record<FileInfoClass, number>> = {
  [FileInfoClass.Directory]: 64,
  [FileInfoClass.FullDirectory]: 68,
  [FileInfoClass.BothDirectory]: 94,
  [FileInfoClass.Names]: 12,
  [FileInfoClass.IdBothDirectory]: 104,
  [FileInfoClass.IdFullDirectory]: 80,
};

interface Pending {
  name: string;
  attr: Inode;
}

/**
 * MS-FSCC §2.1.4.4 wildcard matching, case-insensitive as Windows names
 * are: "*" any run, "?" one character, and the DOS forms "<" (like "*" up
 * to the last dot), ">" (like "?", also matching end of name) and "\""
 * (a dot, or end of name). Iterative with backtracking over "*" only.
 */
export function matchPattern(pattern: string, name: string): boolean {
  if (pattern === '*' || pattern === '' || pattern === '*.*') return true;
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  return matchFrom(p, 0, n, 0);
}

function matchFrom(p: string, pi: number, n: string, ni: number): boolean {
  while (pi < p.length) {
    const c = p[pi];
    if (c === '*' || c === '<') {
      // Collapse runs of stars; a trailing "*" matches everything left.
      if (pi + 1 === p.length && c === '*') return true;
      for (let k = ni; k <= n.length; k++) if (matchFrom(p, pi + 1, n, k)) return true;
      return false;
    }
    if (c === '?' || c === '>') {
      if (ni < n.length) {
        ni++;
      } else if (c !== '>') return false;
      pi++;
      continue;
    }
    if (c === '"') {
      if (ni < n.length && n[ni] === '.') ni++;
      else if (ni !== n.length) return false;
      pi++;
      continue;
    }
    if (ni >= n.length || n[ni] !== c) return false;
    pi++;
    ni++;
  }
  return ni === n.length;
}

const hasWildcards = (p: string) => /[*?<>"]/.test(p);

/**
 * MS-SMB2 §3.3.5.18: QUERY_DIRECTORY. The pattern of the first query (or of
 * a RESTART_SCANS/REOPEN query) holds until the next restart; "." and ".."
 * come first as Windows and Samba list them. An empty first result is
 * NO_SUCH_FILE, the end of a listing NO_MORE_FILES.
 */
export async function queryDirectory(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(33);
  const infoClass = r.u8() as FileInfoClass;
  const flags = r.u8();
  r.skip(4);
  const open = req.readOpen(r);
  const nameOffset = r.u16();
  const nameLength = r.u16();
  const outputLength = r.u32();
  const pattern = utf16(sliceAt(req.msg, nameOffset, nameLength));
  if (!open.isDir) throw new NtStatusError(Status.INVALID_PARAMETER, 'not a directory');
  const fixed = FIXED_SIZE[infoClass];
  if (fixed === undefined) throw new NtStatusError(Status.INVALID_INFO_CLASS);
  const limit = Math.min(outputLength, req.conn.server.maxIo);

  if (!open.dirEnum || flags & (RESTART_SCANS | REOPEN)) open.dirEnum = await startEnum(open, pattern || '*');
  const en = open.dirEnum;
  const w = new SmbWriter(Math.min(limit, 64 * 1024) || 64);
  let lastStart = -1;
  let count = 0;
  for (;;) {
    if (en.pending.length === 0 && !en.eof) await fetchPage(open, en);
    const next = en.pending[0] as Pending | undefined;
    if (!next) break;
    const nameBytes = Buffer.from(next.name, 'utf16le');
    const start = count === 0 ? 0 : align8(w.pos);
    if (start + fixed + nameBytes.length > limit) {
      // MS-SMB2 §3.3.5.18: not even one entry fits the client's buffer.
      if (count === 0) throw new NtStatusError(Status.BUFFER_TOO_SMALL);
      break;
    }
    en.pending.shift();
    if (count > 0) {
      w.zeros(start - w.pos);
      w.patchU32(lastStart, start - lastStart);
    }
    lastStart = start;
    writeEntry(w, infoClass, next, nameBytes);
    count++;
    en.returnedAny = true;
    if (flags & RETURN_SINGLE_ENTRY) break;
  }
  if (count === 0) throw new NtStatusError(en.returnedAny ? Status.NO_MORE_FILES : Status.NO_SUCH_FILE);
  en.returnedAny = true;
  const out = w.result();
  const body = new SmbWriter(8)
    .u16(9)
    .u16(HEADER_SIZE + 8)
    .u32(out.length)
    .result();
  return ok(body, out);
}

async function startEnum(open: Open, pattern: string): Promise<DirEnum> {
  const en: DirEnum = { pattern, pending: [], cookie: 0, eof: false, returnedAny: false };
  const { vfs } = open.tree.share!;
  const dir = await vfs.getattr(open.id);
  const parent = dir.parent !== undefined && dir.parent !== dir.id ? await vfs.getattr(dir.parent) : dir;
  const dots: Pending[] = [
    { name: '.', attr: dir },
    { name: '..', attr: parent },
  ];
  if (!hasWildcards(pattern)) {
    // An exact name: one lookup instead of a scan.
    en.eof = true;
    const dot = dots.find((d) => d.name === pattern);
    if (dot) en.pending.push(dot);
    else {
      const attr = await lookupOptional(vfs, open.tree.cred, open.id, pattern);
      if (attr) en.pending.push({ name: pattern, attr });
    }
    return en;
  }
  for (const d of dots) if (matchPattern(pattern, d.name)) en.pending.push(d);
  return en;
}

async function fetchPage(open: Open, en: DirEnum): Promise<void> {
  const { vfs } = open.tree.share!;
  const cred = open.tree.cred;
  if (vfs.readdirPlus) {
    const res = await vfs.readdirPlus(cred, open.id, en.cookie, PAGE);
    res.entries.forEach((e, i) => {
      const attr = res.attrs[i];
      if (attr && matchPattern(en.pattern, e.name)) en.pending.push({ name: e.name, attr });
    });
    en.eof = res.eof;
    if (res.entries.length > 0) en.cookie = res.entries[res.entries.length - 1].cookie;
    else en.eof = true;
    return;
  }
  const res = await vfs.readdir(cred, open.id, en.cookie, PAGE);
  for (const e of res.entries) {
    if (!matchPattern(en.pattern, e.name)) continue;
    const attr = await vfs.getattr(e.id).catch(() => undefined);
    if (attr) en.pending.push({ name: e.name, attr });
  }
  en.eof = res.eof || res.entries.length === 0;
  if (res.entries.length > 0) en.cookie = res.entries[res.entries.length - 1].cookie;
}

/** One MS-FSCC directory information entry; NextEntryOffset is patched by the caller. */
function writeEntry(w: SmbWriter, cls: FileInfoClass, e: Pending, name: Buffer): void {
  w.u32(0).u32(0);
  if (cls === FileInfoClass.Names) {
    w.u32(name.length).bytes(name);
    return;
  }
  writeTimes(w, e.attr);
  w.u64(endOfFile(e.attr)).u64(allocationSize(e.attr)).u32(fileAttributes(e.attr)).u32(name.length);
  if (cls === FileInfoClass.Directory) {
    w.bytes(name);
    return;
  }
  w.u32(0); // EaSize
  switch (cls) {
    case FileInfoClass.FullDirectory:
      break;
    case FileInfoClass.IdFullDirectory:
      w.u32(0).u64(e.attr.id);
      break;
    case FileInfoClass.BothDirectory:
      // No 8.3 short names are generated.
      w.u8(0).u8(0).zeros(24);
      break;
    case FileInfoClass.IdBothDirectory:
      w.u8(0).u8(0).zeros(24).u16(0).u64(e.attr.id);
      break;
    default:
      break;
  }
  w.bytes(name);
}
