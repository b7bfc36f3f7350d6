import md4 from 'js-md4';

/**
 * NTOWFv1/NTOWFv2's base: MD4 of the password in UTF-16LE (MS-NLMP §3.3.1,
 * "NTOWFv1"). node:crypto on Node 20 refuses MD4 (OpenSSL 3 legacy
 * provider), hence js-md4.
 */
export function ntHash(password: string): Buffer {
  return Buffer.from(md4.arrayBuffer(Buffer.from(password, 'utf16le')));
}
