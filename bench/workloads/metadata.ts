/**
 * Metadata: CREATE (unchecked, mode 0644) of empty files in one new
 * directory, then GETATTR of each, then REMOVE of each, as three phases.
 */
import { inFlight } from '../client/pool.js';
import type { Workload } from './types.js';

export const metadata: Workload = {
  id: 'meta',
  async run(ctx) {
    const { client, settings: s } = ctx;
    const n = s.metaFiles;
    const dirName = `meta-${ctx.tag}`;
    const dir = await client.mkdir(client.root, dirName);
    const names = Array.from({ length: n }, (_, i) => `f${i}`);
    const handles: Buffer[] = new Array<Buffer>(n);
    await ctx.measure('meta-create', async () => {
      await inFlight(n, s.depth, async (i) => {
        handles[i] = await client.create(dir, names[i]);
      });
      return n;
    });
    await ctx.measure('meta-stat', async () => {
      await inFlight(n, s.depth, (i) => client.getattr(handles[i]));
      return n;
    });
    await ctx.measure('meta-remove', async () => {
      await inFlight(n, s.depth, (i) => client.remove(dir, names[i]));
      return n;
    });
    await client.rmdir(client.root, dirName);
  },
};
