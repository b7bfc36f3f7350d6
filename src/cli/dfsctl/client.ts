import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { loadContexts, saveContexts, type Context, type ContextFile } from './contexts.js';

/** An API error as the user should read it. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code?: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

const HINTS: Record<string, string> = {
  UNAUTHENTICATED: 'log in with: dfsctl login',
  INVALID_TOKEN: 'log in again with: dfsctl login',
  PASSWORD_CHANGE_REQUIRED: 'change your password with: dfsctl passwd',
  FORBIDDEN: 'ask an administrator, or log in as one (dfsctl login --user admin)',
};

/** What came back from the API: status and body text. */
interface HttpResult {
  status: number;
  text: string;
}

/** OpenSSL verification failures: the server's certificate chain is not trusted or does not fit. */
const CERT_ERRORS = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Responses are small JSON documents; a larger body is not the DittoFS API. */
const MAX_BODY = 16 * 1024 * 1024;

/** The error a failed connection becomes: what went wrong and what to do about it. */
export function connectionError(server: string, e: NodeJS.ErrnoException): CliError {
  const code = e.code ?? e.message;
  if (CERT_ERRORS.has(code)) {
    return new CliError(
      `the TLS certificate of ${server} is not trusted (${code}: ${e.message}); ` +
        'log in with --ca-cert FILE naming the CA that signed it (or the certificate itself), ' +
        'or with --insecure to skip the check (not recommended)',
      'TLS_UNTRUSTED',
    );
  }
  if (server.startsWith('https:') && (code === 'EPROTO' || /wrong version number|packet length/i.test(e.message))) {
    return new CliError(
      `${server} does not speak TLS (${e.message}); if the server has no api.tlsCert, use an http:// URL`,
      'TLS_HANDSHAKE',
    );
  }
  if (server.startsWith('http:') && (code === 'ECONNRESET' || code === 'HPE_INVALID_CONSTANT')) {
    return new CliError(
      `the connection to ${server} was cut (${code}); if the server has TLS configured, use an https:// URL`,
      'UNREACHABLE',
    );
  }
  return new CliError(
    `cannot reach the DittoFS API at ${server} (${code}); is \`dfs start\` running? Use --server URL or dfsctl context use NAME`,
    'UNREACHABLE',
  );
}

/**
 * REST client of one context: adds the bearer token, refreshes it once on
 * 401 with the refresh token (saving the new pair), and turns error bodies
 * into CliError with a hint. An https:// server is verified against the
 * context's CA certificate (`caCert`) when it has one, else the system's
 * CAs; `insecure` turns verification off, with a warning on stderr.
 */
export class ApiClient {
  private ca?: Promise<Buffer | undefined>;
  private warned = false;

  constructor(
    readonly contextName: string,
    readonly context: Context,
    private readonly file?: { path: string; data: ContextFile },
    private readonly warn: (text: string) => void = (text) => process.stderr.write(`dfsctl: warning: ${text}\n`),
  ) {}

  async request<T>(method: string, path: string, body?: unknown, opts: { auth?: boolean } = {}): Promise<T> {
    let res = await this.send(method, path, body, opts.auth !== false);
    if (res.status === 401 && opts.auth !== false && this.context.refreshToken && (await this.refresh())) {
      res = await this.send(method, path, body, true);
    }
    if (res.status === 204) return undefined as T;
    const text = res.text;
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (res.status < 200 || res.status > 299) {
      const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const code = err?.code;
      const hint = code && HINTS[code] ? ` (${HINTS[code]})` : '';
      throw new CliError(`${err?.message ?? `HTTP ${res.status}`}${hint}`, code, res.status);
    }
    return parsed as T;
  }

  /** The context's CA certificate, read once; a missing file is an error that names it. */
  private caCert(): Promise<Buffer | undefined> {
    const path = this.context.caCert;
    this.ca ??= path
      ? readFile(path).catch((e: NodeJS.ErrnoException) => {
          throw new CliError(
            `cannot read the CA certificate ${path} of context ${this.contextName} (${e.code ?? e.message}); ` +
              'log in again with --ca-cert FILE',
          );
        })
      : Promise.resolve(undefined);
    return this.ca;
  }

  private async send(method: string, path: string, body: unknown, auth: boolean): Promise<HttpResult> {
    const headers: Record<string, string> = {};
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (auth && this.context.accessToken) headers.authorization = `Bearer ${this.context.accessToken}`;
    let url: URL;
    try {
      url = new URL(path, this.context.server);
    } catch {
      throw new CliError(`not a URL: ${this.context.server} (e.g. https://127.0.0.1:12080)`);
    }
    const https = url.protocol === 'https:';
    if (!https && url.protocol !== 'http:') {
      throw new CliError(`unsupported URL scheme ${url.protocol} in ${this.context.server} (use http:// or https://)`);
    }
    const tls = https ? { ca: await this.caCert(), rejectUnauthorized: this.context.insecure !== true } : {};
    if (https && this.context.insecure && !this.warned) {
      this.warned = true;
      this.warn(
        `not verifying the TLS certificate of ${this.context.server} (--insecure): anyone in between can read tokens`,
      );
    }
    return new Promise<HttpResult>((resolve, reject) => {
      const onResponse = (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY) {
            res.destroy(new Error(`response larger than ${MAX_BODY} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (e) => reject(connectionError(this.context.server, e)));
      };
      const req = (https ? httpsRequest : httpRequest)(url, { method, headers, ...tls }, onResponse);
      req.on('error', (e: NodeJS.ErrnoException) => reject(connectionError(this.context.server, e)));
      req.end(payload);
    });
  }

  private async refresh(): Promise<boolean> {
    const res = await this.send('POST', '/api/v1/auth/refresh', { refreshToken: this.context.refreshToken }, false);
    if (res.status !== 200) return false;
    const t = JSON.parse(res.text) as { accessToken: string; refreshToken: string };
    this.context.accessToken = t.accessToken;
    this.context.refreshToken = t.refreshToken;
    if (this.file) {
      const fresh = await loadContexts(this.file.path);
      fresh.contexts[this.contextName] = this.context;
      await saveContexts(this.file.path, fresh);
    }
    return true;
  }
}
