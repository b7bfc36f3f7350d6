import { NTLMSSP_REVISION_W2K3 } from './constants.js';

/**
 * MS-NLMP §2.2.2.10 VERSION: sent when NTLMSSP_NEGOTIATE_VERSION is
 * negotiated; informational only. We claim Windows 10.0 with the
 * current NTLMSSP revision, as Samba does.
 */
export function encodeVersion(): Buffer {
  const out = Buffer.alloc(8);
  out[0] = 10;
  out[1] = 0;
  out.writeUInt16LE(20348, 2);
  out[7] = NTLMSSP_REVISION_W2K3;
  return out;
}
