// Renames against other opens (MS-FSA §2.1.5.14.11): the directory a file
// leaves is checked as an open adding an entry without sharing delete would
// be, and a directory with open files below it cannot be renamed.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Smb2TestClient } from './helpers/smb2-client.js';
import {
  DELETE,
  READ,
  READ_WRITE,
  SHARE_ALL,
  SHARE_READ,
  STATUS_SHARING_VIOLATION,
  connectClient,
  create,
  startLeaseServer,
  type LeaseTestServer,
} from './smb2-lease-fixture.js';

const ACCESS_DENIED = 0xc0000022;
const CREATE = 2;
const OPEN = 1;
const DIRECTORY_FILE = 0x1;
const RENAME = 10;

describe('SMB2 rename and other opens', () => {
  let s: LeaseTestServer;
  let a: Smb2TestClient;
  beforeEach(async () => {
    s = await startLeaseServer();
    a = await connectClient(s.srv.port, 1);
    const d = await create(a, 'd', { disposition: CREATE, options: DIRECTORY_FILE, access: READ });
    expect(d.status).toBe(0);
    await a.close(d.fileId);
  });
  afterEach(async () => {
    await s.close();
  });

  /** Opens d\file.txt for renaming, opens the directory d as given, renames the file: the status. */
  async function renameWithDirOpen(dirAccess: number, dirShare: number): Promise<number> {
    const f = await create(a, 'd\\file.txt', { disposition: CREATE, access: READ_WRITE | DELETE, share: 0 });
    expect(f.status).toBe(0);
    const b = await connectClient(s.srv.port, 2);
    const dir = await create(b, 'd', {
      disposition: OPEN,
      options: DIRECTORY_FILE,
      access: dirAccess,
      share: dirShare,
    });
    expect(dir.status).toBe(0);
    const status = (await a.setInfo(f.fileId, RENAME, Smb2TestClient.renameInfo('d\\newname.txt'))).status;
    // Once the directory's open is gone the same rename goes through.
    await b.close(dir.fileId);
    expect((await a.setInfo(f.fileId, RENAME, Smb2TestClient.renameInfo('d\\newname.txt'))).status).toBe(0);
    return status;
  }

  it('an open of the parent directory with DELETE access refuses the rename, even sharing everything', async () => {
    expect(await renameWithDirOpen(READ | DELETE, SHARE_ALL)).toBe(STATUS_SHARING_VIOLATION);
  });

  it('an open of the parent directory sharing nothing refuses the rename, even without DELETE', async () => {
    expect(await renameWithDirOpen(READ, SHARE_READ)).toBe(STATUS_SHARING_VIOLATION);
  });

  it('an open of the parent directory without DELETE that shares everything lets the rename through', async () => {
    const f = await create(a, 'd\\file.txt', { disposition: CREATE, access: READ_WRITE | DELETE, share: 0 });
    const dir = await create(a, 'd', { disposition: OPEN, options: DIRECTORY_FILE, access: READ, share: SHARE_ALL });
    expect(dir.status).toBe(0);
    expect((await a.setInfo(f.fileId, RENAME, Smb2TestClient.renameInfo('d\\newname.txt'))).status).toBe(0);
    // The check's reservation is gone again: only the two opens remain.
    expect(s.lm.stats().opens).toBe(2);
  });

  it('a directory with an open file below it (on any connection) cannot be renamed', async () => {
    const b = await connectClient(s.srv.port, 2);
    const sub = await create(a, 'd\\sub', { disposition: CREATE, options: DIRECTORY_FILE, access: READ });
    expect(sub.status).toBe(0);
    await a.close(sub.fileId);
    const inner = await create(b, 'd\\sub\\inner.txt', { disposition: CREATE, access: READ_WRITE, share: SHARE_ALL });
    expect(inner.status).toBe(0);
    const dir = await create(a, 'd', { disposition: OPEN, options: DIRECTORY_FILE, access: READ | DELETE });
    expect(dir.status).toBe(0);
    expect((await a.setInfo(dir.fileId, RENAME, Smb2TestClient.renameInfo('e'))).status).toBe(ACCESS_DENIED);
    await b.close(inner.fileId);
    expect((await a.setInfo(dir.fileId, RENAME, Smb2TestClient.renameInfo('e'))).status).toBe(0);
  });
});
