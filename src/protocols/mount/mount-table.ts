import { MAX_MOUNT_RECORDS } from './constants.js';

/**
 * Which client host mounted which export, for DUMP (RFC 1813 Appendix I:
 * informational only, like knfsd's rmtab). Hosts are the peer addresses.
 * Bounded: a client cannot grow it without limit by mounting repeatedly.
 */
export class MountTable {
  private readonly byHost = new Map<string, Set<string>>();
  private records = 0;

  add(host: string, dirpath: string): void {
    let dirs = this.byHost.get(host);
    if (dirs?.has(dirpath)) return;
    if (this.records >= MAX_MOUNT_RECORDS) return;
    if (!dirs) {
      dirs = new Set();
      this.byHost.set(host, dirs);
    }
    dirs.add(dirpath);
    this.records++;
  }

  remove(host: string, dirpath: string): void {
    const dirs = this.byHost.get(host);
    if (!dirs?.delete(dirpath)) return;
    this.records--;
    if (dirs.size === 0) this.byHost.delete(host);
  }

  removeHost(host: string): void {
    const dirs = this.byHost.get(host);
    if (!dirs) return;
    this.records -= dirs.size;
    this.byHost.delete(host);
  }

  *entries(): Iterable<{ host: string; dirpath: string }> {
    for (const [host, dirs] of this.byHost) for (const dirpath of dirs) yield { host, dirpath };
  }
}
