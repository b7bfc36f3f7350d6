#!/usr/bin/env node
import { Command } from 'commander';
import { VERSION } from './version.js';

// The REST control plane does not exist yet (see the control-plane issue):
// every command says so plainly and exits non-zero instead of pretending.
const program = new Command();
program
  .name('dfsctl')
  .description('DittoFS control-plane client (not available yet: the REST control plane is not built)')
  .version(VERSION)
  .argument('[command...]')
  .allowUnknownOption(true)
  .action(() => {
    console.error('dfsctl: not available yet. The REST control plane is planned; for now configure shares in the YAML file given to `dfs start --config`.');
    process.exit(2);
  });
await program.parseAsync(process.argv);
