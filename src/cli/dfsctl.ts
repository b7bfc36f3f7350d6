#!/usr/bin/env node
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError } from './dfsctl/client.js';
import { registerAuthCommands } from './dfsctl/commands/auth.js';
import { registerResourceCommands } from './dfsctl/commands/resources.js';
import { registerCompletionCommand } from './dfsctl/completion.js';
import { OUTPUT_FORMATS } from './dfsctl/output.js';
import { VERSION } from './version.js';

const program = new Command();
program
  .name('dfsctl')
  .description(
    'Manage a running DittoFS server through its REST API: users, groups, permissions, stores, shares, adapters.\n' +
      'Start with: dfsctl login (default server http://127.0.0.1:12080). See docs/dfsctl.md.',
  )
  .version(VERSION)
  .option('-s, --server <url>', "API address, e.g. http://10.0.0.5:12080 (default: the context's)")
  .option('-c, --context <name>', 'named server context (default: the current one)')
  .addOption(
    new Option('-o, --output <format>', 'table, json or yaml').default('table').argParser((v) => {
      if (!(OUTPUT_FORMATS as readonly string[]).includes(v))
        throw new InvalidArgumentError('must be table, json or yaml');
      return v;
    }),
  )
  .showHelpAfterError('(run with --help for usage)');

registerAuthCommands(program);
registerResourceCommands(program);
registerCompletionCommand(program);

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CliError) {
    console.error(`dfsctl: ${e.message}${e.code ? ` [${e.code}]` : ''}`);
    process.exit(1);
  }
  console.error(`dfsctl: ${(e as Error).message}`);
  process.exit(1);
}
