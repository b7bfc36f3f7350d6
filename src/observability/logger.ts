import { pino, destination, type Logger } from 'pino';

export type { Logger };

/**
 * The process logger: structured JSON (pino). Library code takes a Logger
 * (usually a child carrying protocol/op/client) and never writes to stdout.
 * Secrets (passwords, keys, tokens) must never be passed as fields.
 */
export function createLogger(opts: { level?: string; destination?: number | string } = {}): Logger {
  const level = opts.level ?? process.env.DFS_LOG_LEVEL ?? 'info';
  return pino(
    {
      level,
      base: { app: 'dfs' },
      redact: { paths: ['password', '*.password', 'secret', '*.secret', 'token', '*.token'], censor: '[redacted]' },
    },
    destination({ dest: opts.destination ?? 2, sync: false }),
  );
}

/** A logger that discards everything (tests, library defaults). */
export const silentLogger: Logger = pino({ level: 'silent' });
