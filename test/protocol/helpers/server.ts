/**
 * An in-process NFSv3 server for protocol tests: portmap + MOUNT + NFSv3 on
 * one RpcServer listening on 127.0.0.1 port 0, over memory stores.
 */
import { DEFAULT_SHARE_OPTIONS, type Share, type ShareOptions, type ShareRegistry } from '../../../src/core/share.js';
import { Vfs } from '../../../src/core/vfs/vfs.js';
import { createMountProgram } from '../../../src/protocols/mount/index.js';
import { createNfs3Program, type Nfs3ProgramOptions } from '../../../src/protocols/nfs3/index.js';
import { PortmapRegistry, createPortmapProgram } from '../../../src/protocols/portmap/index.js';
import { RpcClient } from '../../../src/protocols/rpc/client.js';
import { RpcServer } from '../../../src/protocols/rpc/server.js';
import { MemoryBlockStore } from '../../../src/storage/block/memory/index.js';
import { MemoryMetadataStore } from '../../../src/storage/metadata/memory/index.js';
import { MountTestClient, Nfs3TestClient, ROOT } from './nfs3-client.js';

export interface TestShareSpec {
  name: string;
  options?: Partial<ShareOptions>;
}

class TestShares implements ShareRegistry {
  readonly byIdMap = new Map<number, Share>();
  byId(id: number): Share | undefined {
    return this.byIdMap.get(id);
  }
  byName(name: string): Share | undefined {
    for (const s of this.byIdMap.values()) if (s.name === name) return s;
    return undefined;
  }
  list(): Share[] {
    return [...this.byIdMap.values()];
  }
}

export interface TestServer {
  port: number;
  shares: TestShares;
  ops: { op: string; status: number }[];
  /** A fresh RPC connection to the server. */
  connect(): Promise<RpcClient>;
  /** NFS and MOUNT clients on one shared connection, as root (rootSquash is off in the defaults here). */
  nfs: Nfs3TestClient;
  mount: MountTestClient;
  /** Root handle of a share, obtained through MNT. */
  rootOf(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

export async function startTestServer(
  opts: { shares?: TestShareSpec[]; nfs?: Partial<Nfs3ProgramOptions> } = {},
): Promise<TestServer> {
  const shares = new TestShares();
  let id = 1;
  for (const spec of opts.shares ?? [{ name: '/export' }]) {
    const options: ShareOptions = { ...DEFAULT_SHARE_OPTIONS, rootSquash: false, ...spec.options };
    const vfs = await Vfs.create({
      shareId: id,
      meta: new MemoryMetadataStore(),
      blocks: new MemoryBlockStore(),
      rootMode: 0o1777,
      readOnly: options.readOnly,
    });
    shares.byIdMap.set(id, { id, name: spec.name, options, vfs });
    id++;
  }
  const ops: { op: string; status: number }[] = [];
  const server = new RpcServer({
    programs: [
      createPortmapProgram(new PortmapRegistry()),
      createMountProgram({ shares }),
      createNfs3Program({ shares, onOp: (op, status) => ops.push({ op, status }), ...opts.nfs }),
    ],
  });
  const { port } = await server.listenTcp(0, '127.0.0.1');
  const clients: RpcClient[] = [];
  const connect = async () => {
    const c = await RpcClient.connect('127.0.0.1', port);
    clients.push(c);
    return c;
  };
  const rpc = await connect();
  const mount = new MountTestClient(rpc, ROOT);
  return {
    port,
    shares,
    ops,
    connect,
    nfs: new Nfs3TestClient(rpc, ROOT),
    mount,
    async rootOf(name) {
      const res = await mount.mnt(name);
      if (res.status !== 0 || !res.fh) throw new Error(`MNT ${name} failed: ${res.status}`);
      return res.fh;
    },
    async close() {
      for (const c of clients) await c.close();
      await server.close();
    },
  };
}
