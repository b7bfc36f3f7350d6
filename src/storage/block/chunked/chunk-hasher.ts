import { createHash } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

let zeros = Buffer.alloc(0);

/** A chunk's name: its SHA-256, or undefined when it is all zeros (stored as a hole). */
export function chunkHash(data: Buffer): string | undefined {
  if (zeros.length < data.length) zeros = Buffer.alloc(data.length);
  // Buffer.equals is a memcmp: far cheaper than a byte loop in JavaScript.
  if (data.equals(zeros.subarray(0, data.length))) return undefined;
  return sha256(data);
}

/**
 * {@link chunkHash} of a flush batch, giving the event loop a turn after
 * every `sliceBytes` hashed, so that a 64 MiB flush (~120 ms of SHA-256)
 * holds up requests for a few milliseconds at a time instead of all at once.
 *
 * Not a worker thread: measured with bench/block-stores.ts on the 2-core
 * machine (docs/block-storage.md "Figures"), handing batches to a worker cost
 * write throughput (the copy to the worker, and the worker competing for the
 * same two cores with the server's I/O) and gained nothing the slicing does
 * not give.
 */
export async function hashBatch(chunks: Buffer[], sliceBytes = 4 * 1024 * 1024): Promise<(string | undefined)[]> {
  const out: (string | undefined)[] = [];
  let since = 0;
  for (const c of chunks) {
    out.push(chunkHash(c));
    since += c.length;
    if (since >= sliceBytes && out.length < chunks.length) {
      since = 0;
      await nextTurn();
    }
  }
  return out;
}
