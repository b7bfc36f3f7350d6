/** RFC 4178 §3: the SPNEGO pseudo-mechanism. */
export const SPNEGO_OID = '1.3.6.1.5.5.2';
/** MS-NLMP §1.9: NTLMSSP. */
export const NTLMSSP_OID = '1.3.6.1.4.1.311.2.2.10';
/** RFC 4121: Kerberos V5 (for when the Kerberos mechanism arrives). */
export const KRB5_OID = '1.2.840.113554.1.2.2';
/** MS-SPNG §3.3.5.1.1: the OID Windows clients send for Kerberos (a historical bit-truncated form). */
export const MS_KRB5_OID = '1.2.840.48018.1.2.2';
