import { randomBytes } from 'node:crypto';
import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';

export interface AccessClaims {
  sub: string;
  role: 'admin' | 'user';
  /** The user must change the password before anything else. */
  pwc: boolean;
}

export interface RefreshClaims {
  sub: string;
  /** The user's tokenVersion when issued; a password change invalidates older refresh tokens. */
  tv: number;
}

const ISSUER = 'dittofs';

/**
 * HS256 JWTs signed with a per-installation secret kept in the control-plane
 * database. Access tokens are short-lived and stateless; refresh tokens
 * carry the user's token version so that a password change revokes them.
 * jose compares signatures in constant time.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: Buffer,
    readonly accessSeconds: number,
    readonly refreshSeconds: number,
  ) {
    if (secret.length < 32) throw new RangeError('JWT secret must be at least 32 bytes');
    this.key = new Uint8Array(secret);
  }

  static newSecret(): Buffer {
    return randomBytes(32);
  }

  issueAccess(c: AccessClaims): Promise<string> {
    return new SignJWT({ role: c.role, pwc: c.pwc, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(c.sub)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.accessSeconds}s`)
      .sign(this.key);
  }

  issueRefresh(c: RefreshClaims): Promise<string> {
    return new SignJWT({ tv: c.tv, typ: 'refresh' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(c.sub)
      .setIssuer(ISSUER)
      .setIssuedAt()
      .setExpirationTime(`${this.refreshSeconds}s`)
      .sign(this.key);
  }

  /** undefined for anything but a valid, unexpired access token. */
  async verifyAccess(token: string): Promise<AccessClaims | undefined> {
    const p = await this.verify(token, 'access');
    if (!p || (p.role !== 'admin' && p.role !== 'user')) return undefined;
    return { sub: p.sub!, role: p.role, pwc: p.pwc === true };
  }

  async verifyRefresh(token: string): Promise<RefreshClaims | undefined> {
    const p = await this.verify(token, 'refresh');
    if (!p || typeof p.tv !== 'number') return undefined;
    return { sub: p.sub!, tv: p.tv };
  }

  private async verify(token: string, typ: string) {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      if (payload.typ !== typ || typeof payload.sub !== 'string') return undefined;
      return payload;
    } catch (e) {
      if (e instanceof joseErrors.JOSEError) return undefined;
      throw e;
    }
  }
}
