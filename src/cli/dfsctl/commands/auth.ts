import type { Command } from 'commander';
import { ApiClient, CliError } from '../client.js';
import { DEFAULT_SERVER, contextFilePath, loadContexts, saveContexts, tlsSettings } from '../contexts.js';
import { promptHidden, readStdinLine } from '../prompt.js';
import { clientFor, globalOptions, print } from '../session.js';

interface Tokens {
  accessToken: string;
  refreshToken: string;
  mustChangePassword: boolean;
}

async function secret(opts: { passwordStdin?: boolean }, envName: string, question: string): Promise<string> {
  if (opts.passwordStdin) return readStdinLine();
  const fromEnv = process.env[envName];
  if (fromEnv !== undefined && fromEnv.length > 0) return fromEnv;
  return promptHidden(question);
}

/** login, logout, passwd, context. */
export function registerAuthCommands(program: Command): void {
  program
    .command('login')
    .description('Log in to a DittoFS server and save the tokens (file mode 0600) in the context')
    .option('-u, --user <name>', 'user name', 'admin')
    .option('--password-stdin', 'read the password from standard input (else $DFSCTL_PASSWORD, else a prompt)')
    .option('--ca-cert <file>', 'https:// servers: PEM CA (or self-signed) certificate to verify the server with')
    .option('--insecure', 'https:// servers: do not verify the certificate (warned about on every command)')
    .action(
      async (opts: { user: string; passwordStdin?: boolean; caCert?: string; insecure?: boolean }, cmd: Command) => {
        const g = globalOptions(cmd);
        const path = contextFilePath();
        const data = await loadContexts(path);
        const name = g.context ?? data.current ?? 'default';
        const server = g.server ?? data.contexts[name]?.server ?? DEFAULT_SERVER;
        const tls = await tlsSettings(server, opts, data.contexts[name]);
        const password = await secret(opts, 'DFSCTL_PASSWORD', `Password for ${opts.user} at ${server}: `);
        const client = new ApiClient(name, { server, ...tls });
        const t = await client.request<Tokens>(
          'POST',
          '/api/v1/auth/login',
          { username: opts.user, password },
          { auth: false },
        );
        data.contexts[name] = {
          server,
          user: opts.user,
          accessToken: t.accessToken,
          refreshToken: t.refreshToken,
          ...tls,
        };
        data.current = name;
        await saveContexts(path, data);
        console.log(`Logged in to ${server} as ${opts.user} (context ${name}).`);
        if (t.mustChangePassword) console.log('You must change your password before anything else: dfsctl passwd');
      },
    );

  program
    .command('logout')
    .description('Forget the tokens of the current context')
    .action(async (_opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const path = contextFilePath();
      const data = await loadContexts(path);
      const name = g.context ?? data.current ?? 'default';
      const ctx = data.contexts[name];
      if (ctx) {
        delete ctx.accessToken;
        delete ctx.refreshToken;
        await saveContexts(path, data);
      }
      console.log(`Logged out (context ${name}).`);
    });

  program
    .command('passwd')
    .description('Change your own password (required after the first login)')
    .option('--password-stdin', 'read the current and the new password as two lines of standard input')
    .action(async (opts: { passwordStdin?: boolean }, cmd: Command) => {
      const client = await clientFor(cmd);
      let current: string;
      let next: string;
      if (opts.passwordStdin) {
        const chunks: Buffer[] = [];
        for await (const c of process.stdin) chunks.push(c as Buffer);
        [current, next] = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
        if (!next) throw new CliError('--password-stdin expects two lines: the current password, then the new one');
      } else {
        current = await promptHidden('Current password: ');
        next = await promptHidden('New password: ');
        if ((await promptHidden('New password again: ')) !== next) throw new CliError('the new passwords differ');
      }
      const t = await client.request<Tokens>('POST', '/api/v1/auth/password', {
        currentPassword: current,
        newPassword: next,
      });
      const path = contextFilePath();
      const data = await loadContexts(path);
      data.contexts[client.contextName] = {
        ...client.context,
        accessToken: t.accessToken,
        refreshToken: t.refreshToken,
      };
      await saveContexts(path, data);
      console.log('Password changed.');
    });

  const context = program.command('context').description('Named servers: list, use, delete');
  context
    .command('list')
    .description('List contexts (the current one is marked *)')
    .action(async (_opts: unknown, cmd: Command) => {
      const data = await loadContexts(contextFilePath());
      const rows = Object.entries(data.contexts).map(([name, c]) => ({
        current: name === data.current ? '*' : '',
        name,
        server: c.server,
        user: c.user ?? '',
        loggedIn: c.accessToken !== undefined,
      }));
      print(cmd, rows, [
        ['', (r) => r.current],
        ['NAME', (r) => r.name],
        ['SERVER', (r) => r.server],
        ['USER', (r) => r.user],
        ['LOGGED IN', (r) => (r.loggedIn ? 'yes' : 'no')],
      ]);
    });
  context
    .command('use')
    .description('Make a context the current one')
    .argument('<name>')
    .action(async (name: string) => {
      const path = contextFilePath();
      const data = await loadContexts(path);
      if (!data.contexts[name])
        throw new CliError(`no context ${name}; create it with: dfsctl login --context ${name} --server URL`);
      data.current = name;
      await saveContexts(path, data);
      console.log(`Using context ${name} (${data.contexts[name].server}).`);
    });
  context
    .command('delete')
    .description('Delete a context and its tokens')
    .argument('<name>')
    .action(async (name: string) => {
      const path = contextFilePath();
      const data = await loadContexts(path);
      if (!data.contexts[name]) throw new CliError(`no context ${name}`);
      delete data.contexts[name];
      if (data.current === name) delete data.current;
      await saveContexts(path, data);
      console.log(`Deleted context ${name}.`);
    });
}
