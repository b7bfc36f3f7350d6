/**
 * nfs-ganesha (Debian's 4.3, VFS FSAL) as the reference server: one export
 * of a fresh directory on the same filesystem as DittoFS's data, private
 * NFS and MOUNT ports, NFSv3 only, no NLM, no grace period.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, startProcess, waitForPort, type ManagedProcess } from '../../test/e2e/process.js';
import type { BenchServer } from './types.js';

export const GANESHA_EXPORT = '/bench';

/**
 * The configuration: ganesha's defaults everywhere except what running here
 * needs (ports, no NLM/RQUOTA/UDP, unprivileged client ports, the pseudo path
 * as the MOUNT path, no grace period) — no tuning in either direction.
 */
export function ganeshaConfig(opts: { port: number; mountPort: number; exportDir: string }): string {
  return `# written by bench/servers/ganesha.ts
NFS_CORE_PARAM {
  Bind_Addr = 127.0.0.1;
  NFS_Port = ${opts.port};
  MNT_Port = ${opts.mountPort};
  Protocols = 3;
  Enable_NLM = false;
  Enable_RQUOTA = false;
  Enable_UDP = false;
  Mount_Path_Pseudo = true;
}
NFSV4 { Graceless = true; RecoveryBackend = fs; }
NFS_KRB5 { Active_krb5 = false; }
LOG { Default_Log_Level = EVENT; }
EXPORT {
  Export_Id = 1;
  Path = ${opts.exportDir};
  Pseudo = ${GANESHA_EXPORT};
  Access_Type = RW;
  Squash = No_Root_Squash;
  SecType = sys;
  Protocols = 3;
  Transports = TCP;
  PrivilegedPort = false;
  FSAL { Name = VFS; }
}
`;
}

function portOpen(port: number): Promise<boolean> {
  return waitForPort('127.0.0.1', port, 0, () => true).then(
    () => true,
    () => false,
  );
}

/**
 * ganesha registers NFSv3 and MOUNT with the portmapper on port 111 and exits
 * when there is none. Uses a running rpcbind, or starts one in the foreground
 * (then stopped by its pid in `stop`).
 */
async function ensureRpcbind(): Promise<ManagedProcess | undefined> {
  if (await portOpen(111)) return undefined;
  await mkdir('/run/rpcbind', { recursive: true });
  const rpcbind = startProcess('rpcbind', ['-f', '-w']);
  await waitForPort('127.0.0.1', 111, 5000, () => !rpcbind.exited());
  return rpcbind;
}

export async function startGanesha(opts: { baseDir: string }): Promise<BenchServer> {
  const dir = await mkdtemp(join(opts.baseDir, 'ganesha-'));
  const exportDir = join(dir, 'export');
  await mkdir(exportDir);
  await chmod(exportDir, 0o1777);
  const [port, mountPort] = [await freePort(), await freePort()];
  const confPath = join(dir, 'ganesha.conf');
  await writeFile(confPath, ganeshaConfig({ port, mountPort, exportDir }));
  const rpcbind = await ensureRpcbind();
  const logPath = join(dir, 'ganesha.log');
  const g = startProcess('ganesha.nfsd', ['-F', '-f', confPath, '-L', logPath, '-p', join(dir, 'ganesha.pid')]);
  const logs = async () => `${g.log.text()}${await readFile(logPath, 'utf8').catch(() => '')}`;
  const stop = async () => {
    await g.stop('SIGTERM', 10_000);
    await rpcbind?.stop('SIGTERM', 2000);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort('127.0.0.1', port, 30_000, () => !g.exited());
    await waitForPort('127.0.0.1', mountPort, 10_000, () => !g.exited());
  } catch (e) {
    const text = await logs();
    await stop();
    throw new Error(`ganesha did not start: ${(e as Error).message}\n${text}`);
  }
  return {
    label: 'ganesha',
    host: '127.0.0.1',
    port,
    mountPort,
    exportPath: GANESHA_EXPORT,
    pid: g.pid,
    dataDir: exportDir,
    logs,
    stop,
  };
}
