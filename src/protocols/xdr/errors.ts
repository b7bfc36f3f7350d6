/**
 * Raised by the XDR decoder when the input is shorter than the structure it
 * claims to hold, or when a length field exceeds the caller's limit.
 * RPC turns it into GARBAGE_ARGS (RFC 5531 §9); it never escapes a connection.
 */
export class XdrError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'XdrError';
  }
}
