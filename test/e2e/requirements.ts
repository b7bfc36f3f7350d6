// What the e2e suites need from the machine, and what happens when it is
// missing: with DFS_REQUIRE_E2E=1 (CI) the suite fails loudly with the list;
// otherwise it is skipped with the reason in its name.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'vitest';

/** Absolute path of an executable on PATH (plus the sbin dirs), or undefined. */
export function which(cmd: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (!d) continue;
    const p = join(d, cmd);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** Newest kernel version with both /boot/vmlinuz-V and /lib/modules/V. */
export function installedKernel(): string | undefined {
  let versions: string[];
  try {
    versions = readdirSync('/lib/modules');
  } catch {
    return undefined;
  }
  const usable = versions.filter((v) => existsSync(`/boot/vmlinuz-${v}`));
  usable.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  return usable.at(-1);
}

const STATIC_LIBC = ['/usr/lib/x86_64-linux-gnu/libc.a', '/usr/lib/libc.a', '/usr/lib64/libc.a'];

/** Missing pieces for booting the kernel-client guest (empty = ready). */
export function missingForGuest(): string[] {
  const missing: string[] = [];
  const cmds: [string, string][] = [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['cpio', 'cpio'],
    ['depmod', 'kmod'],
    ['modprobe', 'kmod'],
    ['xz', 'xz-utils'],
    ['gzip', 'gzip'],
    ['gcc', 'gcc'],
    ['timeout', 'coreutils'],
  ];
  for (const [cmd, pkg] of cmds) if (!which(cmd)) missing.push(`${cmd} (apt package ${pkg})`);
  if (!existsSync('/bin/busybox')) missing.push('/bin/busybox (apt package busybox-static)');
  if (!STATIC_LIBC.some((p) => existsSync(p))) missing.push('static libc for gcc -static (apt package libc6-dev)');
  if (!installedKernel()) missing.push('a kernel in /boot with its /lib/modules (apt package linux-image-amd64)');
  return missing;
}

/** Missing libnfs command-line tools (empty = ready). */
export function missingForLibnfs(): string[] {
  return ['nfs-cp', 'nfs-ls', 'nfs-cat'].filter((c) => !which(c)).map((c) => `${c} (apt package libnfs-utils)`);
}

export const E2E_REQUIRED = process.env.DFS_REQUIRE_E2E === '1';

/**
 * describe() that runs `body` only when nothing is missing. Missing tools
 * fail the suite under DFS_REQUIRE_E2E=1 and skip it (with the reason in
 * its name) otherwise. `scripts/ensure-test-deps.sh` installs everything.
 */
export function describeE2e(name: string, missing: string[], body: () => void): void {
  if (missing.length === 0) {
    describe(name, body);
    return;
  }
  const reason = `missing ${missing.join(', ')}; run scripts/ensure-test-deps.sh as root`;
  if (E2E_REQUIRED) {
    describe(name, () => {
      it('has the tools it needs (DFS_REQUIRE_E2E=1)', () => {
        throw new Error(reason);
      });
    });
    return;
  }
  console.warn(`[e2e] skipping "${name}": ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, body);
}

/** Missing Samba client tools (empty = ready). */
export function missingForSmbclient(): string[] {
  return which('smbclient') ? [] : ['smbclient (apt package smbclient)'];
}
