#!/usr/bin/env node
// `npm test`: builds, makes sure the real clients the end-to-end tests use
// are installed (when running as root), runs every vitest project, and ends
// with the plain line "N passed, N failed" that CI reads.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts });

const deps = join(root, 'scripts', 'ensure-test-deps.sh');
if (existsSync(deps) && process.getuid?.() === 0 && process.env.DFS_SKIP_DEPS !== '1') {
  const r = run('bash', [deps]);
  if (r.status !== 0) {
    console.error('test: installing test dependencies failed');
    process.exit(1);
  }
}

if (run('npm', ['run', '--silent', 'build']).status !== 0) {
  console.error('test: build failed');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

mkdirSync(join(root, '.test-results'), { recursive: true });
const out = join(root, '.test-results', 'vitest.json');
const extra = process.argv.slice(2);
const r = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`, ...extra]);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const res = JSON.parse(readFileSync(out, 'utf8'));
  passed = res.numPassedTests;
  failed = res.numFailedTests || (res.numFailedTestSuites ?? 0);
  skipped = res.numPendingTests + (res.numTodoTests ?? 0);
} catch {
  failed = 1;
}
if (r.status !== 0 && failed === 0) failed = 1;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || r.status !== 0 ? 1 : 0);
