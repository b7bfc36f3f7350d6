// CREATE name and attribute checks: a leading backslash (MS-SMB2 §3.3.5.9),
// FILE_ATTRIBUTE_READONLY with delete-on-close (MS-FSA §2.1.5.1.1,
// §2.1.5.1.2.1, §2.1.5.14.3) and TEMPORARY on directories (§2.1.5.14.2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Command } from '../../src/protocols/smb2/constants.js';
import type { Smb2TestClient } from './helpers/smb2-client.js';
import {
  DELETE,
  READ,
  READ_WRITE,
  STATUS_INVALID_PARAMETER,
  connectClient,
  create,
  createBody,
  finalOf,
  parseCreate,
  startLeaseServer,
  type CreateOptions,
  type LeaseTestServer,
} from './smb2-lease-fixture.js';

const CANNOT_DELETE = 0xc0000121;
const ACCESS_DENIED = 0xc0000022;
const OBJECT_NAME_NOT_FOUND = 0xc0000034;
const FILE_ATTRIBUTE_READONLY = 0x1;
const DELETE_ON_CLOSE = 0x1000;
const NON_DIRECTORY = 0x40;
const OPEN = 1;
const CREATE = 2;
const DISPOSITION = 13;

/** CREATE with FileAttributes (offset 28 of the request body) set. */
async function createWithAttributes(c: Smb2TestClient, name: string, attributes: number, o: CreateOptions) {
  const body = createBody(name, o);
  body.writeUInt32LE(attributes, 28);
  return parseCreate(await finalOf(c, await c.request(Command.CREATE, body)));
}

describe('SMB2 CREATE: leading backslash, read-only files, temporary directories', () => {
  let s: LeaseTestServer;
  let c: Smb2TestClient;
  beforeAll(async () => {
    s = await startLeaseServer();
    c = await connectClient(s.srv.port, 1);
  });
  afterAll(async () => {
    await s.close();
  });

  it('a name starting with a backslash is INVALID_PARAMETER; the same name without it is fine', async () => {
    expect((await create(c, '\\lead.txt', { disposition: CREATE })).status).toBe(STATUS_INVALID_PARAMETER);
    const f = await create(c, 'lead.txt', { disposition: CREATE });
    expect(f.status).toBe(0);
    await c.close(f.fileId);
  });

  it('a new read-only file cannot be delete-on-close, and nothing is created', async () => {
    const r = await createWithAttributes(c, 'ro-doc.txt', FILE_ATTRIBUTE_READONLY, {
      disposition: CREATE,
      access: READ_WRITE | DELETE,
      options: NON_DIRECTORY | DELETE_ON_CLOSE,
    });
    expect(r.status).toBe(CANNOT_DELETE);
    expect((await create(c, 'ro-doc.txt', { disposition: OPEN, access: READ })).status).toBe(OBJECT_NAME_NOT_FOUND);
  });

  it('a file created read-only reports READONLY, refuses delete-on-close and the delete disposition, and writers', async () => {
    const made = await createWithAttributes(c, 'ro.txt', FILE_ATTRIBUTE_READONLY, {
      disposition: CREATE,
      access: READ_WRITE | DELETE,
      options: NON_DIRECTORY,
    });
    expect(made.status).toBe(0);
    // CREATE response FileAttributes (offset 56 of the body).
    expect(made.body.readUInt32LE(56) & FILE_ATTRIBUTE_READONLY).toBe(FILE_ATTRIBUTE_READONLY);
    await c.close(made.fileId);

    const doc = await create(c, 'ro.txt', { disposition: OPEN, access: READ | DELETE, options: DELETE_ON_CLOSE });
    expect(doc.status).toBe(CANNOT_DELETE);
    const opened = await create(c, 'ro.txt', { disposition: OPEN, access: READ | DELETE });
    expect(opened.status).toBe(0);
    expect((await c.setInfo(opened.fileId, DISPOSITION, Buffer.from([1]))).status).toBe(CANNOT_DELETE);
    await c.close(opened.fileId);
    expect((await create(c, 'ro.txt', { disposition: OPEN, access: READ_WRITE })).status).toBe(ACCESS_DENIED);
  });

  it('TEMPORARY is INVALID_PARAMETER on a new directory and in FileBasicInformation of a directory, fine on a file', async () => {
    const TEMPORARY = 0x100;
    const DIRECTORY = 0x1;
    const refused = await createWithAttributes(c, 'tmpdir', TEMPORARY, { disposition: CREATE, options: DIRECTORY });
    expect(refused.status).toBe(STATUS_INVALID_PARAMETER);
    const dir = await create(c, 'tmpdir', { disposition: CREATE, options: DIRECTORY, access: READ_WRITE });
    expect(dir.status).toBe(0);
    const basic = (attributes: number) => {
      const b = Buffer.alloc(40);
      b.writeUInt32LE(attributes, 32);
      return b;
    };
    expect((await c.setInfo(dir.fileId, 4, basic(TEMPORARY))).status).toBe(STATUS_INVALID_PARAMETER);
    expect((await c.setInfo(dir.fileId, 4, basic(0x10))).status).toBe(0);
    await c.close(dir.fileId);
    const file = await createWithAttributes(c, 'tmpfile', TEMPORARY, { disposition: CREATE, access: READ_WRITE });
    expect(file.status).toBe(0);
    expect((await c.setInfo(file.fileId, 4, basic(TEMPORARY))).status).toBe(0);
    await c.close(file.fileId);
  });

  it('an ordinary file still takes delete-on-close and the delete disposition', async () => {
    const f = await create(c, 'rw.txt', { disposition: CREATE, access: READ_WRITE | DELETE });
    expect(f.status).toBe(0);
    expect((await c.setInfo(f.fileId, DISPOSITION, Buffer.from([1]))).status).toBe(0);
    await c.close(f.fileId);
    expect((await create(c, 'rw.txt', { disposition: OPEN, access: READ })).status).toBe(OBJECT_NAME_NOT_FOUND);
  });
});
