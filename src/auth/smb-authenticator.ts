import type { Logger } from '../observability/logger.js';
import type { AccountLookup, SmbAuthenticator } from './api.js';
import { createNtlmMechanism } from './ntlm/ntlm-acceptor.js';
import { SpnegoAcceptor } from './spnego/acceptor.js';
import type { Mechanism } from './spnego/mechanism.js';
import { encodeNegTokenInit } from './spnego/tokens.js';

export interface SmbAuthenticatorOptions {
  lookup: AccountLookup;
  /** NetBIOS name of this server (advertised to NTLM clients). */
  serverName: string;
  /** NetBIOS domain / workgroup name. */
  domain: string;
  logger: Logger;
}

/**
 * SMB's authentication entry point: SPNEGO over NTLMv2 (Kerberos joins the
 * mechanism list later, ahead of NTLM, without changing this contract).
 */
export function createSmbAuthenticator(opts: SmbAuthenticatorOptions): SmbAuthenticator {
  const logger = opts.logger.child({ component: 'smb-auth' });
  const mechanisms: Mechanism[] = [
    createNtlmMechanism({ lookup: opts.lookup, serverName: opts.serverName, domain: opts.domain, logger }),
  ];
  // MS-SMB2 §3.3.5.4: the NEGOTIATE response carries the server's mechanism hint.
  const hint = encodeNegTokenInit(mechanisms.map((m) => m.oid));
  return {
    negotiateToken: () => Buffer.from(hint),
    newContext: () => new SpnegoAcceptor(mechanisms, logger),
  };
}
