import { randomBytes } from 'node:crypto';
import type { Smb2Connection } from '../connection.js';
import {
  CAP_ENCRYPTION,
  CAP_LARGE_MTU,
  CAP_LEASING,
  CIPHER_AES_128_CCM,
  CIPHER_PREFERENCE,
  DIALECT_300,
  DIALECT_302,
  ENCRYPTION_CAPABILITIES,
  Command,
  DIALECT_202,
  DIALECT_311,
  DIALECT_WILDCARD,
  FLAGS_SERVER_TO_REDIR,
  HASH_SHA512,
  HEADER_SIZE,
  NEGOTIATE_SIGNING_ENABLED,
  NEGOTIATE_SIGNING_REQUIRED,
  PREAUTH_INTEGRITY_CAPABILITIES,
  SIGNING_AES_CMAC,
  SIGNING_CAPABILITIES,
  SUPPORTED_DIALECTS,
} from '../constants.js';
import { nowFiletime } from '../filetime.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import { encodeHeader } from '../header.js';
import { NtStatusError, Status } from '../status.js';
import { SmbReader, SmbWriter, Smb2DecodeError } from '../wire.js';

/** MS-SMB2 §2.2.3: NEGOTIATE request. */
export async function negotiate(req: Smb2Request): Promise<Smb2Reply> {
  const { conn } = req;
  // §3.3.5.3.1: a second NEGOTIATE on a connection is a protocol violation (except after the SMB1 wildcard).
  if (conn.negotiated && conn.negotiated.dialect !== DIALECT_WILDCARD) {
    conn.close();
    throw new NtStatusError(Status.INVALID_PARAMETER, 'second NEGOTIATE');
  }
  const r = req.body(36);
  const dialectCount = r.u16();
  const securityMode = r.u16();
  r.skip(2);
  const capabilities = r.u32();
  const clientGuid = Buffer.from(r.bytes(16));
  const ctxOffset = r.u32();
  const ctxCount = r.u16();
  r.skip(2);
  if (dialectCount === 0) throw new NtStatusError(Status.INVALID_PARAMETER, 'no dialects');
  const dialects: number[] = [];
  for (let i = 0; i < dialectCount; i++) dialects.push(r.u16());
  const dialect = SUPPORTED_DIALECTS.find((d) => dialects.includes(d));
  if (dialect === undefined) throw new NtStatusError(Status.NOT_SUPPORTED, 'no common dialect');

  const contexts: Buffer[] = [];
  let cipher = 0;
  if (dialect === DIALECT_311) {
    const negotiated = negotiateContexts(req.msg, ctxOffset, ctxCount);
    contexts.push(...negotiated.contexts);
    cipher = negotiated.cipher;
  } else if ((dialect === DIALECT_300 || dialect === DIALECT_302) && capabilities & CAP_ENCRYPTION) {
    // MS-SMB2 §3.3.5.4: 3.0 and 3.0.2 encrypt with AES-128-CCM when both sides have the capability.
    cipher = CIPHER_AES_128_CCM;
  }

  return ok(
    negotiateResponse(conn, dialect, contexts, cipher, {
      clientGuid,
      clientCapabilities: capabilities,
      clientSecurityMode: securityMode,
      clientDialects: dialects,
    }),
  );
}

/**
 * MS-SMB2 §3.3.5.4: the 3.1.1 negotiate contexts we answer. PREAUTH_INTEGRITY
 * with SHA-512 is mandatory; SIGNING_CAPABILITIES picks AES-CMAC when
 * offered; ENCRYPTION_CAPABILITIES picks the first of CIPHER_PREFERENCE the
 * client offers (cipher 0 when none: the client will not encrypt).
 */
function negotiateContexts(msg: Buffer, offset: number, count: number): { contexts: Buffer[]; cipher: number } {
  if (count === 0) throw new NtStatusError(Status.INVALID_PARAMETER, '3.1.1 without negotiate contexts');
  const r = new SmbReader(msg, offset);
  let sawSha512 = false;
  let offersCmac = false;
  let sawPreauth = false;
  let offeredCiphers: number[] | undefined;
  try {
    for (let i = 0; i < count; i++) {
      if (i > 0) r.pos = (r.pos + 7) & ~7;
      const type = r.u16();
      const len = r.u16();
      r.skip(4);
      const data = new SmbReader(r.bytes(len));
      if (type === PREAUTH_INTEGRITY_CAPABILITIES) {
        // §3.3.5.4: more than one PREAUTH context is invalid.
        if (sawPreauth) throw new NtStatusError(Status.INVALID_PARAMETER, 'two preauth contexts');
        sawPreauth = true;
        const algs = data.u16();
        data.skip(2);
        for (let k = 0; k < algs; k++) if (data.u16() === HASH_SHA512) sawSha512 = true;
      } else if (type === ENCRYPTION_CAPABILITIES) {
        const n = data.u16();
        offeredCiphers = [];
        for (let k = 0; k < n; k++) offeredCiphers.push(data.u16());
      } else if (type === SIGNING_CAPABILITIES) {
        const algs = data.u16();
        for (let k = 0; k < algs; k++) if (data.u16() === SIGNING_AES_CMAC) offersCmac = true;
      }
    }
  } catch (e) {
    if (e instanceof Smb2DecodeError) throw new NtStatusError(Status.INVALID_PARAMETER, 'bad negotiate context');
    throw e;
  }
  if (!sawSha512) throw new NtStatusError(Status.INVALID_PARAMETER, 'no SHA-512 preauth integrity');
  const out: Buffer[] = [];
  const preauth = new SmbWriter(48).u16(PREAUTH_INTEGRITY_CAPABILITIES).u16(38).u32(0);
  preauth.u16(1).u16(32).u16(HASH_SHA512).bytes(randomBytes(32));
  out.push(preauth.result());
  let cipher = 0;
  if (offeredCiphers) {
    const offered = offeredCiphers;
    cipher = CIPHER_PREFERENCE.find((c) => offered.includes(c)) ?? 0;
    out.push(new SmbWriter(16).u16(ENCRYPTION_CAPABILITIES).u16(4).u32(0).u16(1).u16(cipher).result());
  }
  if (offersCmac)
    out.push(new SmbWriter(16).u16(SIGNING_CAPABILITIES).u16(4).u32(0).u16(1).u16(SIGNING_AES_CMAC).result());
  return { contexts: out, cipher };
}

/** MS-SMB2 §2.2.4: the NEGOTIATE response body; records what was negotiated on the connection. */
function negotiateResponse(
  conn: Smb2Connection,
  dialect: number,
  contexts: Buffer[],
  cipher: number,
  client: { clientGuid: Buffer; clientCapabilities: number; clientSecurityMode: number; clientDialects: number[] },
): Buffer {
  const srv = conn.server;
  const securityMode = NEGOTIATE_SIGNING_ENABLED | (srv.opts.requireSigning ? NEGOTIATE_SIGNING_REQUIRED : 0);
  const capabilities =
    (dialect === DIALECT_202 || dialect === DIALECT_WILDCARD ? 0 : CAP_LARGE_MTU) |
    (dialect !== DIALECT_311 && cipher !== 0 ? CAP_ENCRYPTION : 0) |
    // MS-SMB2 §3.3.5.4: leasing (2.1+) when shares have lock managers to hold leases (leases-grant.ts).
    (dialect !== DIALECT_202 && dialect !== DIALECT_WILDCARD && srv.opts.locks ? CAP_LEASING : 0);
  const maxSize = dialect === DIALECT_202 || dialect === DIALECT_WILDCARD ? 65536 : srv.maxIo;
  const token = srv.opts.authenticator.negotiateToken();
  const w = new SmbWriter(128 + token.length + 64);
  w.u16(65)
    .u16(securityMode)
    .u16(dialect)
    .u16(dialect === DIALECT_311 ? contexts.length : 0);
  w.bytes(srv.serverGuid).u32(capabilities).u32(maxSize).u32(maxSize).u32(maxSize);
  w.u64(nowFiletime()).u64(0);
  const secOffset = HEADER_SIZE + 64;
  w.u16(secOffset).u16(token.length);
  const ctxOffsetAt = w.pos;
  w.u32(0);
  w.bytes(token);
  if (contexts.length > 0) {
    w.pad8(-HEADER_SIZE);
    w.patchU32(ctxOffsetAt, HEADER_SIZE + w.pos);
    contexts.forEach((c, i) => {
      if (i > 0) w.pad8(-HEADER_SIZE);
      w.bytes(c);
    });
  }
  conn.negotiated = {
    dialect,
    ...client,
    serverCapabilities: capabilities,
    serverSecurityMode: securityMode,
    cipher,
  };
  return w.result();
}

const SMB1_COM_NEGOTIATE = 0x72;

/**
 * MS-SMB2 §3.3.5.3.1: an SMB1 NEGOTIATE offering "SMB 2.002" or "SMB 2.???"
 * is answered with an SMB2 NEGOTIATE response (0x0202, or the 0x02FF
 * wildcard after which the client sends a real SMB2 NEGOTIATE). Anything else
 * (an SMB1-only client): undefined, and the connection closes.
 */
export function handleSmb1Negotiate(conn: Smb2Connection, frame: Buffer): Buffer | undefined {
  try {
    const r = new SmbReader(frame, 4);
    if (r.u8() !== SMB1_COM_NEGOTIATE) return undefined;
    r.pos = 32;
    const words = r.u8();
    r.skip(words * 2);
    const byteCount = r.u16();
    const data = r.bytes(byteCount);
    const names: string[] = [];
    let i = 0;
    while (i < data.length) {
      if (data[i] !== 0x02) return undefined;
      const end = data.indexOf(0, i + 1);
      if (end < 0) return undefined;
      names.push(data.toString('latin1', i + 1, end));
      i = end + 1;
    }
    let dialect: number;
    if (names.includes('SMB 2.???')) dialect = DIALECT_WILDCARD;
    else if (names.includes('SMB 2.002')) dialect = DIALECT_202;
    else return undefined;
    const body = negotiateResponse(conn, dialect, [], 0, {
      clientGuid: Buffer.alloc(16),
      clientCapabilities: 0,
      clientSecurityMode: 0,
      clientDialects: [dialect],
    });
    const out = Buffer.alloc(HEADER_SIZE + body.length);
    encodeHeader(out, 0, {
      creditCharge: 0,
      status: Status.SUCCESS,
      command: Command.NEGOTIATE,
      credits: 1,
      flags: FLAGS_SERVER_TO_REDIR,
      nextCommand: 0,
      messageId: 0n,
      treeId: 0,
      sessionId: 0n,
    });
    body.copy(out, HEADER_SIZE);
    return out;
  } catch (e) {
    if (e instanceof Smb2DecodeError) return undefined;
    throw e;
  }
}
