import type { Command } from 'commander';

/** Every command path with its subcommand names and options, from the commander tree. */
function tree(cmd: Command, prefix: string[] = [], out: { path: string[]; subs: string[]; opts: string[] }[] = []) {
  out.push({
    path: prefix,
    subs: cmd.commands.map((c) => c.name()),
    opts: cmd.options.map((o) => o.long).filter((l): l is string => l !== undefined),
  });
  for (const c of cmd.commands) tree(c, [...prefix, c.name()], out);
  return out;
}

export function bashCompletion(program: Command): string {
  const cases = tree(program)
    .map(({ path, subs, opts }) => `    "${path.join(' ')}") words="${[...subs, ...opts].join(' ')}" ;;`)
    .join('\n');
  return `# dfsctl bash completion: source <(dfsctl completion bash)
_dfsctl() {
  local cur path="" w i
  cur="\${COMP_WORDS[COMP_CWORD]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ $w == -* ]] && continue
    case "\${path:+$path }$w" in
${tree(program)
  .filter((t) => t.path.length > 0)
  .map((t) => `      "${t.path.join(' ')}") path="${t.path.join(' ')}" ;;`)
  .join('\n')}
    esac
  done
  local words=""
  case "$path" in
${cases}
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _dfsctl dfsctl
`;
}

export function zshCompletion(program: Command): string {
  return `#compdef dfsctl
# dfsctl zsh completion: source <(dfsctl completion zsh)
autoload -U bashcompinit && bashcompinit
${bashCompletion(program)}`;
}

export function fishCompletion(program: Command): string {
  const lines = ['# dfsctl fish completion: dfsctl completion fish | source'];
  for (const { path, subs } of tree(program)) {
    const cond = path.length === 0 ? '__fish_use_subcommand' : `__fish_seen_subcommand_from ${path[path.length - 1]}`;
    for (const s of subs) lines.push(`complete -c dfsctl -f -n '${cond}' -a ${s}`);
  }
  return lines.join('\n');
}

export function registerCompletionCommand(program: Command): void {
  program
    .command('completion')
    .description('Print a shell completion script: bash, zsh or fish (e.g. source <(dfsctl completion bash))')
    .argument('<shell>', 'bash, zsh or fish')
    .action((shell: string) => {
      const gen = { bash: bashCompletion, zsh: zshCompletion, fish: fishCompletion }[shell];
      if (!gen) {
        console.error(`dfsctl: unknown shell ${shell} (bash, zsh or fish)`);
        process.exit(2);
      }
      process.stdout.write(gen(program));
    });
}
