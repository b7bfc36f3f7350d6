import { InvalidArgumentError, type Command } from 'commander';
import { CliError } from '../client.js';
import type { Column } from '../output.js';
import { promptHidden, readStdinLine } from '../prompt.js';
import { clientFor, print } from '../session.js';
import { registerStoreCommands } from './stores.js';

interface User {
  name: string;
  role: string;
  uid: number;
  gid: number;
  enabled: boolean;
  mustChangePassword: boolean;
  groups: string[];
}
interface Group {
  name: string;
  gid: number;
  members: string[];
}
interface Permission {
  share: string;
  kind: string;
  principal: string;
  level: string;
}
interface Share {
  name: string;
  source: string;
  metadataStore: string;
  blockStore: string;
  exported: boolean;
  options: Record<string, unknown> & {
    readOnly: boolean;
    rootSquash: boolean;
    allSquash: boolean;
    allowedClients: string[];
    durability?: string;
  };
}
interface Status {
  version: string;
  uptimeSeconds: number;
  shares: number;
  nfs: { enabled: boolean; listening: boolean; port: number };
}
interface Adapter {
  name: string;
  enabled: boolean;
  port: number;
  boundPort: number;
  listening: boolean;
}

const USER_COLUMNS: Column<User>[] = [
  ['NAME', (u) => u.name],
  ['ROLE', (u) => u.role],
  ['UID', (u) => u.uid],
  ['GID', (u) => u.gid],
  ['ENABLED', (u) => (u.enabled ? 'yes' : 'no')],
  ['GROUPS', (u) => u.groups],
];
const GROUP_COLUMNS: Column<Group>[] = [
  ['NAME', (g) => g.name],
  ['GID', (g) => g.gid],
  ['MEMBERS', (g) => g.members],
];
const PERMISSION_COLUMNS: Column<Permission>[] = [
  ['SHARE', (p) => p.share],
  ['KIND', (p) => p.kind],
  ['NAME', (p) => p.principal],
  ['LEVEL', (p) => p.level],
];
const SHARE_COLUMNS: Column<Share>[] = [
  ['NAME', (s) => s.name],
  ['SOURCE', (s) => s.source],
  ['METADATA', (s) => s.metadataStore],
  ['BLOCKS', (s) => s.blockStore],
  ['ACCESS', (s) => (s.options.readOnly ? 'ro' : 'rw')],
  ['SQUASH', (s) => (s.options.allSquash ? 'all' : s.options.rootSquash ? 'root' : 'none')],
  ['CLIENTS', (s) => (s.options.allowedClients.length ? s.options.allowedClients : 'any')],
  ['DURABILITY', (s) => s.options.durability ?? 'local-durable'],
  ['EXPORTED', (s) => (s.exported ? 'yes' : 'no')],
];
const ADAPTER_COLUMNS: Column<Adapter>[] = [
  ['NAME', (a) => a.name],
  ['ENABLED', (a) => (a.enabled ? 'yes' : 'no')],
  ['PORT', (a) => a.port],
  ['LISTENING', (a) => (a.listening ? `yes (${a.boundPort})` : 'no')],
];

function intArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new InvalidArgumentError('must be a non-negative integer');
  return n;
}

function portArg(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('must be a port number (0-65535)');
  return n;
}

const LEVELS = ['none', 'read', 'read-write', 'admin'];
function levelArg(v: string): string {
  if (!LEVELS.includes(v)) throw new InvalidArgumentError(`must be one of ${LEVELS.join(', ')}`);
  return v;
}

const DURABILITY = ['writeback', 'local-durable', 'remote'];
function durabilityArg(v: string): string {
  if (!DURABILITY.includes(v)) throw new InvalidArgumentError(`must be one of ${DURABILITY.join(', ')}`);
  return v;
}

/** A share name in a URL: without the leading slash, encoded ("/a/b" → "a%2Fb"). */
function shareSegment(name: string): string {
  return encodeURIComponent(name.replace(/^\/+/, ''));
}

const seg = encodeURIComponent;

async function newPassword(opts: { password?: string; passwordStdin?: boolean }): Promise<string | undefined> {
  if (opts.passwordStdin) return readStdinLine();
  if (opts.password !== undefined) return opts.password;
  return undefined;
}

function principal(opts: { user?: string; group?: string }): { kind: 'user' | 'group'; name: string } {
  if ((opts.user === undefined) === (opts.group === undefined))
    throw new CliError('give exactly one of --user NAME or --group NAME');
  return opts.user !== undefined ? { kind: 'user', name: opts.user } : { kind: 'group', name: opts.group! };
}

export function registerResourceCommands(program: Command): void {
  program
    .command('status')
    .description('Server version, uptime, shares and NFS adapter state')
    .action(async (_o: unknown, cmd: Command) => {
      const s = await (await clientFor(cmd)).request<Status>('GET', '/api/v1/status');
      const nfs = s.nfs;
      print(cmd, s, [
        ['VERSION', (x) => x.version],
        ['UPTIME (s)', (x) => x.uptimeSeconds],
        ['SHARES', (x) => x.shares],
        [
          'NFS',
          () => (nfs.listening ? `listening on ${nfs.port}` : nfs.enabled ? 'enabled, not listening' : 'disabled'),
        ],
      ]);
    });

  // ---- users
  const user = program.command('user').description('Control-plane users (NFS identity by uid/gid)');
  user
    .command('list')
    .description('List users')
    .action(async (_o: unknown, cmd: Command) =>
      print(cmd, await (await clientFor(cmd)).request<User[]>('GET', '/api/v1/users'), USER_COLUMNS),
    );
  user
    .command('show')
    .argument('<name>')
    .description('Show one user')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      print(cmd, await (await clientFor(cmd)).request<User>('GET', `/api/v1/users/${seg(name)}`), USER_COLUMNS),
    );
  user
    .command('create')
    .argument('<name>')
    .description('Create a user (who must change the password at first login)')
    .requiredOption('--uid <uid>', 'NFS (AUTH_SYS) uid of this user', intArg)
    .option('--gid <gid>', 'primary gid (default: the uid)', intArg)
    .option('--role <role>', 'admin or user', 'user')
    .option('--password-stdin', 'read the initial password from standard input')
    .option('--password <password>', 'initial password (visible to other local users; prefer --password-stdin)')
    .action(
      async (
        name: string,
        o: { uid: number; gid?: number; role: string; password?: string; passwordStdin?: boolean },
        cmd: Command,
      ) => {
        const password = (await newPassword(o)) ?? (await promptHidden(`Initial password for ${name}: `));
        const u = await (
          await clientFor(cmd)
        ).request<User>('POST', '/api/v1/users', { name, password, uid: o.uid, gid: o.gid, role: o.role });
        print(cmd, u, USER_COLUMNS);
      },
    );
  user
    .command('update')
    .argument('<name>')
    .description('Change a user: role, uid/gid, enabled, or set a new password')
    .option('--uid <uid>', 'NFS uid', intArg)
    .option('--gid <gid>', 'NFS gid', intArg)
    .option('--role <role>', 'admin or user')
    .option('--enable', 'enable the user')
    .option('--disable', 'disable the user (no login, no NFS access on restricted shares)')
    .option('--password-stdin', 'read a new password from standard input (the user must change it at next login)')
    .action(
      async (
        name: string,
        o: { uid?: number; gid?: number; role?: string; enable?: boolean; disable?: boolean; passwordStdin?: boolean },
        cmd: Command,
      ) => {
        const body: Record<string, unknown> = {};
        if (o.uid !== undefined) body.uid = o.uid;
        if (o.gid !== undefined) body.gid = o.gid;
        if (o.role !== undefined) body.role = o.role;
        if (o.enable) body.enabled = true;
        if (o.disable) body.enabled = false;
        if (o.passwordStdin) body.password = await readStdinLine();
        if (Object.keys(body).length === 0)
          throw new CliError('nothing to change: give --uid, --gid, --role, --enable, --disable or --password-stdin');
        print(
          cmd,
          await (await clientFor(cmd)).request<User>('PATCH', `/api/v1/users/${seg(name)}`, body),
          USER_COLUMNS,
        );
      },
    );
  user
    .command('delete')
    .argument('<name>')
    .description('Delete a user (and their memberships and permissions)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await (await clientFor(cmd)).request('DELETE', `/api/v1/users/${seg(name)}`);
      console.log(`Deleted user ${name}.`);
    });

  // ---- groups
  const group = program.command('group').description('Groups and their members');
  group
    .command('list')
    .description('List groups')
    .action(async (_o: unknown, cmd: Command) =>
      print(cmd, await (await clientFor(cmd)).request<Group[]>('GET', '/api/v1/groups'), GROUP_COLUMNS),
    );
  group
    .command('show')
    .argument('<name>')
    .description('Show one group')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      print(cmd, await (await clientFor(cmd)).request<Group>('GET', `/api/v1/groups/${seg(name)}`), GROUP_COLUMNS),
    );
  group
    .command('create')
    .argument('<name>')
    .requiredOption('--gid <gid>', 'NFS gid of the group', intArg)
    .description('Create a group')
    .action(async (name: string, o: { gid: number }, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Group>('POST', '/api/v1/groups', { name, gid: o.gid }),
        GROUP_COLUMNS,
      ),
    );
  group
    .command('delete')
    .argument('<name>')
    .description('Delete a group')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await (await clientFor(cmd)).request('DELETE', `/api/v1/groups/${seg(name)}`);
      console.log(`Deleted group ${name}.`);
    });
  group
    .command('add-member')
    .argument('<group>')
    .argument('<user>')
    .description('Add a user to a group')
    .action(async (g: string, u: string, _o: unknown, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Group>('PUT', `/api/v1/groups/${seg(g)}/members/${seg(u)}`),
        GROUP_COLUMNS,
      ),
    );
  group
    .command('remove-member')
    .argument('<group>')
    .argument('<user>')
    .description('Remove a user from a group')
    .action(async (g: string, u: string, _o: unknown, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Group>('DELETE', `/api/v1/groups/${seg(g)}/members/${seg(u)}`),
        GROUP_COLUMNS,
      ),
    );

  // ---- permissions
  const perm = program
    .command('permission')
    .description(
      'Share permissions (none, read, read-write, admin). A share without any is open to all NFS callers. ' +
        'admin is read-write over NFS and lets the user manage this share (its permissions and options) with dfsctl.',
    );
  perm
    .command('list')
    .argument('<share>')
    .description("List a share's permissions")
    .action(async (share: string, _o: unknown, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Permission[]>('GET', `/api/v1/shares/${shareSegment(share)}/permissions`),
        PERMISSION_COLUMNS,
      ),
    );
  perm
    .command('grant')
    .argument('<share>')
    .argument('<level>', 'none, read, read-write or admin', levelArg)
    .option('--user <name>')
    .option('--group <name>')
    .description('Grant a user or a group a level on a share (takes effect at once)')
    .action(async (share: string, level: string, o: { user?: string; group?: string }, cmd: Command) => {
      const p = principal(o);
      print(
        cmd,
        await (
          await clientFor(cmd)
        ).request<Permission>('PUT', `/api/v1/shares/${shareSegment(share)}/permissions`, { ...p, level }),
        PERMISSION_COLUMNS,
      );
    });
  perm
    .command('revoke')
    .argument('<share>')
    .option('--user <name>')
    .option('--group <name>')
    .description("Remove a user's or group's permission row")
    .action(async (share: string, o: { user?: string; group?: string }, cmd: Command) => {
      const p = principal(o);
      await (
        await clientFor(cmd)
      ).request('DELETE', `/api/v1/shares/${shareSegment(share)}/permissions/${p.kind}/${seg(p.name)}`);
      console.log(`Revoked ${p.kind} ${p.name} on ${share}.`);
    });

  registerStoreCommands(program);

  // ---- shares
  const share = program.command('share').description('Shares: created ones are exported at once');
  share
    .command('list')
    .description('List shares (from the configuration file and created with dfsctl)')
    .action(async (_o: unknown, cmd: Command) =>
      print(cmd, await (await clientFor(cmd)).request<Share[]>('GET', '/api/v1/shares'), SHARE_COLUMNS),
    );
  share
    .command('show')
    .argument('<name>')
    .description('Show one share')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Share>('GET', `/api/v1/shares/${shareSegment(name)}`),
        SHARE_COLUMNS,
      ),
    );
  share
    .command('create')
    .argument('<name>', 'export path, e.g. /team')
    .requiredOption('--metadata <store>', 'metadata store name')
    .requiredOption('--blocks <store>', 'block store name')
    .option('--read-only', 'every modification gets EROFS')
    .option('--no-root-squash', 'serve uid 0 as root (root squash is on by default)')
    .option('--all-squash', 'serve every caller as the anonymous uid/gid')
    .option('--anon-uid <uid>', 'anonymous uid (default 65534)', intArg)
    .option('--anon-gid <gid>', 'anonymous gid (default 65534)', intArg)
    .option('--allowed-clients <list>', 'comma-separated IP addresses / CIDR blocks allowed to mount (default: any)')
    .option('--require-privileged-port', 'refuse clients calling from ports >= 1024')
    .option(
      '--durability <mode>',
      'when stable writes and COMMIT are acknowledged: writeback (tiered, s3), local-durable (default), remote (s3)',
      durabilityArg,
    )
    .description('Create a share on existing stores; it is mountable at once')
    .action(
      async (
        name: string,
        o: {
          metadata: string;
          blocks: string;
          readOnly?: boolean;
          rootSquash: boolean;
          allSquash?: boolean;
          anonUid?: number;
          anonGid?: number;
          allowedClients?: string;
          requirePrivilegedPort?: boolean;
          durability?: string;
        },
        cmd: Command,
      ) => {
        const body: Record<string, unknown> = {
          name,
          metadataStore: o.metadata,
          blockStore: o.blocks,
          rootSquash: o.rootSquash,
        };
        if (o.readOnly) body.readOnly = true;
        if (o.allSquash) body.allSquash = true;
        if (o.anonUid !== undefined) body.anonUid = o.anonUid;
        if (o.anonGid !== undefined) body.anonGid = o.anonGid;
        if (o.requirePrivilegedPort) body.requirePrivilegedPort = true;
        if (o.durability !== undefined) body.durability = o.durability;
        if (o.allowedClients)
          body.allowedClients = o.allowedClients
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
        print(cmd, await (await clientFor(cmd)).request<Share>('POST', '/api/v1/shares', body), SHARE_COLUMNS);
      },
    );
  share
    .command('update')
    .argument('<name>')
    .option('--read-only', 'refuse every modification (EROFS)')
    .option('--read-write', 'allow modifications again')
    .option('--root-squash', 'serve uid 0 as the anonymous user')
    .option('--no-root-squash', 'serve uid 0 as root')
    .option('--all-squash', 'serve every caller as the anonymous user')
    .option('--no-all-squash', "keep callers' uids")
    .option('--anon-uid <uid>', 'anonymous uid', intArg)
    .option('--anon-gid <gid>', 'anonymous gid', intArg)
    .option('--allowed-clients <list>', 'comma-separated addresses / CIDR blocks; "" = any')
    .option(
      '--durability <mode>',
      'writeback, local-durable or remote; refused (SHARE_REEXPORT_REQUIRED) while the share is exported',
      durabilityArg,
    )
    .description(
      'Change the export options of a share created with dfsctl (clients see them at once); for server admins and admins of the share',
    )
    .action(
      async (
        name: string,
        o: {
          readOnly?: boolean;
          readWrite?: boolean;
          rootSquash?: boolean;
          allSquash?: boolean;
          anonUid?: number;
          anonGid?: number;
          allowedClients?: string;
          durability?: string;
        },
        cmd: Command,
      ) => {
        if (o.readOnly && o.readWrite) throw new CliError('give --read-only or --read-write, not both');
        const body: Record<string, unknown> = {};
        if (o.readOnly) body.readOnly = true;
        if (o.readWrite) body.readOnly = false;
        // commander defaults --no-X options to true: only send what was given.
        const given = (flag: string) => cmd.getOptionValueSource(flag) === 'cli';
        if (given('rootSquash')) body.rootSquash = o.rootSquash;
        if (given('allSquash')) body.allSquash = o.allSquash;
        if (o.anonUid !== undefined) body.anonUid = o.anonUid;
        if (o.anonGid !== undefined) body.anonGid = o.anonGid;
        if (o.durability !== undefined) body.durability = o.durability;
        if (o.allowedClients !== undefined)
          body.allowedClients = o.allowedClients
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean);
        if (Object.keys(body).length === 0) throw new CliError('nothing to change: see dfsctl share update --help');
        print(
          cmd,
          await (await clientFor(cmd)).request<Share>('PATCH', `/api/v1/shares/${shareSegment(name)}`, body),
          SHARE_COLUMNS,
        );
      },
    );
  share
    .command('delete')
    .argument('<name>')
    .description('Stop exporting a share and forget it (data stays in its stores)')
    .action(async (name: string, _o: unknown, cmd: Command) => {
      await (await clientFor(cmd)).request('DELETE', `/api/v1/shares/${shareSegment(name)}`);
      console.log(`Deleted share ${name}.`);
    });

  // ---- adapters
  const adapter = program.command('adapter').description('Protocol adapters (nfs): enable, disable, port');
  adapter
    .command('list')
    .description('List adapters')
    .action(async (_o: unknown, cmd: Command) =>
      print(cmd, await (await clientFor(cmd)).request<Adapter[]>('GET', '/api/v1/adapters'), ADAPTER_COLUMNS),
    );
  adapter
    .command('show')
    .argument('<name>')
    .description('Show one adapter')
    .action(async (name: string, _o: unknown, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Adapter>('GET', `/api/v1/adapters/${seg(name)}`),
        ADAPTER_COLUMNS,
      ),
    );
  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    adapter
      .command(verb)
      .argument('<name>')
      .description(`${verb === 'enable' ? 'Start' : 'Stop'} an adapter's listener now (persists across restarts)`)
      .action(async (name: string, _o: unknown, cmd: Command) =>
        print(
          cmd,
          await (await clientFor(cmd)).request<Adapter>('PATCH', `/api/v1/adapters/${seg(name)}`, { enabled }),
          ADAPTER_COLUMNS,
        ),
      );
  }
  adapter
    .command('set-port')
    .argument('<name>')
    .argument('<port>', 'TCP/UDP port', portArg)
    .description('Move an adapter to another port now')
    .action(async (name: string, port: number, _o: unknown, cmd: Command) =>
      print(
        cmd,
        await (await clientFor(cmd)).request<Adapter>('PATCH', `/api/v1/adapters/${seg(name)}`, { port }),
        ADAPTER_COLUMNS,
      ),
    );
}
