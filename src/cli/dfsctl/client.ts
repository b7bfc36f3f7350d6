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

/**
 * REST client of one context: adds the bearer token, refreshes it once on
 * 401 with the refresh token (saving the new pair), and turns error bodies
 * into CliError with a hint.
 */
export class ApiClient {
  constructor(
    readonly contextName: string,
    readonly context: Context,
    private readonly file?: { path: string; data: ContextFile },
  ) {}

  async request<T>(method: string, path: string, body?: unknown, opts: { auth?: boolean } = {}): Promise<T> {
    let res = await this.send(method, path, body, opts.auth !== false);
    if (res.status === 401 && opts.auth !== false && this.context.refreshToken && (await this.refresh())) {
      res = await this.send(method, path, body, true);
    }
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (!res.ok) {
      const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
      const code = err?.code;
      const hint = code && HINTS[code] ? ` (${HINTS[code]})` : '';
      throw new CliError(`${err?.message ?? `HTTP ${res.status}`}${hint}`, code, res.status);
    }
    return parsed as T;
  }

  private async send(method: string, path: string, body: unknown, auth: boolean): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (auth && this.context.accessToken) headers.authorization = `Bearer ${this.context.accessToken}`;
    const url = new URL(path, this.context.server);
    try {
      return await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      const cause = (e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message;
      throw new CliError(
        `cannot reach the DittoFS API at ${this.context.server} (${cause}); is \`dfs start\` running? Use --server URL or dfsctl context use NAME`,
        'UNREACHABLE',
      );
    }
  }

  private async refresh(): Promise<boolean> {
    const res = await this.send('POST', '/api/v1/auth/refresh', { refreshToken: this.context.refreshToken }, false);
    if (!res.ok) return false;
    const t = (await res.json()) as { accessToken: string; refreshToken: string };
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
