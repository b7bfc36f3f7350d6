// Samba's smbclient on the host against the real `dfs start` with the SMB
// adapter on: a control-plane user with a password logs in over NTLMv2 and
// puts, gets, lists, makes a directory, renames and removes files, per
// dialect (2.0.2 to 3.1.1), with signing required by the client, and
// encrypted (3.0 AES-128-CCM, 3.1.1 AES-128-GCM), checking content by SHA-256.
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from './process.js';
import { describeE2e, missingForSmbclient } from './requirements.js';
import { startDfs, type DfsServer } from './server.js';
import { loginAsAdmin, runDfsctl } from './dfsctl.js';

const BOOTSTRAP_PASSWORD = 'e2e-bootstrap-pw';
const USER = 'alice';
const PASSWORD = 'alice-smb-pw';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; stdin?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: 60_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
    child.stdin?.end(opts.stdin ?? '');
  });
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describeE2e('smbclient (Samba) against dfs with SMB enabled', missingForSmbclient(), () => {
  let server: DfsServer | undefined;
  let smbPort: number;
  let apiPort: number;
  let work: string;
  const payload = randomBytes(3 * 1024 * 1024 + 321);

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'dfs-smbclient-'));
    await writeFile(join(work, 'payload.bin'), payload);
    apiPort = await freePort();
    smbPort = await freePort();
    server = await startDfs({
      config: {
        api: { port: apiPort },
        smb: { enabled: true, port: smbPort },
        shares: [{ name: '/export', metadata: 'memory', blocks: 'memory' }],
      },
      env: { DITTOFS_ADMIN_INITIAL_PASSWORD: BOOTSTRAP_PASSWORD },
    });
    await loginAsAdmin(apiPort, work, BOOTSTRAP_PASSWORD);
    await runDfsctl(apiPort, work, ['user', 'create', USER, '--uid', '1000', '--password-stdin'], `${PASSWORD}\n`);
  });

  afterAll(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function smbclient(dialect: string, commands: string, extra: string[] = []): Promise<Run> {
    const r = await run(
      'smbclient',
      [
        '//127.0.0.1/export',
        '-p',
        String(smbPort),
        '-U',
        `${USER}%${PASSWORD}`,
        '-m',
        dialect,
        `--option=client min protocol=${dialect}`,
        ...extra,
        '-c',
        commands,
      ],
      { cwd: work },
    );
    return r;
  }

  function explain(r: Run): string {
    return `smbclient exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nserver log (tail):\n${server?.logs().slice(-4000)}`;
  }

  const cases: { dialect: string; signing?: 'required'; encrypt?: true }[] = [
    { dialect: 'SMB2_02' },
    { dialect: 'SMB2_10' },
    { dialect: 'SMB2_10', signing: 'required' },
    { dialect: 'SMB3_00', signing: 'required' },
    { dialect: 'SMB3_11' },
    { dialect: 'SMB3_11', signing: 'required' },
    { dialect: 'SMB3_00', encrypt: true },
    { dialect: 'SMB3_11', encrypt: true },
  ];
  for (const { dialect, signing, encrypt } of cases) {
    const label = `${dialect}${signing ? ' with client signing=required' : ''}${encrypt ? ' encrypted' : ''}`;
    it(`${label}: put, ls, mkdir, rename, get (checksums), rm`, async () => {
      const dir = `d-${dialect}-${signing ?? 'auto'}${encrypt ? '-enc' : ''}`;
      const extra = [
        ...(signing ? [`--option=client signing=${signing}`] : []),
        ...(encrypt ? ['--option=client smb encrypt=required'] : []),
      ];
      const r = await smbclient(
        dialect,
        [
          `mkdir ${dir}`,
          `put payload.bin ${dir}\\up.bin`,
          `rename ${dir}\\up.bin ${dir}\\renamed.bin`,
          `ls ${dir}\\*`,
          `get ${dir}\\renamed.bin back-${dir}.bin`,
          `put payload.bin ${dir}\\gone.bin`,
          `rm ${dir}\\gone.bin`,
          `ls ${dir}\\*`,
        ].join('; '),
        extra,
      );
      expect(r.code, explain(r)).toBe(0);
      expect(r.stdout, explain(r)).not.toMatch(/NT_STATUS_/);
      expect(r.stdout).toMatch(/renamed\.bin\s+A\s+3146049/);
      const back = await readFile(join(work, `back-${dir}.bin`));
      expect(sha(back)).toBe(sha(payload));
      const after = await smbclient(dialect, `ls ${dir}\\*`, extra);
      expect(after.stdout, explain(after)).not.toMatch(/gone\.bin/);
      expect(after.stdout).not.toMatch(/up\.bin/);
    });
  }

  it('/metrics counts SMB2 operations and bytes', async () => {
    const metrics = await (await fetch(`http://127.0.0.1:${apiPort}/metrics`)).text();
    expect(metrics).toMatch(/dfs_operations_total\{protocol="smb2",op="write",status="0"\} [1-9]/);
    expect(metrics).toMatch(/dfs_bytes_total\{protocol="smb2",direction="read"\} [1-9]/);
  });

  it('a wrong password is refused (NT_STATUS_LOGON_FAILURE)', async () => {
    const r = await run('smbclient', [
      '//127.0.0.1/export',
      '-p',
      String(smbPort),
      '-U',
      `${USER}%nope`,
      '-m',
      'SMB3',
      '-c',
      'ls',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/NT_STATUS_LOGON_FAILURE/);
  });
});
