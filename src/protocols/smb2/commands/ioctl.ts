import { FSCTL_VALIDATE_NEGOTIATE_INFO, HEADER_SIZE, SMB2_0_IOCTL_IS_FSCTL, SUPPORTED_DIALECTS } from '../constants.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import { NtStatusError, Status } from '../status.js';
import { SmbReader, SmbWriter, sliceAt } from '../wire.js';

/**
 * MS-SMB2 §3.3.5.15: IOCTL. Only FSCTL_VALIDATE_NEGOTIATE_INFO is served
 * (SMB 3.0/3.0.2 clients require it); every other control code answers
 * NOT_SUPPORTED.
 */
export async function ioctl(req: Smb2Request): Promise<Smb2Reply> {
  const r = req.body(57);
  r.skip(2);
  const ctlCode = r.u32();
  const fileId = r.bytes(16);
  const inputOffset = r.u32();
  const inputCount = r.u32();
  r.skip(4 + 4 + 4);
  const maxOutput = r.u32();
  const flags = r.u32();
  const input = sliceAt(req.msg, inputOffset, inputCount);
  if (ctlCode !== FSCTL_VALIDATE_NEGOTIATE_INFO)
    throw new NtStatusError(Status.NOT_SUPPORTED, `ioctl 0x${ctlCode.toString(16)}`);
  if (!(flags & SMB2_0_IOCTL_IS_FSCTL)) throw new NtStatusError(Status.NOT_SUPPORTED);
  const output = validateNegotiate(req, input);
  if (maxOutput < output.length) throw new NtStatusError(Status.INVALID_PARAMETER, 'output buffer too small');
  const w = new SmbWriter(48 + output.length);
  w.u16(49).u16(0).u32(ctlCode).bytes(fileId);
  w.u32(HEADER_SIZE + 48)
    .u32(0)
    .u32(HEADER_SIZE + 48)
    .u32(output.length)
    .u32(0)
    .u32(0);
  w.bytes(output);
  return ok(w.result());
}

/**
 * MS-SMB2 §3.3.5.15.12: the client repeats what it sent in NEGOTIATE; any
 * difference means a man in the middle rewrote the negotiation, and the
 * connection is terminated. The answer (signed, like every response on a
 * signing session) repeats what the server chose.
 */
function validateNegotiate(req: Smb2Request, input: Buffer): Buffer {
  const conn = req.conn;
  const neg = conn.negotiated!;
  const r = new SmbReader(input);
  const capabilities = r.u32();
  const guid = r.bytes(16);
  const securityMode = r.u16();
  const count = r.u16();
  const dialects: number[] = [];
  for (let i = 0; i < count; i++) dialects.push(r.u16());
  const chosen = SUPPORTED_DIALECTS.find((d) => dialects.includes(d));
  if (
    capabilities !== neg.clientCapabilities ||
    !guid.equals(neg.clientGuid) ||
    securityMode !== neg.clientSecurityMode ||
    chosen !== neg.dialect
  ) {
    conn.log.warn('VALIDATE_NEGOTIATE_INFO mismatch, closing the connection');
    conn.close();
    throw new NtStatusError(Status.ACCESS_DENIED, 'validate negotiate mismatch');
  }
  const w = new SmbWriter(24);
  w.u32(neg.serverCapabilities).bytes(conn.server.serverGuid).u16(neg.serverSecurityMode).u16(neg.dialect);
  return w.result();
}
