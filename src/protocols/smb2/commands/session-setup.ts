import { preauthUpdate } from '../connection.js';
import { DIALECT_311, HEADER_SIZE, NEGOTIATE_SIGNING_REQUIRED, SESSION_FLAG_BINDING } from '../constants.js';
import { checkSignature } from '../dispatch.js';
import { ok, type Smb2Reply, type Smb2Request } from '../handler.js';
import type { Session } from '../state.js';
import { NtStatusError, Status } from '../status.js';
import { SmbWriter, sliceAt } from '../wire.js';
import { releaseOpen } from './close.js';
import { deriveSessionKeys } from '../crypto/session-keys.js';
import { NonceGenerator } from '../crypto/encryption.js';

/**
 * MS-SMB2 §3.3.5.5: SESSION_SETUP. The security blob goes to the session's
 * SecurityContext (SPNEGO/NTLM); "continue" answers MORE_PROCESSING_REQUIRED,
 * "denied" LOGON_FAILURE (and forgets the session), "done" makes the session
 * valid and derives its signing key. Guest and anonymous sessions do not
 * exist: the authenticator denies them.
 */
export async function sessionSetup(req: Smb2Request): Promise<Smb2Reply> {
  const { conn, hdr } = req;
  const r = req.body(25);
  const flags = r.u8();
  const securityMode = r.u8();
  r.skip(4 + 4);
  const secOffset = r.u16();
  const secLength = r.u16();
  const blob = sliceAt(req.msg, secOffset, secLength);
  // §3.3.5.5: binding a session to a second channel is multichannel, which is not offered.
  if (flags & SESSION_FLAG_BINDING) throw new NtStatusError(Status.REQUEST_NOT_ACCEPTED, 'session binding');

  let session: Session | undefined;
  if (hdr.sessionId === 0n) {
    const id = conn.server.newSessionId();
    session = {
      id,
      state: 'in-progress',
      signingRequired: false,
      trees: new Map(),
      nextTreeId: 1,
      preauthHash: conn.preauthHash,
    };
    conn.sessions.set(id, session);
    hdr.sessionId = id;
  } else {
    session = conn.sessions.get(hdr.sessionId);
    if (!session) throw new NtStatusError(Status.USER_SESSION_DELETED);
    if (session.state === 'valid') {
      // §3.3.5.5.2 re-authentication: the request must be signed like any other on the session.
      checkSignature(req, session.signingKey, session.signingRequired);
      session.state = 'in-progress';
      session.auth = undefined;
      session.preauthHash = conn.preauthHash;
    }
  }
  if (conn.dialect === DIALECT_311)
    session.preauthHash = preauthUpdate(session.preauthHash ?? Buffer.alloc(64), req.msg);
  session.auth ??= conn.server.opts.authenticator.newContext();

  const step = await session.auth.step(Buffer.from(blob));
  if (step.state === 'continue') return { status: Status.MORE_PROCESSING_REQUIRED, body: responseBody(0, step.output) };
  if (step.state === 'denied') {
    conn.log.info({ reason: step.reason }, 'SMB session setup denied');
    await dropSession(req, session);
    return { status: Status.LOGON_FAILURE, body: responseBody(0, step.output ?? Buffer.alloc(0)) };
  }

  const { result } = step;
  const signing = conn.server.signing;
  // §3.3.5.5.3: signing is required when the server requires it or the client asks for it.
  const wantsSigning = conn.server.opts.requireSigning || (securityMode & NEGOTIATE_SIGNING_REQUIRED) !== 0;
  session.state = 'valid';
  session.auth = undefined;
  session.user = result;
  session.signingRequired = wantsSigning;
  if (result.sessionKey.length > 0) {
    const preauth = conn.dialect === DIALECT_311 ? session.preauthHash : undefined;
    session.signingKey = signing.signingKey(conn.dialect, result.sessionKey, preauth);
    const cipher = conn.negotiated?.cipher ?? 0;
    if (cipher !== 0) {
      // MS-SMB2 §3.3.5.5.3: the encryption and decryption keys of a 3.x session.
      const keys = deriveSessionKeys(conn.dialect, result.sessionKey, preauth, cipher);
      session.encryption = {
        cipher,
        encryptionKey: keys.encryptionKey!,
        decryptionKey: keys.decryptionKey!,
        nonces: new NonceGenerator(cipher),
      };
    }
  } else if (wantsSigning) {
    // Without a session key there is nothing to sign with: a session that must sign cannot exist.
    await dropSession(req, session);
    throw new NtStatusError(Status.ACCESS_DENIED, 'signing required but no session key');
  }
  conn.log.info(
    {
      user: result.user,
      session: String(session.id),
      mechanism: result.mechanism,
      dialect: `0x${conn.dialect.toString(16)}`,
      signing: wantsSigning,
    },
    'SMB session established',
  );
  return ok(responseBody(0, step.output ?? Buffer.alloc(0)));
}

/** MS-SMB2 §2.2.6: SESSION_SETUP response body. */
function responseBody(sessionFlags: number, token: Buffer): Buffer {
  const w = new SmbWriter(8 + token.length);
  w.u16(9)
    .u16(sessionFlags)
    .u16(token.length ? HEADER_SIZE + 8 : 0)
    .u16(token.length)
    .bytes(token);
  if (token.length === 0) w.u8(0);
  return w.result();
}

async function dropSession(req: Smb2Request, session: Session): Promise<void> {
  req.conn.sessions.delete(session.id);
  for (const open of [...req.conn.opens.values()]) {
    if (open.session !== session) continue;
    req.conn.opens.delete(open.volatileId);
    await releaseOpen(open).catch(() => undefined);
  }
}

/** MS-SMB2 §3.3.5.6: LOGOFF closes the session's opens and trees. */
export async function logoff(req: Smb2Request): Promise<Smb2Reply> {
  req.body(4);
  await dropSession(req, req.session!);
  return ok(Buffer.from([4, 0, 0, 0]));
}
