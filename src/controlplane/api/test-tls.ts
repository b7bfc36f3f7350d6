import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCert {
  /** PEM certificate file (self-signed: it is its own CA). */
  cert: string;
  /** PEM private key file. */
  key: string;
}

/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, made
 * with the openssl CLI (scripts/ensure-test-deps.sh installs it) into `dir`
 * as `<name>.crt` and `<name>.key`. P-256 keeps generation fast.
 */
export async function makeSelfSignedCert(dir: string, name = 'api'): Promise<TestCert> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-days',
    '2',
    '-subj',
    '/CN=127.0.0.1',
    '-addext',
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ]);
  return { cert, key };
}
