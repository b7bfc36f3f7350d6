import { describe, expect, it } from 'vitest';
import type { BlockStore } from '../../storage/block/store.js';
import { ALICE, makeVfs, type Fixture } from '../vfs/vfs-fixture.js';
import { ContentReclaim, reclaimOrphanedContent } from './reclaim.js';

async function contentIds(blocks: BlockStore): Promise<string[]> {
  const ids: string[] = [];
  for await (const id of blocks.listContent!()) ids.push(id);
  return ids.sort();
}

/** A file made through the VFS with `data` written stably; returns its content id. */
async function file(f: Fixture, name: string, data: string): Promise<string> {
  const { obj } = await f.vfs.create(ALICE, f.vfs.root(), name, { kind: 'guarded', set: {} });
  await f.vfs.write(ALICE, obj.id, 0, Buffer.from(data), 'file_sync');
  return obj.contentId!;
}

/**
 * The fixture's block store, with a listing that stops after its first id
 * until `resume()`: lets a test run requests while the reclaim is listing.
 */
function pausingListing(blocks: BlockStore): { store: BlockStore; listing: Promise<void>; resume: () => void } {
  let resume!: () => void;
  const resumed = new Promise<void>((r) => (resume = r));
  let started!: () => void;
  const listing = new Promise<void>((r) => (started = r));
  const store = Object.create(blocks) as BlockStore;
  store.listContent = async function* () {
    const seen = new Set<string>();
    for await (const id of blocks.listContent!()) {
      seen.add(id);
      yield id;
      if (seen.size === 1) {
        started();
        await resumed;
      }
    }
    // The contract allows listing content written during the iteration: do, so that it is tested.
    for await (const id of blocks.listContent!()) if (!seen.has(id)) yield id;
  };
  return { store, listing, resume };
}

describe('reclaim of unreferenced content at start', () => {
  it('deletes content no inode references and keeps every referenced one', async () => {
    const f = await makeVfs();
    const a = await file(f, 'a', 'alpha');
    const b = await file(f, 'b', 'beta');
    // What a crash between an unlink's commit and its content delete leaves behind.
    await f.blocks.write('3-999-dead', 0, Buffer.from('orphan'));
    await f.blocks.write('3-998-beef', 0, Buffer.from('orphan too'));
    const r = await reclaimOrphanedContent({ meta: f.meta, blocks: f.blocks, batch: 1 });
    expect(r).toMatchObject({ listed: 4, reclaimed: 2 });
    expect(r.skipped).toBeUndefined();
    expect(await contentIds(f.blocks)).toEqual([a, b].sort());
    expect((await f.vfs.read(ALICE, (await f.vfs.lookup(ALICE, f.vfs.root(), 'b')).id, 0, 4)).data.toString()).toBe(
      'beta',
    );
  });

  it('never deletes content of a file created and written while it lists', async () => {
    const f = await makeVfs();
    await file(f, 'old', 'kept');
    await f.blocks.write('3-999-dead', 0, Buffer.from('orphan'));
    const p = pausingListing(f.blocks);
    const run = reclaimOrphanedContent({ meta: f.meta, blocks: p.store });
    await p.listing;
    // Created and written while the listing is under way (and then listed too).
    const fresh = await file(f, 'fresh', 'acknowledged');
    p.resume();
    const r = await run;
    expect(r.reclaimed).toBe(1);
    expect(await contentIds(f.blocks)).toContain(fresh);
    expect(await contentIds(f.blocks)).not.toContain('3-999-dead');
    const id = (await f.vfs.lookup(ALICE, f.vfs.root(), 'fresh')).id;
    expect((await f.vfs.read(ALICE, id, 0, 12)).data.toString()).toBe('acknowledged');
  });

  it('deletes nothing when a regular file has no content id (its content could not be told from an orphan)', async () => {
    const f = await makeVfs();
    const { obj } = await f.vfs.create(ALICE, f.vfs.root(), 'legacy', { kind: 'guarded', set: {} });
    await f.meta.update(async (tx) => {
      const { contentId: _dropped, ...rest } = (await tx.getInode(obj.id))!;
      await tx.putInode(rest);
    });
    await f.blocks.write('3-999-dead', 0, Buffer.from('orphan'));
    const r = await reclaimOrphanedContent({ meta: f.meta, blocks: f.blocks });
    expect(r.reclaimed).toBe(0);
    expect(r.skipped).toMatch(/no content id/);
    expect(await contentIds(f.blocks)).toEqual(['3-999-dead']);
  });

  it('stops without deleting once stopped, and reports the run when it completes', async () => {
    const f = await makeVfs();
    for (let i = 0; i < 5; i++) await f.blocks.write(`3-90${i}-dead`, 0, Buffer.from('x'));
    const p = pausingListing(f.blocks);
    const stopping = new ContentReclaim({ meta: f.meta, blocks: p.store });
    await p.listing;
    const stopped = stopping.stop();
    p.resume();
    await stopped;
    expect((await stopping.done)?.reclaimed ?? 0).toBe(0);
    expect(await contentIds(f.blocks)).toHaveLength(5);

    const seen: number[] = [];
    const full = new ContentReclaim({ meta: f.meta, blocks: f.blocks, onDone: (r) => seen.push(r.reclaimed) });
    expect(await full.done).toMatchObject({ reclaimed: 5 });
    expect(seen).toEqual([5]);
    expect(await contentIds(f.blocks)).toEqual([]);
  });
});
