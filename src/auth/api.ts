/**
 * Contracts between the SMB adapter and the authentication mechanisms
 * (NTLM today, Kerberos later), both reached through SPNEGO (RFC 4178).
 * The SMB layer never parses a security blob: it hands each one to a
 * SecurityContext and gets back the blob to send and, at the end, who
 * the client is and the session key that signing keys derive from.
 */

/** A control-plane user as SMB authentication needs it. */
export interface SmbAccount {
  /** Control-plane user name (case as stored). */
  name: string;
  /** NT one-way function of the password (MD4 of UTF-16LE), 16 bytes (MS-NLMP §3.3.1). */
  ntHash: Buffer;
  uid: number;
  gid: number;
  /** Supplementary gids (the gids of the user's control-plane groups). */
  gids: number[];
  enabled: boolean;
}

/** Finds an account by the user name the client sent (case-insensitive, as Windows does), any domain. */
export type AccountLookup = (user: string, domain: string) => Promise<SmbAccount | undefined>;

/** Who a finished authentication established. */
export interface AuthResult {
  /** Control-plane user name. */
  user: string;
  /** Domain the client named (informational). */
  domain: string;
  uid: number;
  gid: number;
  gids: number[];
  /**
   * The session base key for SMB signing/encryption key derivation
   * (MS-SMB2 §3.3.5.5.3: "Session.SessionKey" = the first 16 bytes of the
   * GSS session key; for NTLM the ExportedSessionKey, MS-NLMP §3.1.5.1.2).
   */
  sessionKey: Buffer;
  /** Which mechanism authenticated: 'ntlm' | 'kerberos'. */
  mechanism: 'ntlm' | 'kerberos';
}

export type StepResult =
  /** More round trips: send `output` with STATUS_MORE_PROCESSING_REQUIRED. */
  | { state: 'continue'; output: Buffer }
  /** Authenticated: send `output` (SPNEGO accept-completed) if present, with STATUS_SUCCESS. */
  | { state: 'done'; output?: Buffer; result: AuthResult }
  /**
   * Refused (unknown user, wrong password, disabled account, malformed
   * token): STATUS_LOGON_FAILURE. `reason` is for logs and never contains secrets.
   */
  | { state: 'denied'; output?: Buffer; reason: string };

/** One authentication exchange (one SMB SESSION_SETUP sequence). */
export interface SecurityContext {
  /** Feed the client's security blob (SPNEGO-wrapped or raw NTLMSSP). Never throws on malformed input. */
  step(input: Buffer): Promise<StepResult>;
}

export interface SmbAuthenticator {
  /** The SPNEGO NegTokenInit hint for the NEGOTIATE response's security buffer (MS-SMB2 §3.3.5.4). */
  negotiateToken(): Buffer;
  /** A fresh exchange. */
  newContext(): SecurityContext;
}
