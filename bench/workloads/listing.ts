/**
 * Listing: READDIRPLUS over a directory of many empty files (made untimed),
 * cookie after cookie to EOF. A listing is a chain (each call needs the last
 * cookie), so several listings run at once to keep the server busy.
 * dircount/maxcount are in the kernel client's proportion (dircount = maxcount / 8).
 */
import { inFlight } from '../client/pool.js';
import type { Workload } from './types.js';

const MAXCOUNT = 64 * 1024;
const DIRCOUNT = MAXCOUNT / 8;

export const listing: Workload = {
  id: 'list',
  async run(ctx) {
    const { client, settings: s } = ctx;
    const n = s.listEntries;
    const dirName = `list-${ctx.tag}`;
    const dir = await client.mkdir(client.root, dirName);
    await inFlight(n, s.depth, (i) => client.create(dir, `entry-${i}`));

    const listOnce = async (): Promise<number> => {
      let cookie = 0n;
      let verf: Buffer = Buffer.alloc(8);
      let entries = 0;
      for (;;) {
        const page = await client.readdirplus(dir, cookie, verf, DIRCOUNT, MAXCOUNT);
        entries += page.entries;
        if (page.eof) break;
        if (page.entries === 0) throw new Error('READDIRPLUS: empty page before EOF');
        cookie = page.cookie;
        verf = page.verf;
      }
      // "." and ".." may or may not be listed (RFC 1813 leaves it to the server).
      if (entries < n || entries > n + 2) throw new Error(`listing returned ${entries} entries, expected ${n}`);
      return entries;
    };
    await ctx.measure('list', async () => {
      const counts = await Promise.all(Array.from({ length: s.listStreams }, listOnce));
      return counts.reduce((a, b) => a + b, 0);
    });

    await inFlight(n, s.depth, (i) => client.remove(dir, `entry-${i}`));
    await client.rmdir(client.root, dirName);
  },
};
