// nfs-ganesha (VFS FSAL) as a reference server: the same guest workload run
// against it tells a harness problem from a DittoFS problem.
// Select it with DFS_E2E_SERVER=ganesha (apt nfs-ganesha nfs-ganesha-vfs rpcbind).
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startProcess, waitForPort, type ManagedProcess } from './process.js';

export interface GaneshaExport {
  /** Pseudo path clients mount, e.g. "/export". */
  name: string;
  rootSquash: boolean;
}

export interface GaneshaServer {
  readonly port: number;
  readonly mountPort: number;
  logs(): Promise<string>;
  stop(): Promise<number>;
}

function conf(
  state: string,
  port: number,
  mountPort: number,
  exports: { name: string; dir: string; rootSquash: boolean }[],
): string {
  const blocks = exports.map(
    (e, i) => `EXPORT {
  Export_Id = ${i + 1};
  Path = ${e.dir};
  Pseudo = ${e.name};
  Access_Type = RW;
  Squash = ${e.rootSquash ? 'Root_Squash' : 'No_Root_Squash'};
  Anonymous_Uid = 65534;
  Anonymous_Gid = 65534;
  SecType = sys;
  Protocols = 3, 4;
  Transports = TCP;
  PrivilegedPort = false;
  FSAL { Name = VFS; }
}
`,
  );
  return `NFS_CORE_PARAM {
  Bind_Addr = 127.0.0.1;
  NFS_Port = ${port};
  MNT_Port = ${mountPort};
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Enable_UDP = false;
  Protocols = 3, 4;
  Mount_Path_Pseudo = true;
}
NFSV4 { Graceless = true; RecoveryBackend = fs; Allow_Numeric_Owners = true; Only_Numeric_Owners = true; }
NFS_KRB5 { Active_krb5 = false; }
LOG { Default_Log_Level = EVENT; }
# state: ${state}
${blocks.join('')}`;
}

async function portOpen(port: number): Promise<boolean> {
  try {
    await waitForPort('127.0.0.1', port, 0, () => true);
    return true;
  } catch {
    return false;
  }
}

export async function startGanesha(exports: GaneshaExport[]): Promise<GaneshaServer> {
  const state = await mkdtemp(join(tmpdir(), 'dfs-ganesha-'));
  const dirs = [];
  for (const [i, e] of exports.entries()) {
    const dir = join(state, `export${i}`);
    await mkdir(dir);
    // like a fresh DittoFS share (rootMode 1777): squashed root and users can create
    await chmod(dir, 0o1777);
    dirs.push({ ...e, dir });
  }
  const [port, mountPort] = [await freePort(), await freePort()];
  const confPath = join(state, 'ganesha.conf');
  await writeFile(confPath, conf(state, port, mountPort, dirs));

  // ganesha exits when it cannot register NFSv3 with a portmapper on 111.
  let rpcbind: ManagedProcess | undefined;
  if (!(await portOpen(111))) {
    await mkdir('/run/rpcbind', { recursive: true });
    rpcbind = startProcess('rpcbind', ['-f', '-w']);
    await waitForPort('127.0.0.1', 111, 5000, () => !rpcbind!.exited());
  }
  const logPath = join(state, 'ganesha.log');
  const g = startProcess('ganesha.nfsd', ['-F', '-f', confPath, '-L', logPath, '-p', join(state, 'ganesha.pid')]);
  const logs = async () => `${g.log.text()}${await readFile(logPath, 'utf8').catch(() => '')}`;
  const stop = async () => {
    const code = await g.stop('SIGTERM', 5000);
    await rpcbind?.stop('SIGTERM', 2000);
    await rm(state, { recursive: true, force: true });
    return code;
  };
  try {
    await waitForPort('127.0.0.1', port, 20_000, () => !g.exited());
  } catch (e) {
    const text = await logs();
    await stop();
    throw new Error(`ganesha did not start: ${(e as Error).message}\n${text}`);
  }
  return { port, mountPort, logs, stop };
}
