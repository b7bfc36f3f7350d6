/**
 * An in-process SMB2 server over memory stores for protocol tests, with a
 * two-round stand-in authenticator (the SMB layer's contract is
 * SmbAuthenticator; real NTLM is exercised by smb2-ntlm.test.ts):
 * "NEGO" → continue "CHAL", then "user:password" → done or denied.
 */
import type { AuthResult, SecurityContext, SmbAuthenticator, StepResult } from '../../src/auth/api.js';
import { DEFAULT_SHARE_OPTIONS, type Share, type ShareAuthorizer, type ShareOptions } from '../../src/core/share.js';
import { Vfs } from '../../src/core/vfs/vfs.js';
import { createSmb2Server, type Smb2Server, type Smb2ServerOptions } from '../../src/protocols/smb2/index.js';
import { MemoryBlockStore } from '../../src/storage/block/memory/index.js';
import { MemoryMetadataStore } from '../../src/storage/metadata/memory/index.js';
import { Smb2TestClient } from './helpers/smb2-client.js';

export const USERS: Record<string, { password: string; uid: number; gid: number }> = {
  alice: { password: 'secret', uid: 1000, gid: 1000 },
  bob: { password: 'hunter2', uid: 1001, gid: 1001 },
};

class StandInContext implements SecurityContext {
  private round = 0;
  async step(input: Buffer): Promise<StepResult> {
    this.round++;
    if (this.round === 1) {
      if (input.toString() !== 'NEGO') return { state: 'denied', reason: 'bad first token' };
      return { state: 'continue', output: Buffer.from('CHAL') };
    }
    const [user, password] = input.toString().split(':');
    const acct = USERS[user];
    if (!acct || acct.password !== password) return { state: 'denied', reason: 'bad password' };
    const result: AuthResult = {
      user,
      domain: 'TEST',
      uid: acct.uid,
      gid: acct.gid,
      gids: [],
      sessionKey: Buffer.alloc(16, 7),
      mechanism: 'ntlm',
    };
    return { state: 'done', result };
  }
}

export const standInAuthenticator: SmbAuthenticator = {
  negotiateToken: () => Buffer.from('HINT'),
  newContext: () => new StandInContext(),
};

export interface Smb2TestServer {
  port: number;
  server: Smb2Server;
  shares: Map<string, Share>;
  ops: { op: string; status: number }[];
  close(): Promise<void>;
  /** A connected client, negotiated (newest dialect by default), logged in and tree-connected to `share`. */
  client(opts?: { user?: string; dialects?: number[]; share?: string }): Promise<Smb2TestClient>;
}

export async function startSmb2TestServer(
  opts: {
    shares?: { name: string; options?: Partial<ShareOptions> }[];
    authorize?: ShareAuthorizer;
    server?: Partial<Smb2ServerOptions>;
  } = {},
): Promise<Smb2TestServer> {
  const shares = new Map<string, Share>();
  let id = 1;
  for (const spec of opts.shares ?? [{ name: '/export' }]) {
    const options: ShareOptions = { ...DEFAULT_SHARE_OPTIONS, ...spec.options };
    const vfs = await Vfs.create({
      shareId: id,
      meta: new MemoryMetadataStore(),
      blocks: new MemoryBlockStore(),
      rootMode: 0o1777,
      readOnly: options.readOnly,
    });
    shares.set(spec.name, { id, name: spec.name, options, vfs });
    id++;
  }
  const registry = {
    byId: (n: number) => [...shares.values()].find((s) => s.id === n),
    byName: (n: string) => shares.get(n),
    list: () => [...shares.values()],
  };
  const ops: { op: string; status: number }[] = [];
  const server = createSmb2Server({
    shares: registry,
    authenticator: standInAuthenticator,
    authorize: opts.authorize,
    onOp: (op, status) => ops.push({ op, status }),
    ...opts.server,
  });
  const port = await server.listen(0, '127.0.0.1');
  const clients: Smb2TestClient[] = [];
  return {
    port,
    server,
    shares,
    ops,
    async close() {
      for (const c of clients) await c.end().catch(() => undefined);
      await server.close();
    },
    async client(o = {}) {
      const c = await Smb2TestClient.connect(port);
      clients.push(c);
      const neg = await c.negotiate(o.dialects ?? [0x0202, 0x0210, 0x0300, 0x0302, 0x0311]);
      if (neg.status !== 0) throw new Error(`negotiate failed 0x${neg.status.toString(16)}`);
      const user = o.user ?? 'alice';
      const first = await c.sessionSetup(Buffer.from('NEGO'));
      if (first.status !== 0xc0000016) throw new Error(`session setup 1: 0x${first.status.toString(16)}`);
      const second = await c.sessionSetup(Buffer.from(`${user}:${USERS[user]?.password ?? 'x'}`));
      if (second.status !== 0) throw new Error(`session setup 2: 0x${second.status.toString(16)}`);
      const tree = await c.treeConnect(`\\\\127.0.0.1\\${o.share ?? 'export'}`);
      if (tree.status !== 0) throw new Error(`tree connect: 0x${tree.status.toString(16)}`);
      return c;
    },
  };
}
