/**
 * Keeps `depth` operations in flight until `total` have completed: the way a
 * busy client (or many application threads on one mount) drives a server.
 * Operation i is started exactly once, in order of i.
 */
export async function inFlight(total: number, depth: number, op: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < total) await op(next++);
  };
  await Promise.all(Array.from({ length: Math.min(depth, total) }, worker));
}

/** A small deterministic PRNG (mulberry32), so every server sees the same "random" offsets. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
