/**
 * Small files: each file is CREATE + one WRITE of 4 KiB with FILE_SYNC (what
 * the kernel client sends when a file's dirty data fits in one WRITE at
 * close), then each is read back with LOOKUP + READ.
 */
import { randomFillSync } from 'node:crypto';
import { StableHow3 } from '../../src/protocols/nfs3/constants.js';
import { inFlight } from '../client/pool.js';
import type { Workload } from './types.js';

export const smallFiles: Workload = {
  id: 'small',
  async run(ctx) {
    const { client, settings: s } = ctx;
    const n = s.smallFiles;
    const size = s.smallKiB * 1024;
    const data = randomFillSync(Buffer.allocUnsafe(size));
    const dirName = `small-${ctx.tag}`;
    const dir = await client.mkdir(client.root, dirName);
    const names = Array.from({ length: n }, (_, i) => `s${i}`);
    await ctx.measure('small-write', async () => {
      await inFlight(n, s.depth, async (i) => {
        const fh = await client.create(dir, names[i]);
        await client.write(fh, 0, data, StableHow3.FILE_SYNC);
      });
      return n;
    });
    await ctx.measure('small-read', async () => {
      await inFlight(n, s.depth, async (i) => {
        const fh = await client.lookup(dir, names[i]);
        if ((await client.read(fh, 0, size)) !== size) throw new Error(`short READ of ${names[i]}`);
      });
      return n;
    });
    await inFlight(n, s.depth, (i) => client.remove(dir, names[i]));
    await client.rmdir(client.root, dirName);
  },
};
