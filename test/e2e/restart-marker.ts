// The host's signal to a guest blocked on a hard mount across a server
// restart: the guest polls for /restarted-<phase> in the share, and the host
// creates it through its own NFS client once the new server is up.
import { RpcClient } from '../../src/protocols/rpc/client.js';
import { MountTestClient, Nfs3TestClient } from '../protocol/helpers/nfs3-client.js';

export async function markRestarted(port: number, share: string, phase: string): Promise<void> {
  const rpc = await RpcClient.connect('127.0.0.1', port);
  try {
    const m = await new MountTestClient(rpc).mnt(share);
    if (m.status !== 0 || !m.fh) throw new Error(`MNT ${share}: ${m.status}`);
    const c = await new Nfs3TestClient(rpc).create(m.fh, `restarted-${phase}`, { mode: 'unchecked' });
    if (c.status !== 0) throw new Error(`CREATE marker: ${c.status}`);
  } finally {
    await rpc.close();
  }
}
