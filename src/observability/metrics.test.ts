import { describe, expect, it } from 'vitest';
import { Metrics } from './metrics.js';

describe('Prometheus metrics', () => {
  it('counts operations with latency, bytes, store errors and connections', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const op = m.opObserver('nfs3', [5]);
    op('READ', 0, 0.002);
    op('READ', 0, 0.003);
    op('WRITE', 5, 0.01);
    m.bytesObserver('nfs3')('read', 4096);
    m.bytesObserver('nfs3')('write', 100);
    let open = 3;
    m.trackConnections('nfs', () => open);
    let text = await m.registry.metrics();
    expect(text).toMatch(/dfs_operations_total\{protocol="nfs3",op="READ",status="0"\} 2/);
    expect(text).toMatch(/dfs_operation_duration_seconds_count\{protocol="nfs3",op="READ"\} 2/);
    expect(text).toMatch(/dfs_bytes_total\{protocol="nfs3",direction="read"\} 4096/);
    expect(text).toMatch(/dfs_bytes_total\{protocol="nfs3",direction="write"\} 100/);
    expect(text).toMatch(/dfs_store_errors_total\{protocol="nfs3",op="WRITE"\} 1/);
    expect(text).not.toMatch(/dfs_store_errors_total\{protocol="nfs3",op="READ"\}/);
    expect(text).toMatch(/dfs_connections\{adapter="nfs"\} 3/);
    open = 0;
    text = await m.registry.metrics();
    expect(text).toMatch(/dfs_connections\{adapter="nfs"\} 0/);
  });

  it('reports lock-manager figures per share at every scrape', async () => {
    const m = new Metrics({ defaultMetrics: false });
    const stats = {
      locks: 2,
      waiters: 1,
      opens: 0,
      leases: 0,
      inGrace: true,
      graceRemainingMs: 1500,
      unreclaimed: 3,
      deadlocks: 0,
    };
    m.trackLocks(() => [{ share: '/export', stats }]);
    let text = await m.registry.metrics();
    expect(text).toMatch(/dfs_locks_held\{share="\/export"\} 2/);
    expect(text).toMatch(/dfs_lock_waiters\{share="\/export"\} 1/);
    expect(text).toMatch(/dfs_lock_grace\{share="\/export"\} 1/);
    expect(text).toMatch(/dfs_lock_grace_remaining_seconds\{share="\/export"\} 1.5/);
    expect(text).toMatch(/dfs_locks_unreclaimed\{share="\/export"\} 3/);
    stats.inGrace = false;
    stats.locks = 0;
    text = await m.registry.metrics();
    expect(text).toMatch(/dfs_lock_grace\{share="\/export"\} 0/);
    expect(text).toMatch(/dfs_locks_held\{share="\/export"\} 0/);
  });
});
