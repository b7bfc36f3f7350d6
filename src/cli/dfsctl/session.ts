import type { Command } from 'commander';
import { ApiClient, CliError } from './client.js';
import { DEFAULT_SERVER, contextFilePath, loadContexts, type Context } from './contexts.js';
import { render, type Column, type OutputFormat } from './output.js';

export interface GlobalOptions {
  server?: string;
  context?: string;
  output: OutputFormat;
}

/** The options given before the subcommand (dfsctl --server URL -o json user list). */
export function globalOptions(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals() as GlobalOptions;
}

/** The client of the selected context (--context, else the current one, else "default"). */
export async function clientFor(cmd: Command): Promise<ApiClient> {
  const g = globalOptions(cmd);
  const path = contextFilePath();
  const data = await loadContexts(path);
  const name = g.context ?? data.current ?? 'default';
  const stored = data.contexts[name];
  if (g.context && !stored)
    throw new CliError(`no context ${g.context}; create it with: dfsctl login --context ${g.context} --server URL`);
  const context: Context = { ...(stored ?? { server: DEFAULT_SERVER }) };
  if (g.server) context.server = g.server;
  return new ApiClient(name, context, { path, data });
}

/** Print data in the chosen output format. */
export function print<T>(cmd: Command, data: T | T[], columns: Column<T>[]): void {
  console.log(render(globalOptions(cmd).output, data, columns));
}
