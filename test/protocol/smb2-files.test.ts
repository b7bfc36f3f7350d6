import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RELATED_FILE_ID, Smb2TestClient } from './helpers/smb2-client.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const S = {
  NO_MORE_FILES: 0x80000006,
  BUFFER_OVERFLOW: 0x80000005,
  INVALID_PARAMETER: 0xc000000d,
  NO_SUCH_FILE: 0xc000000f,
  END_OF_FILE: 0xc0000011,
  OBJECT_NAME_INVALID: 0xc0000033,
  OBJECT_NAME_NOT_FOUND: 0xc0000034,
  OBJECT_NAME_COLLISION: 0xc0000035,
  OBJECT_PATH_NOT_FOUND: 0xc000003a,
  FILE_IS_A_DIRECTORY: 0xc00000ba,
  NOT_A_DIRECTORY: 0xc0000103,
  DIRECTORY_NOT_EMPTY: 0xc0000101,
  FILE_CLOSED: 0xc0000128,
  INFO_LENGTH_MISMATCH: 0xc0000004,
  NOT_SUPPORTED: 0xc00000bb,
  USER_SESSION_DELETED: 0xc0000203,
};
const OPEN = 1;
const CREATE = 2;
const OPEN_IF = 3;
const OVERWRITE_IF = 5;
const DIR = 0x1;
const NON_DIR = 0x40;
const DELETE_ON_CLOSE = 0x1000;
const ALL_ACCESS = 0x001f01ff;

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('SMB2 file operations over TCP', () => {
  let srv: Smb2TestServer;
  let c: Smb2TestClient;

  beforeAll(async () => {
    srv = await startSmb2TestServer();
    c = await srv.client();
  });
  afterAll(() => srv.close());

  it('create, write, read back, close with POSTQUERY attributes', async () => {
    const f = await c.create('hello.txt', { disposition: CREATE, access: ALL_ACCESS });
    expect(f.status).toBe(0);
    expect(f.action).toBe(2);
    expect(f.body[2]).toBe(0); // OplockLevel NONE
    const data = Buffer.from('hello, smb');
    const w = await c.write(f.fileId, 0, data);
    expect(w.status).toBe(0);
    expect(w.body.readUInt32LE(4)).toBe(data.length);
    const r = await c.read(f.fileId, 0, 100);
    expect(r.status).toBe(0);
    expect(r.data.toString()).toBe('hello, smb');
    expect((await c.read(f.fileId, 100, 10)).status).toBe(S.END_OF_FILE);
    expect((await c.flush(f.fileId)).status).toBe(0);
    const cl = await c.close(f.fileId, true);
    expect(cl.status).toBe(0);
    expect(cl.body.readUInt16LE(2)).toBe(1);
    expect(Number(cl.body.readBigUInt64LE(48))).toBe(data.length);
    expect((await c.close(f.fileId)).status).toBe(S.FILE_CLOSED);
  });

  it('a 1 MiB multi-credit write and read keep the content', async () => {
    const f = await c.create('big.bin', { disposition: OVERWRITE_IF, access: ALL_ACCESS });
    const data = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    expect((await c.write(f.fileId, 0, data)).status).toBe(0);
    const r = await c.read(f.fileId, 0, data.length);
    expect(sha(r.data)).toBe(sha(data));
    // A 128 KiB read charged one credit is refused.
    expect((await c.read(f.fileId, 0, 131072, { creditCharge: 1 })).status).toBe(S.INVALID_PARAMETER);
    await c.close(f.fileId);
  });

  it('dispositions: CREATE of an existing name collides, OPEN of a missing one is not found, OVERWRITE_IF truncates', async () => {
    const f = await c.create('disp', { disposition: CREATE, access: ALL_ACCESS });
    await c.write(f.fileId, 0, Buffer.from('abcdef'));
    await c.close(f.fileId);
    expect((await c.create('disp', { disposition: CREATE })).status).toBe(S.OBJECT_NAME_COLLISION);
    expect((await c.create('missing', { disposition: OPEN })).status).toBe(S.OBJECT_NAME_NOT_FOUND);
    expect((await c.create('nodir\\missing', { disposition: OPEN })).status).toBe(S.OBJECT_PATH_NOT_FOUND);
    const o = await c.create('disp', { disposition: OVERWRITE_IF, access: ALL_ACCESS });
    expect(o.action).toBe(3);
    expect(Number(o.body.readBigUInt64LE(48))).toBe(0);
    await c.close(o.fileId);
    expect((await c.create('bad*name', { disposition: OPEN_IF })).status).toBe(S.OBJECT_NAME_INVALID);
  });

  it('directories: FILE_DIRECTORY_FILE creates one; NON_DIRECTORY/DIRECTORY mismatches are refused', async () => {
    const d = await c.create('sub', { disposition: CREATE, options: DIR });
    expect(d.status).toBe(0);
    expect(d.body.readUInt32LE(56) & 0x10).toBe(0x10);
    await c.close(d.fileId);
    expect((await c.create('sub', { disposition: OPEN, options: NON_DIR })).status).toBe(S.FILE_IS_A_DIRECTORY);
    const f = await c.create('sub\\inner.txt', { disposition: CREATE });
    expect(f.status).toBe(0);
    await c.close(f.fileId);
    expect((await c.create('sub\\inner.txt', { disposition: OPEN, options: DIR })).status).toBe(S.NOT_A_DIRECTORY);
  });

  it('QUERY_DIRECTORY lists ".", ".." and entries, with patterns, SINGLE_ENTRY, RESTART_SCANS and NO_MORE_FILES', async () => {
    const d = await c.create('list', { disposition: CREATE, options: DIR });
    for (const n of ['a.txt', 'b.txt', 'c.doc']) {
      const f = await c.create(`list\\${n}`, { disposition: CREATE });
      await c.close(f.fileId);
    }
    for (const cls of [1, 2, 3, 12, 37, 38]) {
      const all = await c.queryDirectory(d.fileId, '*', cls, 0x01);
      expect(all.status).toBe(0);
      expect(all.names.sort()).toEqual(['.', '..', 'a.txt', 'b.txt', 'c.doc']);
    }
    expect((await c.queryDirectory(d.fileId, '*', 37)).status).toBe(S.NO_MORE_FILES);
    const txt = await c.queryDirectory(d.fileId, '*.TXT', 37, 0x01);
    expect(txt.names.sort()).toEqual(['a.txt', 'b.txt']);
    const q = await c.queryDirectory(d.fileId, '?.doc', 37, 0x01);
    expect(q.names).toEqual(['c.doc']);
    const one = await c.queryDirectory(d.fileId, '*', 37, 0x01 | 0x02);
    expect(one.names).toEqual(['.']);
    const exact = await c.queryDirectory(d.fileId, 'b.txt', 37, 0x01);
    expect(exact.names).toEqual(['b.txt']);
    expect((await c.queryDirectory(d.fileId, 'zzz*', 37, 0x01)).status).toBe(S.NO_SUCH_FILE);
    await c.close(d.fileId);
  });

  it('QUERY_DIRECTORY honours a small output buffer across several calls', async () => {
    const d = await c.create('many', { disposition: CREATE, options: DIR });
    const names: string[] = [];
    for (let i = 0; i < 40; i++) {
      const n = `file-${String(i).padStart(3, '0')}`;
      names.push(n);
      const f = await c.create(`many\\${n}`, { disposition: CREATE });
      await c.close(f.fileId);
    }
    const seen: string[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await c.queryDirectory(d.fileId, '*', 37, i === 0 ? 1 : 0, 512);
      if (res.status === S.NO_MORE_FILES) break;
      expect(res.status).toBe(0);
      expect(res.data.length).toBeLessThanOrEqual(512);
      seen.push(...res.names);
    }
    expect(seen.filter((n) => !n.startsWith('.')).sort()).toEqual(names);
    await c.close(d.fileId);
  });

  it('QUERY_INFO: basic, standard, all, network open, stream and file-system classes', async () => {
    const f = await c.create('info.bin', { disposition: OVERWRITE_IF, access: ALL_ACCESS });
    await c.write(f.fileId, 0, Buffer.alloc(5000, 1));
    const basic = await c.queryInfo(f.fileId, 1, 4);
    expect(basic.data.length).toBe(40);
    expect(basic.data.readUInt32LE(32) & 0x20).toBe(0x20);
    const std = await c.queryInfo(f.fileId, 1, 5);
    expect(Number(std.data.readBigUInt64LE(8))).toBe(5000);
    expect(Number(std.data.readBigUInt64LE(0))).toBe(8192);
    const all = await c.queryInfo(f.fileId, 1, 18);
    expect(all.status).toBe(0);
    expect(all.data.toString('utf16le', 100)).toBe('\\info.bin');
    const netOpen = await c.queryInfo(f.fileId, 1, 34);
    expect(Number(netOpen.data.readBigUInt64LE(40))).toBe(5000);
    const streams = await c.queryInfo(f.fileId, 1, 22);
    expect(streams.data.toString('utf16le', 24)).toBe('::$DATA');
    expect((await c.queryInfo(f.fileId, 1, 4, 8)).status).toBe(S.INFO_LENGTH_MISMATCH);
    expect((await c.queryInfo(f.fileId, 1, 18, 104)).status).toBe(S.BUFFER_OVERFLOW);
    const size = await c.queryInfo(f.fileId, 2, 3);
    expect(size.data.length).toBe(24);
    const attrInfo = await c.queryInfo(f.fileId, 2, 5);
    expect(attrInfo.data.toString('utf16le', 12)).toBe('NTFS');
    const full = await c.queryInfo(f.fileId, 2, 7);
    expect(full.data.length).toBe(32);
    const sd = await c.queryInfo(f.fileId, 3, 0, 1024, 0x3);
    expect(sd.status).toBe(0);
    expect(sd.data.readUInt16LE(2) & 0x8000).toBe(0x8000);
    expect((await c.queryInfo(f.fileId, 4, 0)).status).toBe(S.NOT_SUPPORTED);
    await c.close(f.fileId);
  });

  it('SET_INFO: end of file, basic times, rename (with and without replace), delete disposition', async () => {
    const f = await c.create('set.bin', { disposition: OVERWRITE_IF, access: ALL_ACCESS });
    const eof = Buffer.alloc(8);
    eof.writeBigUInt64LE(12345n);
    expect((await c.setInfo(f.fileId, 20, eof)).status).toBe(0);
    expect(Number((await c.queryInfo(f.fileId, 1, 5)).data.readBigUInt64LE(8))).toBe(12345);
    const basic = Buffer.alloc(40);
    const ft = (BigInt(1_600_000_000) + 11644473600n) * 10_000_000n;
    basic.writeBigUInt64LE(ft, 16);
    expect((await c.setInfo(f.fileId, 4, basic)).status).toBe(0);
    expect((await c.queryInfo(f.fileId, 1, 4)).data.readBigUInt64LE(16)).toBe(ft);

    const other = await c.create('other.bin', { disposition: OVERWRITE_IF });
    await c.close(other.fileId);
    expect((await c.setInfo(f.fileId, 10, Smb2TestClient.renameInfo('other.bin'))).status).toBe(
      S.OBJECT_NAME_COLLISION,
    );
    expect((await c.setInfo(f.fileId, 10, Smb2TestClient.renameInfo('sub\\moved.bin'))).status).toBe(0);
    expect((await c.create('set.bin', { disposition: OPEN })).status).toBe(S.OBJECT_NAME_NOT_FOUND);
    expect((await c.setInfo(f.fileId, 10, Smb2TestClient.renameInfo('other.bin', true))).status).toBe(0);
    expect((await c.create('sub\\moved.bin', { disposition: OPEN })).status).toBe(S.OBJECT_NAME_NOT_FOUND);
    expect((await c.setInfo(f.fileId, 13, Buffer.from([1]))).status).toBe(0);
    await c.close(f.fileId);
    expect((await c.create('other.bin', { disposition: OPEN })).status).toBe(S.OBJECT_NAME_NOT_FOUND);
  });

  it('delete: DELETE_ON_CLOSE removes a file at close; a non-empty directory refuses delete', async () => {
    const f = await c.create('doomed', { disposition: CREATE, access: ALL_ACCESS, options: DELETE_ON_CLOSE });
    expect(f.status).toBe(0);
    await c.close(f.fileId);
    expect((await c.create('doomed', { disposition: OPEN })).status).toBe(S.OBJECT_NAME_NOT_FOUND);
    const d = await c.create('full', { disposition: CREATE, options: DIR, access: ALL_ACCESS });
    const inner = await c.create('full\\x', { disposition: CREATE });
    await c.close(inner.fileId);
    expect((await c.setInfo(d.fileId, 13, Buffer.from([1]))).status).toBe(S.DIRECTORY_NOT_EMPTY);
    await c.close(d.fileId);
    expect(
      (await c.create('full', { disposition: OPEN, options: DIR | DELETE_ON_CLOSE, access: ALL_ACCESS })).status,
    ).toBe(S.DIRECTORY_NOT_EMPTY);
  });

  it('a related compound CREATE + WRITE + READ + CLOSE uses the created FileId', async () => {
    const [cr, wr, rd, cl] = await c.compound(
      [
        { cmd: 5, body: c.createBody('compound.txt', { disposition: OVERWRITE_IF, access: ALL_ACCESS }) },
        { cmd: 9, body: c.writeBody(RELATED_FILE_ID, 0, Buffer.from('chained')) },
        { cmd: 8, body: c.readBody(RELATED_FILE_ID, 0, 100) },
        { cmd: 6, body: c.closeBody(RELATED_FILE_ID) },
      ],
      true,
    );
    expect([cr.status, wr.status, rd.status, cl.status]).toEqual([0, 0, 0, 0]);
    expect(rd.msg.subarray(rd.body[2], rd.body[2] + rd.body.readUInt32LE(4)).toString()).toBe('chained');
    expect(cr.hdr.nextCommand % 8).toBe(0);
  });

  it('a related compound after a failed CREATE fails with the same status', async () => {
    const [cr, qi, cl] = await c.compound(
      [
        { cmd: 5, body: c.createBody('absent', { disposition: OPEN }) },
        {
          cmd: 0x10,
          body: Buffer.concat([
            Buffer.from([41, 0, 1, 4]),
            Buffer.alloc(20),
            Smb2TestClient.fileIdBytes(RELATED_FILE_ID),
          ]),
        },
        { cmd: 6, body: c.closeBody(RELATED_FILE_ID) },
      ],
      true,
    );
    expect(cr.status).toBe(S.OBJECT_NAME_NOT_FOUND);
    expect(qi.status).toBe(S.OBJECT_NAME_NOT_FOUND);
    expect(cl.status).toBe(S.OBJECT_NAME_NOT_FOUND);
  });

  it('a related request after one whose SessionId named no session is INVALID_PARAMETER; after other failures it runs', async () => {
    const RELATED = 0x4;
    const [bad, next] = await c.compound(
      [
        { cmd: 6, body: c.closeBody(RELATED_FILE_ID), o: { sessionId: 0xffffffffffffffffn } },
        { cmd: 6, body: c.closeBody(RELATED_FILE_ID), o: { flags: RELATED } },
      ],
      false,
    );
    expect(bad.status).toBe(S.USER_SESSION_DELETED);
    expect(next.status).toBe(S.INVALID_PARAMETER);
    // A failure that is not the session's (an unknown FileId) leaves the session to take: FILE_CLOSED again.
    const [closed, again] = await c.compound(
      [
        { cmd: 6, body: c.closeBody(RELATED_FILE_ID) },
        { cmd: 6, body: c.closeBody(RELATED_FILE_ID), o: { flags: RELATED } },
      ],
      false,
    );
    expect(closed.status).toBe(S.FILE_CLOSED);
    expect(again.status).toBe(S.FILE_CLOSED);
  });

  it('an unrelated compound runs each command on its own', async () => {
    const [e1, e2, e3] = await c.compound(
      [
        { cmd: 0x0d, body: Buffer.from([4, 0, 0, 0]) },
        { cmd: 5, body: c.createBody('missing-too', { disposition: OPEN }) },
        { cmd: 0x0d, body: Buffer.from([4, 0, 0, 0]) },
      ],
      false,
    );
    expect([e1.status, e2.status, e3.status]).toEqual([0, S.OBJECT_NAME_NOT_FOUND, 0]);
  });

  it('FSCTL_VALIDATE_NEGOTIATE_INFO echoes the negotiation; other IOCTLs are NOT_SUPPORTED', async () => {
    const v = await Smb2TestClient.connect(srv.port);
    await v.negotiate([0x0300, 0x0302]);
    await v.sessionSetup(Buffer.from('NEGO'));
    await v.sessionSetup(Buffer.from('alice:secret'));
    await v.treeConnect('\\\\h\\IPC$');
    const input = Buffer.alloc(28);
    input.writeUInt32LE(0x7f, 0);
    Buffer.from('0123456789abcdef').copy(input, 4);
    input.writeUInt16LE(1, 20);
    input.writeUInt16LE(2, 22);
    input.writeUInt16LE(0x0300, 24);
    input.writeUInt16LE(0x0302, 26);
    const res = await v.ioctl(0x00140204, RELATED_FILE_ID, input);
    expect(res.status).toBe(0);
    const outOff = res.body.readUInt32LE(32);
    expect(res.body.readUInt32LE(36)).toBe(24);
    expect(res.msg.readUInt16LE(outOff + 22)).toBe(0x0302);
    expect((await v.ioctl(0x00060194, RELATED_FILE_ID, Buffer.alloc(0))).status).toBe(S.NOT_SUPPORTED);
    // A different dialect list means tampering: the connection is closed.
    input.writeUInt16LE(1, 22);
    void v.ioctl(0x00140204, RELATED_FILE_ID, input.subarray(0, 26));
    expect(await v.waitClosed()).toBe(true);
  });
});
