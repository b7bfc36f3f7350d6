// The NFS server an e2e suite runs its client against: DittoFS (default) or,
// with DFS_E2E_SERVER=ganesha, nfs-ganesha as a reference to tell harness
// faults from server faults. Logs are saved next to the guest logs.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startGanesha } from './ganesha.js';
import { startDfs } from './server.js';
import { GUEST_LOG_DIR } from './vm/harness.js';

export interface TestShare {
  name: string;
  rootSquash: boolean;
  /** Block store of the DittoFS share (ganesha always uses a local directory). */
  blocks: 'memory' | 'fs';
}

export interface ServerUnderTest {
  readonly kind: 'dfs' | 'ganesha';
  readonly port: number;
  /** MOUNT's port: the same as `port` for DittoFS. */
  readonly mountPort: number;
  logs(): Promise<string>;
  /** Stops the server, saves its log as `<logName>.server.log`; resolves to its exit code. */
  stop(): Promise<number>;
}

export const SERVER_KIND: 'dfs' | 'ganesha' = process.env.DFS_E2E_SERVER === 'ganesha' ? 'ganesha' : 'dfs';

export async function startServerUnderTest(shares: TestShare[], logName: string): Promise<ServerUnderTest> {
  await mkdir(GUEST_LOG_DIR, { recursive: true });
  const save = (text: string) => writeFile(join(GUEST_LOG_DIR, `${logName}.server.log`), text);
  if (SERVER_KIND === 'ganesha') {
    const g = await startGanesha(shares.map((s) => ({ name: s.name, rootSquash: s.rootSquash })));
    return {
      kind: 'ganesha',
      port: g.port,
      mountPort: g.mountPort,
      logs: g.logs,
      async stop() {
        const text = await g.logs();
        const code = await g.stop();
        await save(text);
        return code;
      },
    };
  }
  const dfs = await startDfs({
    config: {
      shares: shares.map((s) => ({
        name: s.name,
        metadata: { type: 'memory' },
        blocks: { type: s.blocks },
        rootSquash: s.rootSquash,
      })),
    },
  });
  return {
    kind: 'dfs',
    port: dfs.port,
    mountPort: dfs.port,
    logs: async () => dfs.logs(),
    async stop() {
      const code = await dfs.stop();
      await save(dfs.logs());
      return code;
    },
  };
}

/** The last `n` lines of a server log, for failure messages. */
export function tail(text: string, n = 40): string {
  const lines = text.trimEnd().split('\n');
  return lines.slice(-n).join('\n');
}
