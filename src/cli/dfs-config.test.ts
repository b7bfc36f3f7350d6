// `dfs init` and `dfs config validate` as an operator runs them.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dfsCommand, REPO_ROOT } from '../../test/e2e/server.js';

function dfs(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return dfsCommand().then(
    (cmd) =>
      new Promise((done) => {
        execFile(
          process.execPath,
          [...cmd, ...args],
          { cwd: REPO_ROOT, env: { ...process.env, ...env } },
          (err, stdout, stderr) => done({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      }),
  );
}

describe('dfs init and dfs config validate', { timeout: 60_000 }, () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dfs-init-'));
  });
  afterAll(async () => rm(dir, { recursive: true, force: true }));

  it('init writes a file that validates, and refuses to overwrite it', async () => {
    const file = join(dir, 'dittofs.yaml');
    expect((await dfs(['init', file])).code).toBe(0);
    const ok = await dfs(['config', 'validate', file]);
    expect(ok.stdout).toMatch(
      /valid \(1 share\(s\), NFS port 12049, API 127\.0\.0\.1:12080, control-plane database sqlite \S+controlplane\.db\)/,
    );
    const again = await dfs(['init', file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; use --force/);
  });

  it('validate shows a PostgreSQL control-plane database without the password of its URL', async () => {
    const file = join(dir, 'pg.yaml');
    await writeFile(file, 'database:\n  type: postgres\n  url: postgresql://dfs:s3cr3t-pw@db.example:5433/cp\n');
    const ok = await dfs(['config', 'validate', file]);
    expect(ok.stdout).toMatch(/control-plane database postgres db\.example:5433\/cp schema dittofs_cp\)/);
    expect(ok.stdout).not.toContain('s3cr3t-pw');
  });

  it('validate names the wrong key, in the file or in a DITTOFS_* variable', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(file, 'shares:\n  - name: /a\n    rootSqush: true\n');
    const bad = await dfs(['config', 'validate', file]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/invalid: shares\[0\]\.rootSqush: unknown key/);
    const env = await dfs(['config', 'validate', join(dir, 'dittofs.yaml')], { DITTOFS_LOG_LEVEL: 'loud' });
    expect(env.stderr).toMatch(/logLevel \(from DITTOFS_LOG_LEVEL\): must be one of/);
  });
});
