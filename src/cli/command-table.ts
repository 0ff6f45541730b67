/**
 * Command tables of the CLI (`cfskit COMMAND`, `cfskit admin SUBCOMMAND`): each name maps to a
 * summary and a lazy loader, so a command pays only for the modules it uses.
 */

/** A command module: `run(args)` returns the exit status. */
export type CommandModule = { run(args: string[]): Promise<number> };

export type CommandTable = Record<string, { summary: string; load: () => Promise<CommandModule> }>;

/** One "  NAME  SUMMARY" line per command, names padded to one width. */
export function commandList(table: CommandTable): string {
  const width = Math.max(...Object.keys(table).map((c) => c.length));
  return Object.entries(table)
    .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
    .join('\n');
}
