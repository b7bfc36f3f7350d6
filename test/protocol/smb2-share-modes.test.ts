// SMB share modes (MS-SMB2 §3.3.5.9, MS-FSA 2.1.5.1.2): an open's access and
// ShareAccess are a share reservation in the share's lock manager; a
// conflicting open gets STATUS_SHARING_VIOLATION until the holder closes
// (or logs off, or disconnects).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DELETE,
  READ,
  READ_ATTRIBUTES,
  READ_WRITE,
  SHARE_ALL,
  SHARE_DELETE,
  SHARE_READ,
  SHARE_WRITE,
  STATUS_SHARING_VIOLATION,
  WRITE,
  connectClient,
  create,
  startLeaseServer,
  type LeaseTestServer,
} from './smb2-lease-fixture.js';
import { Command } from '../../src/protocols/smb2/constants.js';

describe('SMB2 share modes', () => {
  let s: LeaseTestServer;
  beforeEach(async () => {
    s = await startLeaseServer();
  });
  afterEach(async () => {
    await s.close();
  });

  it('refuses an open whose access the first open does not share, until the first closes', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    const first = await create(a, 'f.txt', { access: READ_WRITE, share: SHARE_READ });
    expect(first.status).toBe(0);
    expect(s.lm.stats().opens).toBe(1);

    expect((await create(b, 'f.txt', { access: WRITE, share: SHARE_ALL })).status).toBe(STATUS_SHARING_VIOLATION);
    // Reading is shared.
    const reader = await create(b, 'f.txt', { access: READ, share: SHARE_ALL });
    expect(reader.status).toBe(0);
    await b.close(reader.fileId);

    await a.close(first.fileId);
    expect(s.lm.stats().opens).toBe(0);
    expect((await create(b, 'f.txt', { access: WRITE, share: SHARE_ALL })).status).toBe(0);
  });

  it('refuses an open that would deny what an existing open already does', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    expect((await create(a, 'g.txt', { access: READ_WRITE, share: SHARE_ALL })).status).toBe(0);
    // b asks for read only but shares nothing: a's write access conflicts with b's deny-write.
    expect((await create(b, 'g.txt', { access: READ, share: SHARE_READ })).status).toBe(STATUS_SHARING_VIOLATION);
    expect((await create(b, 'g.txt', { access: READ, share: SHARE_READ | SHARE_WRITE })).status).toBe(0);
  });

  it('applies between opens of the same client too (share modes know no owners)', async () => {
    const a = await connectClient(s.srv.port, 1);
    expect((await create(a, 'h.txt', { access: READ, share: 0 })).status).toBe(0);
    expect((await create(a, 'h.txt', { access: READ, share: SHARE_ALL })).status).toBe(STATUS_SHARING_VIOLATION);
  });

  it('lets attribute-only opens through and records nothing for them', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    expect((await create(a, 'i.txt', { access: READ_WRITE, share: 0 })).status).toBe(0);
    const attrs = await create(b, 'i.txt', { access: READ_ATTRIBUTES, share: 0 });
    expect(attrs.status).toBe(0);
    expect(s.lm.stats().opens).toBe(1);
  });

  it('needs FILE_SHARE_DELETE for a DELETE open (rename, delete-on-close)', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    expect((await create(a, 'd.txt', { access: READ, share: SHARE_READ | SHARE_WRITE })).status).toBe(0);
    expect((await create(b, 'd.txt', { access: DELETE, share: SHARE_ALL })).status).toBe(STATUS_SHARING_VIOLATION);
    // Delete-on-close (FILE_DELETE_ON_CLOSE 0x1000) is refused the same way.
    expect((await create(b, 'd.txt', { access: DELETE | READ, share: SHARE_ALL, options: 0x1000 })).status).toBe(
      STATUS_SHARING_VIOLATION,
    );
    const c = await connectClient(s.srv.port, 3);
    expect((await create(c, 'e.txt', { access: READ, share: SHARE_ALL })).status).toBe(0);
    expect((await create(b, 'e.txt', { access: DELETE, share: SHARE_ALL | SHARE_DELETE })).status).toBe(0);
  });

  it('releases the reservations of a client that disconnects or logs off', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    expect((await create(a, 'j.txt', { access: READ_WRITE, share: 0 })).status).toBe(0);
    expect((await create(a, 'k.txt', { access: READ_WRITE, share: 0 })).status).toBe(0);
    expect(s.lm.stats().opens).toBe(2);
    expect((await b.request(Command.LOGOFF, Buffer.from([4, 0, 0, 0]))).status).toBe(0);
    expect((await a.request(Command.LOGOFF, Buffer.from([4, 0, 0, 0]))).status).toBe(0);
    expect(s.lm.stats().opens).toBe(0);

    const c = await connectClient(s.srv.port, 3);
    expect((await create(c, 'j.txt', { access: READ_WRITE, share: 0 })).status).toBe(0);
    await c.end();
    const until = Date.now() + 2000;
    while (s.lm.stats().opens > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(s.lm.stats().opens).toBe(0);
  });

  it('does not truncate a file when OVERWRITE is refused by a share conflict', async () => {
    const a = await connectClient(s.srv.port, 1);
    const b = await connectClient(s.srv.port, 2);
    const f = await create(a, 'keep.txt', { access: READ_WRITE, share: SHARE_READ });
    expect((await a.write(f.fileId, 0, Buffer.from('hello'))).status).toBe(0);
    // OVERWRITE_IF (5) with write access: refused before the truncation.
    expect((await create(b, 'keep.txt', { access: READ_WRITE, share: SHARE_ALL, disposition: 5 })).status).toBe(
      STATUS_SHARING_VIOLATION,
    );
    const r = await a.read(f.fileId, 0, 100);
    expect(r.status).toBe(0);
    expect(r.data.toString()).toBe('hello');
  });
});
