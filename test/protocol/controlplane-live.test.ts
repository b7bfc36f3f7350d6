// The control plane changes what NFS clients see at once: shares created and
// removed through the REST API, share permissions enforced on MNT and on
// every NFS call, the NFS adapter stopped and started, metrics counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { startApiFixture, type ApiFixture } from '../../src/controlplane/api/test-server.js';
import { MountTestClient, Nfs3TestClient, authSys } from './helpers/nfs3-client.js';

const MNT3ERR_NOENT = 2;
const MNT3ERR_ACCES = 13;
const NFS3ERR_ROFS = 30;
const NFS3ERR_ACCES = 13;

describe('control plane → live NFS', () => {
  let f: ApiFixture;
  let rpc: RpcClient;
  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
    f.api.inject({ method, url, headers: f.admin, ...(payload ? { payload } : {}) });

  beforeAll(async () => {
    f = await startApiFixture();
    rpc = await RpcClient.connect('127.0.0.1', f.server.runtime.port);
    await call('POST', '/api/v1/stores/metadata', { name: 'm', type: 'memory' });
    await call('POST', '/api/v1/stores/block', { name: 'b', type: 'memory' });
    await call('POST', '/api/v1/users', { name: 'reader', password: 'reader-pw-1', uid: 1000, gid: 1000 });
    await call('POST', '/api/v1/users', { name: 'writer', password: 'writer-pw-1', uid: 1001, gid: 1001 });
  });
  afterAll(async () => {
    await rpc.close();
    await f.close();
  });

  const mnt = (uid: number, path: string) => new MountTestClient(rpc, authSys(uid, uid)).mnt(path);
  const nfs = (uid: number) => new Nfs3TestClient(rpc, authSys(uid, uid));

  it('a share created through the API is mountable at once and removed at once', async () => {
    expect((await mnt(1000, '/live')).status).toBe(MNT3ERR_NOENT);
    expect(
      (await call('POST', '/api/v1/shares', { name: '/live', metadataStore: 'm', blockStore: 'b', rootSquash: false }))
        .statusCode,
    ).toBe(201);
    const m = await mnt(0, '/live');
    expect(m.status).toBe(0);
    const made = await nfs(0).create(m.fh!, 'hello');
    expect(made.status).toBe(0);
    expect((await call('DELETE', '/api/v1/shares/live')).statusCode).toBe(204);
    expect((await mnt(0, '/live')).status).toBe(MNT3ERR_NOENT);
    // A handle into the removed share is stale (NFS3ERR_STALE = 70).
    expect((await nfs(0).getattr(m.fh!)).status).toBe(70);
  });

  it('share permissions: none refuses MNT, read gives ROFS on write, read-write writes; open again without rows', async () => {
    await call('POST', '/api/v1/shares', { name: '/perm', metadataStore: 'm', blockStore: 'b', rootSquash: false });
    const root = (await mnt(0, '/perm')).fh!;
    const file = (await nfs(0).create(root, 'f', { mode: 'unchecked', set: { mode: 0o666 } })).fh!;
    await call('PUT', '/api/v1/shares/perm/permissions', { kind: 'user', name: 'reader', level: 'read' });
    await call('PUT', '/api/v1/shares/perm/permissions', { kind: 'user', name: 'writer', level: 'read-write' });

    expect((await mnt(4242, '/perm')).status).toBe(MNT3ERR_ACCES);
    expect((await nfs(4242).getattr(root)).status).toBe(NFS3ERR_ACCES);

    expect((await mnt(1000, '/perm')).status).toBe(0);
    expect((await nfs(1000).read(file, 0, 10)).status).toBe(0);
    expect((await nfs(1000).write(file, 0, Buffer.from('x'))).status).toBe(NFS3ERR_ROFS);
    expect((await nfs(1000).create(root, 'g')).status).toBe(NFS3ERR_ROFS);

    expect((await nfs(1001).write(file, 0, Buffer.from('y'))).status).toBe(0);

    await call('DELETE', '/api/v1/shares/perm/permissions/user/reader');
    await call('DELETE', '/api/v1/shares/perm/permissions/user/writer');
    expect((await nfs(4242).getattr(root)).status).toBe(0);
  });

  it('changing share options applies to the next request', async () => {
    await call('POST', '/api/v1/shares', { name: '/opts', metadataStore: 'm', blockStore: 'b', rootSquash: false });
    const root = (await mnt(0, '/opts')).fh!;
    expect((await nfs(0).create(root, 'a')).status).toBe(0);
    expect((await call('PATCH', '/api/v1/shares/opts', { readOnly: true })).statusCode).toBe(200);
    expect((await nfs(0).create(root, 'b')).status).toBe(NFS3ERR_ROFS);
    expect(
      (await call('PATCH', '/api/v1/shares/opts', { allowedClients: ['10.0.0.0/8'], readOnly: false })).statusCode,
    ).toBe(200);
    expect((await mnt(0, '/opts')).status).toBe(MNT3ERR_ACCES);
    expect((await nfs(0).getattr(root)).status).toBe(NFS3ERR_ACCES);
    await call('PATCH', '/api/v1/shares/opts', { allowedClients: [] });
    expect((await nfs(0).create(root, 'c')).status).toBe(0);
  });

  it('disabling the NFS adapter stops the listener; enabling starts it again', async () => {
    const port = f.server.runtime.port;
    await call('PATCH', '/api/v1/adapters/nfs', { enabled: false });
    await expect(RpcClient.connect('127.0.0.1', port)).rejects.toThrow();
    const on = (await call('PATCH', '/api/v1/adapters/nfs', { enabled: true, port: 0 })).json();
    const c = await RpcClient.connect('127.0.0.1', on.boundPort);
    expect((await new MountTestClient(c, authSys(0, 0)).mnt('/export')).status).toBe(0);
    await c.close();
  });

  it('/metrics counts NFS operations', async () => {
    const body = (await f.api.inject({ url: '/metrics' })).body;
    expect(body).toMatch(/dfs_operations_total\{protocol="nfs3",op="WRITE",status="0"\} [1-9]/);
    expect(body).toMatch(/dfs_operation_duration_seconds_bucket\{le="[^"]+",protocol="nfs3",op="GETATTR"\}/);
    expect(body).toMatch(/dfs_bytes_total\{protocol="nfs3",direction="write"\} [1-9]/);
    expect(body).toMatch(/dfs_connections\{adapter="nfs"\} [0-9]/);
  });
});
