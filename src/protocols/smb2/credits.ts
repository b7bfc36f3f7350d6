/**
 * Most credits a client may hold at once: 8192, what Windows and Samba
 * ("smb2 max credits") grant (MS-SMB2 §3.3.1.2 leaves the number to the
 * server). Memory stays bounded: requests run one at a time from the
 * connection's frame queue, and the window remembers at most this many
 * out-of-order MessageIds.
 */
export const DEFAULT_MAX_CREDITS = 8192;

/**
 * The CommandSequenceWindow of one connection (MS-SMB2 §3.3.1.1): the
 * MessageIds the client may use next. It starts as {0}; each request
 * consumes CreditCharge ids, each response grants more at the top. Ids may
 * be used out of order within the window, so consumed ids above the lowest
 * free one are remembered (at most `maxCredits` of them).
 */
export class CreditWindow {
  /** Lowest id not yet consumed. */
  private low = 0n;
  /** One past the highest id granted. */
  private high = 1n;
  private readonly usedAbove = new Set<bigint>();

  constructor(private readonly maxCredits = DEFAULT_MAX_CREDITS) {}

  /** Credits the client holds now (ids granted and not consumed). */
  get available(): number {
    return Number(this.high - this.low) - this.usedAbove.size;
  }

  /**
   * MS-SMB2 §3.3.5.2.3: consume ids [messageId, messageId + charge). False
   * when any of them is outside the window or already used: the caller
   * terminates the connection.
   */
  consume(messageId: bigint, charge: number): boolean {
    const n = BigInt(Math.max(1, charge));
    if (messageId < this.low || messageId + n > this.high) return false;
    for (let id = messageId; id < messageId + n; id++) {
      if (id !== this.low && this.usedAbove.has(id)) return false;
    }
    for (let id = messageId; id < messageId + n; id++) {
      if (id === this.low) {
        this.low++;
        while (this.usedAbove.delete(this.low)) this.low++;
      } else this.usedAbove.add(id);
    }
    return true;
  }

  /**
   * MS-SMB2 §3.3.1.2: grant up to `requested` new credits (at least 1 when the
   * client would otherwise hold none, so it can always send again), never
   * letting the client hold more than maxCredits. Returns the number granted.
   */
  grant(requested: number): number {
    const room = this.maxCredits - this.available;
    let n = Math.min(Math.max(requested, 1), Math.max(room, 0));
    if (n === 0 && this.available === 0) n = 1;
    this.high += BigInt(n);
    return n;
  }
}
