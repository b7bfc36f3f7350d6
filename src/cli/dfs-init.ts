import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import { defaultConfigYaml } from '../controlplane/config-template.js';

/** `dfs init [FILE]`: write the commented default configuration (never overwrites without --force). */
export function registerInitCommand(program: Command): void {
  program
    .command('init')
    .description('Write a commented default configuration file (default ./dittofs.yaml)')
    .argument('[file]', 'where to write it', 'dittofs.yaml')
    .option('-f, --force', 'overwrite an existing file')
    .action(async (file: string, opts: { force?: boolean }) => {
      const path = resolve(file);
      await mkdir(dirname(path), { recursive: true });
      try {
        await writeFile(path, defaultConfigYaml(), { flag: opts.force ? 'w' : 'wx', mode: 0o644 });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          console.error(`dfs init: ${path} already exists; use --force to overwrite it`);
          process.exit(1);
        }
        throw e;
      }
      console.log(`Wrote ${path}. Start the server with: dfs start --config ${file}`);
    });
}
