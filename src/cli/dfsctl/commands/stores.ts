import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from '../client.js';
import type { Column } from '../output.js';
import { promptHidden, readStdinLine } from '../prompt.js';
import { clientFor, print } from '../session.js';

interface Store {
  kind: string;
  name: string;
  type: string;
  path?: string;
  settings?: {
    url?: string;
    schema?: string;
    chunkSize?: number;
    localBudgetBytes?: number;
    s3?: Record<string, string | boolean | undefined> & { bucket: string };
  };
}

/** Environment variables that carry secrets, so that they stay out of the process list and shell history. */
export const SECRET_KEY_ENV = 'DFSCTL_S3_SECRET_ACCESS_KEY';
export const POSTGRES_URL_ENV = 'DFSCTL_POSTGRES_URL';

/** The settings in one cell: `key=value` pairs, secrets already "***" (the server never returns them). */
function settingsCell(s: Store): string {
  const st = s.settings;
  if (!st) return '';
  const parts: string[] = [];
  if (st.url !== undefined) parts.push(`url=${st.url}`);
  if (st.schema !== undefined) parts.push(`schema=${st.schema}`);
  if (st.chunkSize !== undefined) parts.push(`chunk=${st.chunkSize}`);
  if (st.localBudgetBytes !== undefined) parts.push(`budget=${st.localBudgetBytes}`);
  for (const [k, v] of Object.entries(st.s3 ?? {})) if (v !== undefined) parts.push(`${k}=${String(v)}`);
  return parts.join(' ');
}

const STORE_COLUMNS: Column<Store>[] = [
  ['KIND', (s) => s.kind],
  ['NAME', (s) => s.name],
  ['TYPE', (s) => s.type],
  ['PATH', (s) => s.path],
  ['SETTINGS', settingsCell],
];

function kindArg(v: string): string {
  if (v !== 'metadata' && v !== 'block') throw new InvalidArgumentError('must be metadata or block');
  return v;
}

const UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A byte count: 65536, 64k, 1M, 10GiB. */
export function sizeArg(v: string): number {
  const m = /^(\d+)\s*([kmgt]?)(i?b)?$/i.exec(v.trim());
  const n = m ? Number(m[1]) * UNITS[m[2].toLowerCase()] : NaN;
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('must be a size such as 65536, 64k or 1GiB');
  return n;
}

interface CreateOptions {
  type: string;
  path?: string;
  url?: string;
  schema?: string;
  chunkSize?: number;
  localBudget?: number;
  bucket?: string;
  prefix?: string;
  endpoint?: string;
  region?: string;
  pathStyle?: boolean;
  accessKeyId?: string;
  secretAccessKey?: string;
  secretAccessKeyStdin?: boolean;
}

/**
 * The S3 secret key: --secret-access-key-stdin, else --secret-access-key,
 * else $DFSCTL_S3_SECRET_ACCESS_KEY, else a prompt (only when an access key id is given).
 */
async function secretKey(o: CreateOptions): Promise<string | undefined> {
  if (o.secretAccessKeyStdin) return readStdinLine();
  if (o.secretAccessKey !== undefined) return o.secretAccessKey;
  const fromEnv = process.env[SECRET_KEY_ENV];
  if (fromEnv) return fromEnv;
  if (o.accessKeyId === undefined) return undefined;
  try {
    return await promptHidden(`S3 secret access key for ${o.accessKeyId}: `);
  } catch {
    throw new CliError(`give the secret key with --secret-access-key-stdin or $${SECRET_KEY_ENV}`);
  }
}

/** The request's settings object from the flags (undefined when none was given). */
async function settingsOf(o: CreateOptions): Promise<Record<string, unknown> | undefined> {
  const out: Record<string, unknown> = {};
  const url = o.url ?? (o.type === 'postgres' ? process.env[POSTGRES_URL_ENV] || undefined : undefined);
  if (url !== undefined) out.url = url;
  if (o.schema !== undefined) out.schema = o.schema;
  if (o.chunkSize !== undefined) out.chunkSize = o.chunkSize;
  if (o.localBudget !== undefined) out.localBudgetBytes = o.localBudget;
  const s3: Record<string, unknown> = {};
  if (o.bucket !== undefined) s3.bucket = o.bucket;
  if (o.prefix !== undefined) s3.prefix = o.prefix;
  if (o.endpoint !== undefined) s3.endpoint = o.endpoint;
  if (o.region !== undefined) s3.region = o.region;
  if (o.pathStyle) s3.forcePathStyle = true;
  if (o.accessKeyId !== undefined) s3.accessKeyId = o.accessKeyId;
  const secret = await secretKey(o);
  if (secret !== undefined) s3.secretAccessKey = secret;
  if (Object.keys(s3).length > 0) out.s3 = s3;
  return Object.keys(out).length > 0 ? out : undefined;
}

const seg = encodeURIComponent;

export function registerStoreCommands(program: Command): void {
  const store = program.command('store').description('Metadata and block stores that shares are created on');
  store
    .command('list')
    .argument('<kind>', 'metadata or block', kindArg)
    .description('List stores of a kind (secrets show as ***)')
    .action(async (kind: string, _o: unknown, cmd: Command) =>
      print(cmd, await (await clientFor(cmd)).request<Store[]>('GET', `/api/v1/stores/${kind}`), STORE_COLUMNS),
    );
  store
    .command('show')
    .argument('<kind>', 'metadata or block', kindArg)
    .argument('<name>')
    .description('Show one store (secrets show as ***)')
    .action(async (kind: string, name: string, _o: unknown, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Store>('GET', `/api/v1/stores/${kind}/${seg(name)}`),
        STORE_COLUMNS,
      ),
    );
  store
    .command('create')
    .argument('<kind>', 'metadata or block', kindArg)
    .argument('<name>')
    .requiredOption('--type <type>', 'metadata: memory | lmdb | postgres; block: memory | fs | tiered | s3')
    .option('--path <dir>', 'directory for lmdb, fs, tiered, s3 (default under the server data directory)')
    .option('--url <url>', `postgres: postgres:// URL (or $${POSTGRES_URL_ENV}, which keeps a password out of ps)`)
    .option('--schema <name>', 'postgres: schema for the tables (default dittofs)')
    .option('--chunk-size <size>', 'tiered, s3: chunk size, 4k to 16M (default 1M)', sizeArg)
    .option('--local-budget <size>', 'tiered, s3: local-tier bytes before uploaded chunks are evicted', sizeArg)
    .option('--bucket <bucket>', 's3: bucket (required)')
    .option('--prefix <prefix>', 's3: key prefix; each share adds its own below it')
    .option('--endpoint <url>', 's3: endpoint of an S3-compatible service (default AWS)')
    .option('--region <region>', 's3: region')
    .option('--path-style', 's3: path-style addressing (MinIO, s3rver)')
    .option('--access-key-id <id>', "s3: access key id (default: the server's AWS credential chain)")
    .option('--secret-access-key-stdin', 's3: read the secret access key from standard input')
    .option(
      '--secret-access-key <key>',
      `s3: secret access key (visible to other local users; prefer $${SECRET_KEY_ENV}, --secret-access-key-stdin or the prompt)`,
    )
    .description('Create a store; settings are validated by the server and secrets are never shown back')
    .action(async (kind: string, name: string, o: CreateOptions, cmd: Command) => {
      const body: Record<string, unknown> = { name, type: o.type };
      if (o.path !== undefined) body.path = o.path;
      const settings = await settingsOf(o);
      if (settings) body.settings = settings;
      print(cmd, await (await clientFor(cmd)).request<Store>('POST', `/api/v1/stores/${kind}`, body), STORE_COLUMNS);
    });
  store
    .command('delete')
    .argument('<kind>', 'metadata or block', kindArg)
    .argument('<name>')
    .description('Delete a store no share uses (its data on disk is kept)')
    .action(async (kind: string, name: string, _o: unknown, cmd: Command) => {
      await (await clientFor(cmd)).request('DELETE', `/api/v1/stores/${kind}/${seg(name)}`);
      console.log(`Deleted ${kind} store ${name}.`);
    });
}
