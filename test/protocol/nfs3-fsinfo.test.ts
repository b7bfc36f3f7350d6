import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/server.js';

const OK = 0;

describe('NULL, FSSTAT, FSINFO and PATHCONF', () => {
  let srv: TestServer;
  let root: Buffer;

  beforeAll(async () => {
    srv = await startTestServer({ nfs: { maxIo: 256 * 1024 } });
    root = await srv.rootOf('/export');
  });
  afterAll(() => srv.close());

  it('answers NULL', async () => {
    await expect(srv.nfs.null()).resolves.toBeUndefined();
  });

  it('FSSTAT reports the VFS statfs figures', async () => {
    const { fh } = await srv.nfs.create(root, 'sized');
    await srv.nfs.write(fh!, 0, Buffer.alloc(5000, 7));
    const res = await srv.nfs.fsstat(root);
    const s = await srv.shares.byName('/export')!.vfs.statfs();
    expect(res).toMatchObject({
      status: OK,
      tbytes: s.totalBytes,
      fbytes: s.freeBytes,
      abytes: s.availBytes,
      tfiles: s.totalFiles,
      ffiles: s.freeFiles,
      afiles: s.availFiles,
      invarsec: 0,
    });
    expect(res.attr?.type).toBe(2);
  });

  it('FSINFO advertises maxIo, 1 ns time granularity and LINK|SYMLINK|HOMOGENEOUS|CANSETTIME', async () => {
    const res = await srv.nfs.fsinfo(root);
    expect(res).toMatchObject({
      status: OK,
      rtmax: 256 * 1024,
      wtmax: 256 * 1024,
      rtpref: 256 * 1024,
      wtpref: 256 * 1024,
      maxfilesize: BigInt(Number.MAX_SAFE_INTEGER),
      timeDelta: { sec: 0, nsec: 1 },
      properties: 0x1 | 0x2 | 0x8 | 0x10,
    });
    expect(res.dtpref).toBeGreaterThan(0);
  });

  it('PATHCONF: name_max 255, no truncation, chown restricted, case sensitive and preserving', async () => {
    const res = await srv.nfs.pathconf(root);
    expect(res).toMatchObject({
      status: OK,
      nameMax: 255,
      noTrunc: true,
      chownRestricted: true,
      caseInsensitive: false,
      casePreserving: true,
    });
    expect(res.linkmax).toBeGreaterThan(1);
  });

  it('READ clips count to rtmax', async () => {
    const { fh } = await srv.nfs.create(root, 'large');
    await srv.nfs.write(fh!, 0, Buffer.alloc(256 * 1024, 1));
    await srv.nfs.write(fh!, 256 * 1024, Buffer.alloc(1000, 2));
    const res = await srv.nfs.read(fh!, 0, 1024 * 1024);
    expect(res.count).toBe(256 * 1024);
    expect(res.eof).toBe(false);
  });
});
