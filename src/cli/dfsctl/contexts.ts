import { access, chmod, constants, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** One server dfsctl talks to, with the tokens of the last login. */
export interface Context {
  server: string;
  user?: string;
  accessToken?: string;
  refreshToken?: string;
  /** PEM file of the CA (or self-signed certificate) an https:// server is verified against; absent: the system's CAs. */
  caCert?: string;
  /** Skip TLS verification (`dfsctl login --insecure`): warned about on every command. */
  insecure?: boolean;
}

export interface ContextFile {
  current?: string;
  contexts: Record<string, Context>;
}

export const DEFAULT_SERVER = 'http://127.0.0.1:12080';

/** $DFSCTL_CONFIG, else $XDG_CONFIG_HOME/dittofs/dfsctl.json, else ~/.config/dittofs/dfsctl.json. */
export function contextFilePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DFSCTL_CONFIG) return env.DFSCTL_CONFIG;
  const base = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.length > 0 ? env.XDG_CONFIG_HOME : join(homedir(), '.config');
  return join(base, 'dittofs', 'dfsctl.json');
}

export async function loadContexts(path: string): Promise<ContextFile> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<ContextFile>;
    return { current: parsed.current, contexts: parsed.contexts ?? {} };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { contexts: {} };
    throw new Error(`cannot read ${path}: ${(e as Error).message} (delete it and log in again)`);
  }
}

/** Written atomically with mode 0600: it holds tokens. */
export async function saveContexts(path: string, file: ContextFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/**
 * The TLS settings a login stores in its context: `--ca-cert` (made
 * absolute, checked readable) or `--insecure`, else the CA certificate the
 * context already had for the same server. Both apply to https:// only.
 */
export async function tlsSettings(
  server: string,
  opts: { caCert?: string; insecure?: boolean },
  previous?: Context,
): Promise<Pick<Context, 'caCert' | 'insecure'>> {
  const https = server.startsWith('https://');
  if (!https && (opts.caCert !== undefined || opts.insecure)) {
    throw new Error(`--ca-cert and --insecure apply to https:// servers only (server: ${server})`);
  }
  if (opts.caCert !== undefined && opts.insecure) throw new Error('use either --ca-cert or --insecure, not both');
  if (opts.insecure) return { insecure: true };
  if (opts.caCert !== undefined) {
    const caCert = resolve(opts.caCert);
    try {
      await access(caCert, constants.R_OK);
    } catch (e) {
      throw new Error(`cannot read the CA certificate ${caCert} (${(e as NodeJS.ErrnoException).code})`);
    }
    return { caCert };
  }
  return previous?.server === server && previous.caCert ? { caCert: previous.caCert } : {};
}
