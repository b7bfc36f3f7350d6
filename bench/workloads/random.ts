/**
 * Random 4 KiB reads, then random 4 KiB writes, at 4 KiB-aligned offsets in
 * a file written beforehand (untimed). The offsets come from a seeded PRNG,
 * so both servers get the same sequence. Writes are UNSTABLE with one COMMIT
 * at the end, inside the timed phase.
 */
import { randomFillSync } from 'node:crypto';
import { StableHow3 } from '../../src/protocols/nfs3/constants.js';
import { inFlight, prng } from '../client/pool.js';
import type { Workload } from './types.js';

const MiB = 1024 * 1024;
const BLOCK = 4096;

export const random: Workload = {
  id: 'rand',
  async run(ctx) {
    const { client, settings: s } = ctx;
    const size = s.randFileMiB * MiB;
    const io = Math.min(MiB, client.wtmax);
    const fill = randomFillSync(Buffer.allocUnsafe(io));
    const name = `rand-${ctx.tag}`;
    const fh = await client.create(client.root, name);
    await inFlight(Math.ceil(size / io), s.seqDepth, (i) => client.write(fh, i * io, fill, StableHow3.UNSTABLE));
    await client.commit(fh);

    const blocks = size / BLOCK;
    const next = prng(7);
    const offsets = Array.from({ length: s.randOps }, () => Math.floor(next() * blocks) * BLOCK);
    await ctx.measure('rand-read', async () => {
      await inFlight(s.randOps, s.depth, async (i) => {
        if ((await client.read(fh, offsets[i], BLOCK)) !== BLOCK) throw new Error(`short READ at ${offsets[i]}`);
      });
      return s.randOps;
    });
    const data = randomFillSync(Buffer.allocUnsafe(BLOCK));
    await ctx.measure('rand-write', async () => {
      await inFlight(s.randOps, s.depth, (i) => client.write(fh, offsets[i], data, StableHow3.UNSTABLE));
      await client.commit(fh);
      return s.randOps;
    });
    await client.remove(client.root, name);
  },
};
