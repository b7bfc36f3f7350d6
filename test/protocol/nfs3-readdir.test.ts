import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DirEntry3 } from './helpers/nfs3-client.js';
import { startTestServer, type TestServer } from './helpers/server.js';

const OK = 0;
const NFS3ERR_BAD_COOKIE = 10003;
const NFS3ERR_TOOSMALL = 10005;
const ZERO_VERF = Buffer.alloc(8);

/** RFC 1813 §3.3.16 sizes, computed independently of the server's code. */
const pad = (n: number) => (n + 3) & ~3;
const entrySize = (e: DirEntry3) => 4 + 8 + 4 + pad(Buffer.byteLength(e.name)) + 8;
/** status + post_op_attr(dir) + cookieverf + list end + eof */
const fixedSize = 4 + 4 + 84 + 8 + 4 + 4;
const plusSize = (e: DirEntry3) => entrySize(e) + 4 + (e.attr ? 84 : 0) + 4 + (e.fh ? 4 + pad(e.fh.length) : 0);

describe('READDIR and READDIRPLUS', () => {
  let srv: TestServer;
  let root: Buffer;
  let big: Buffer;
  const names = new Set<string>();

  beforeAll(async () => {
    srv = await startTestServer();
    root = await srv.rootOf('/export');
    big = (await srv.nfs.mkdir(root, 'big')).fh!;
    for (let i = 0; i < 2000; i++) names.add(`file-${i.toString().padStart(4, '0')}-${'x'.repeat(i % 13)}`);
    const list = [...names];
    for (let i = 0; i < list.length; i += 100) {
      const batch = list.slice(i, i + 100).map((n) => srv.nfs.create(big, n));
      for (const r of await Promise.all(batch)) expect(r.status).toBe(OK);
    }
  });
  afterAll(() => srv.close());

  it('pages through 2,000 entries with cookies, "." and ".." first, each reply within count', async () => {
    const seen: DirEntry3[] = [];
    let cookie = 0n;
    let verf = ZERO_VERF;
    let calls = 0;
    for (;;) {
      const res = await srv.nfs.readdir(big, cookie, verf, 4096);
      expect(res.status).toBe(OK);
      calls++;
      const size = fixedSize + res.entries.reduce((n, e) => n + entrySize(e), 0);
      expect(size).toBeLessThanOrEqual(4096);
      seen.push(...res.entries);
      verf = res.cookieverf!;
      if (res.eof) break;
      expect(res.entries.length).toBeGreaterThan(0);
      cookie = res.entries[res.entries.length - 1].cookie;
      expect(calls).toBeLessThan(200);
    }
    expect(calls).toBeGreaterThan(10);
    expect(seen[0]).toMatchObject({ name: '.', cookie: 1n });
    expect(seen[1]).toMatchObject({ name: '..', cookie: 2n });
    const rest = seen.slice(2).map((e) => e.name);
    expect(rest).toHaveLength(2000);
    expect(new Set(rest)).toEqual(names);
    const cookies = seen.map((e) => e.cookie);
    expect(new Set(cookies).size).toBe(cookies.length);
  });

  it('".." carries the parent\'s fileid', async () => {
    const res = await srv.nfs.readdir(big, 0n, ZERO_VERF, 4096);
    const rootAttr = (await srv.nfs.getattr(root)).attr!;
    const bigAttr = (await srv.nfs.getattr(big)).attr!;
    expect(res.entries[0].fileid).toBe(bigAttr.fileid);
    expect(res.entries[1].fileid).toBe(rootAttr.fileid);
  });

  it('a non-zero cookie with the wrong verifier is BAD_COOKIE', async () => {
    const first = await srv.nfs.readdir(big, 0n, ZERO_VERF, 1024);
    expect(first.cookieverf!.equals(Buffer.from('garbage!'))).toBe(false);
    const res = await srv.nfs.readdir(big, first.entries[3].cookie, Buffer.from('garbage!'), 1024);
    expect(res.status).toBe(NFS3ERR_BAD_COOKIE);
    expect(res.dirAttr?.type).toBe(2);
    const plus = await srv.nfs.readdirplus(big, first.entries[3].cookie, Buffer.from('garbage!'), 1024, 8192);
    expect(plus.status).toBe(NFS3ERR_BAD_COOKIE);
  });

  it('a cookie the directory never handed out is BAD_COOKIE', async () => {
    const first = await srv.nfs.readdir(big, 0n, ZERO_VERF, 1024);
    const res = await srv.nfs.readdir(big, 987_654_321n, first.cookieverf!, 1024);
    expect(res.status).toBe(NFS3ERR_BAD_COOKIE);
  });

  it('a count too small for a single entry is TOOSMALL', async () => {
    expect((await srv.nfs.readdir(big, 0n, ZERO_VERF, 100)).status).toBe(NFS3ERR_TOOSMALL);
    expect((await srv.nfs.readdirplus(big, 0n, ZERO_VERF, 4096, 200)).status).toBe(NFS3ERR_TOOSMALL);
    expect((await srv.nfs.readdirplus(big, 0n, ZERO_VERF, 10, 65536)).status).toBe(NFS3ERR_TOOSMALL);
  });

  it('READDIRPLUS keeps the whole reply within maxcount and returns attributes and handles', async () => {
    const res = await srv.nfs.readdirplus(big, 0n, ZERO_VERF, 1_000_000, 8192);
    expect(res.status).toBe(OK);
    expect(res.eof).toBe(false);
    const size = fixedSize + res.entries.reduce((n, e) => n + plusSize(e), 0);
    expect(size).toBeLessThanOrEqual(8192);
    expect(res.entries.length).toBeGreaterThan(10);
    const e = res.entries[5];
    expect(e.attr?.fileid).toBe(e.fileid);
    const looked = await srv.nfs.lookup(big, e.name);
    expect(e.fh).toEqual(looked.fh);
    expect(res.entries[0].fh).toEqual(big);
    expect(res.entries[1].fh).toEqual(root);
  });

  it('READDIRPLUS keeps the directory part within dircount', async () => {
    const res = await srv.nfs.readdirplus(big, 0n, ZERO_VERF, 512, 1_000_000);
    expect(res.status).toBe(OK);
    const dirPart = res.entries.reduce((n, e) => n + entrySize(e), 0);
    expect(dirPart).toBeLessThanOrEqual(512);
    expect(res.entries.length).toBeGreaterThan(5);
  });

  it('READDIRPLUS pages through the whole directory', async () => {
    let cookie = 0n;
    let verf = ZERO_VERF;
    let count = 0;
    for (let calls = 0; calls < 500; calls++) {
      const res = await srv.nfs.readdirplus(big, cookie, verf, 8192, 32768);
      expect(res.status).toBe(OK);
      count += res.entries.length;
      verf = res.cookieverf!;
      if (res.eof) break;
      cookie = res.entries[res.entries.length - 1].cookie;
    }
    expect(count).toBe(2002);
  });

  it('an empty directory lists only "." and ".." with eof', async () => {
    const d = await srv.nfs.mkdir(root, 'empty');
    const res = await srv.nfs.readdir(d.fh!, 0n, ZERO_VERF, 4096);
    expect(res.entries.map((e) => e.name)).toEqual(['.', '..']);
    expect(res.eof).toBe(true);
  });
});
