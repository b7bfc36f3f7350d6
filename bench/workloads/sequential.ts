/**
 * Sequential write then read of one large file in 1 MiB transfers (capped by
 * both servers' wtmax/rtmax). Writes are UNSTABLE followed by one COMMIT,
 * which is what the kernel client sends for a streaming write: the COMMIT is
 * inside the timed phase, so the figure is for data on disk (local-durable).
 * The read follows at once: the file is in the page cache of either server
 * (or in DittoFS's memory store), so it measures the server, not the disk.
 */
import { randomFillSync } from 'node:crypto';
import { StableHow3 } from '../../src/protocols/nfs3/constants.js';
import { inFlight } from '../client/pool.js';
import type { Workload } from './types.js';

const MiB = 1024 * 1024;

export const sequential: Workload = {
  id: 'seq',
  async run(ctx) {
    const { client, settings: s } = ctx;
    const io = Math.min(s.ioKiB * 1024, client.wtmax, client.rtmax);
    const total = s.seqMiB * MiB;
    const n = Math.ceil(total / io);
    const data = randomFillSync(Buffer.allocUnsafe(io));
    const name = `seq-${ctx.tag}`;
    const fh = await client.create(client.root, name);
    await ctx.measure('seq-write', async () => {
      await inFlight(n, s.seqDepth, (i) =>
        client.write(fh, i * io, data.subarray(0, Math.min(io, total - i * io)), StableHow3.UNSTABLE),
      );
      await client.commit(fh);
      return total / MiB;
    });
    await ctx.measure('seq-read', async () => {
      await inFlight(n, s.seqDepth, async (i) => {
        const want = Math.min(io, total - i * io);
        const got = await client.read(fh, i * io, want);
        if (got !== want) throw new Error(`READ at ${i * io}: got ${got} of ${want} bytes`);
      });
      return total / MiB;
    });
    await client.remove(client.root, name);
  },
};
