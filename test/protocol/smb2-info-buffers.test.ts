import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Smb2FileId, Smb2TestClient } from './helpers/smb2-client.js';
import { startSmb2TestServer, type Smb2TestServer } from './smb2-fixture.js';

const BUFFER_OVERFLOW = 0x80000005;
const INFO_LENGTH_MISMATCH = 0xc0000004;
const NOT_SUPPORTED = 0xc00000bb;
const CREATE = 2;
const ALL_ACCESS = 0x001f01ff;
const INFO_FILE = 1;
const INFO_FS = 2;

/**
 * Every output length from 0 to the full answer: below `fixed`
 * INFO_LENGTH_MISMATCH, then BUFFER_OVERFLOW with as many bytes as fit, and
 * the full answer at its own size. Returns the statuses seen, by length.
 */
async function sweep(c: Smb2TestClient, f: Smb2FileId, type: number, cls: number, fixed: number) {
  const full = await c.queryInfo(f, type, cls);
  expect(full.status, `class ${type}/${cls}`).toBe(0);
  for (let len = 0; len <= full.data.length; len++) {
    const r = await c.queryInfo(f, type, cls, len);
    if (len < fixed) {
      expect(r.status, `class ${type}/${cls} length ${len}`).toBe(INFO_LENGTH_MISMATCH);
    } else if (len < full.data.length) {
      expect(r.status, `class ${type}/${cls} length ${len}`).toBe(BUFFER_OVERFLOW);
      expect(r.data.length).toBe(len);
      expect(r.data).toEqual(full.data.subarray(0, len));
    } else {
      expect(r.status, `class ${type}/${cls} length ${len}`).toBe(0);
    }
  }
  return full.data;
}

describe('SMB2 QUERY_INFO output buffer sizes (MS-SMB2 §3.3.5.20.1, MS-FSA §2.1.5.12)', () => {
  let srv: Smb2TestServer;
  let c: Smb2TestClient;
  let f: Smb2FileId;

  beforeAll(async () => {
    srv = await startSmb2TestServer();
    c = await srv.client();
    const created = await c.create('bufsize.txt', { disposition: CREATE, access: ALL_ACCESS });
    expect(created.status).toBe(0);
    f = created.fileId;
    expect((await c.write(f, 0, Buffer.alloc(5000, 1))).status).toBe(0);
  });
  afterAll(() => srv.close());

  it('fixed-size file classes: any buffer smaller than the structure is INFO_LENGTH_MISMATCH, never BUFFER_OVERFLOW', async () => {
    const fixed: [number, number][] = [
      [4, 40],
      [5, 24],
      [6, 8],
      [7, 4],
      [8, 4],
      [14, 8],
      [16, 4],
      [17, 4],
      [28, 16],
      [34, 56],
      [35, 8],
    ];
    for (const [cls, size] of fixed) {
      const data = await sweep(c, f, INFO_FILE, cls, size);
      expect(data.length, `class ${cls}`).toBe(size);
    }
  });

  it('variable-size file classes: below the fixed part a mismatch, then BUFFER_OVERFLOW with a truncated answer', async () => {
    const all = await sweep(c, f, INFO_FILE, 18, 104);
    // FileNameInformation at offset 96: the name with a leading backslash.
    expect(all.subarray(100).toString('utf16le')).toBe('\\bufsize.txt');
    await sweep(c, f, INFO_FILE, 9, 8);
    const streams = await sweep(c, f, INFO_FILE, 22, 32);
    expect(streams.subarray(24).toString('utf16le')).toBe('::$DATA');
  });

  it('FileCompressionInformation: uncompressed, CompressedFileSize is the size', async () => {
    const data = await sweep(c, f, INFO_FILE, 28, 16);
    expect(Number(data.readBigUInt64LE(0))).toBe(5000);
    expect(data.readUInt16LE(8)).toBe(0); // COMPRESSION_FORMAT_NONE
  });

  it('FileAlternateNameInformation: an 8.3 name is its own short name; a long name has none', async () => {
    const data = await sweep(c, f, INFO_FILE, 21, 8);
    expect(data.readUInt32LE(0)).toBe(22);
    expect(data.subarray(4).toString('utf16le')).toBe('BUFSIZE.TXT');
    const long = await c.create('a long file name.text', { disposition: CREATE, access: ALL_ACCESS });
    expect((await c.queryInfo(long.fileId, INFO_FILE, 21)).status).toBe(NOT_SUPPORTED);
    await c.close(long.fileId);
  });

  it('FileNormalizedNameInformation: the path from the share root on 3.1.1, NOT_SUPPORTED before', async () => {
    const c311 = await srv.client({ dialects: [0x0311] });
    const made = await c311.create('norm.txt', { disposition: CREATE, access: ALL_ACCESS });
    const r = await c311.queryInfo(made.fileId, INFO_FILE, 48);
    expect(r.status).toBe(0);
    expect(r.data.readUInt32LE(0)).toBe(16);
    expect(r.data.subarray(4).toString('utf16le')).toBe('norm.txt');
    expect((await c311.queryInfo(made.fileId, INFO_FILE, 48, 7)).status).toBe(INFO_LENGTH_MISMATCH);
    const c302 = await srv.client({ dialects: [0x0302] });
    const old = await c302.create('norm.txt', { disposition: 1, access: ALL_ACCESS });
    expect((await c302.queryInfo(old.fileId, INFO_FILE, 48)).status).toBe(NOT_SUPPORTED);
  });

  it('file-system classes, FileFsControlInformation and FileFsObjectIdInformation included', async () => {
    const fs: [number, number][] = [
      [1, 24],
      [3, 24],
      [4, 8],
      [5, 16],
      [6, 48],
      [7, 32],
      [8, 64],
      [11, 28],
    ];
    for (const [cls, size] of fs) await sweep(c, f, INFO_FS, cls, size);
    // MS-FSCC §2.5.2: no quotas: default threshold and limit are "no limit", flags 0.
    const control = (await c.queryInfo(f, INFO_FS, 6)).data;
    expect(control.length).toBe(48);
    expect(control.readBigUInt64LE(24)).toBe(0xffffffffffffffffn);
    expect(control.readBigUInt64LE(32)).toBe(0xffffffffffffffffn);
    expect(control.readUInt32LE(40)).toBe(0);
    const objectId = (await c.queryInfo(f, INFO_FS, 8)).data;
    expect(objectId.length).toBe(64);
    expect(objectId.subarray(0, 16).equals(Buffer.alloc(16))).toBe(false);
  });
});
