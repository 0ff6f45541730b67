/**
 * Dispatch of a verb table (`cfskit VERB`, `cfskit admin VERB`): `help [VERB]`, "did you mean"
 * for an unknown verb, and the printing of a refused argument vector (one reason line, a
 * suggestion, a pointer to the help; exit 2); other usage errors as one line naming the verb
 * (exit 1). The remaining errors reach the entry point.
 */
import { CfsError, errnoCode } from '../errors.js';
import { UsageError, nearest } from './args.js';
import { type CommandTable, commandList } from './command-table.js';

export interface VerbGroup {
  /** "cfskit" or "cfskit admin". */
  prefix: string;
  table: CommandTable;
  /** The group's usage, listing its verbs. */
  usage: () => string;
}

/** Prints a usage error of `verb` ("" for cfskit itself) and returns its exit status. */
export function usageFailure(verb: string, reason: string, suggestion?: string): number {
  const did = suggestion ? `Did you mean '${suggestion}'?\n` : '';
  process.stderr.write(`${verb ? `cfskit ${verb}` : 'cfskit'}: ${reason}\n${did}Try 'cfskit help${verb ? ` ${verb}` : ''}' for more information.\n`);
  return 2;
}

/**
 * A system call's failure that no layer below worded (node's "CODE: description, syscall 'path'")
 * as one CfsError line: "path: description".
 */
function asCfsError(e: unknown): unknown {
  const sys = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || e instanceof CfsError || typeof sys.code !== 'string' || typeof sys.syscall !== 'string') return e;
  const path = sys.path === undefined ? undefined : sys.path.length > 120 ? `${sys.path.slice(0, 100)}...(${sys.path.length} bytes)` : sys.path;
  const reason = e.message.replace(/^[A-Z0-9_]+: /, '').replace(/, \w+( '.*')?$/s, '');
  return new CfsError(reason, { file: path, code: errnoCode(sys.code) }, { cause: e });
}

/** Runs `args` (VERB ARGS...) in `group`. */
export async function dispatch(group: VerbGroup, args: string[]): Promise<number> {
  const [name, ...rest] = args;
  const sub = group.prefix.replace(/^cfskit ?/, '');
  if (!name || name === '--help' || name === '-h') {
    (name ? process.stdout : process.stderr).write(group.usage());
    return name ? 0 : 1;
  }
  if (name === 'help') {
    if (rest.length === 0) {
      process.stdout.write(group.usage());
      return 0;
    }
    return dispatch(group, [...rest, '--help']);
  }
  const command = group.table[name];
  if (!command) {
    const near = nearest(name, Object.keys(group.table));
    return usageFailure(sub, `unknown ${sub ? `${sub} sub` : ''}command '${name}'`, near);
  }
  try {
    return await (await command.load()).run(rest);
  } catch (e) {
    if (e instanceof UsageError) return usageFailure(e.verb, e.message, e.suggestion);
    // Any other usage error: one line naming the whole verb ("cfskit admin deploy: ...").
    if (e instanceof CfsError && e.code === 'EUSAGE') {
      process.stderr.write(`cfskit ${sub ? `${sub} ` : ''}${name}: ${e.message}\n`);
      return 1;
    }
    throw asCfsError(e);
  }
}

/** The usage of a verb group: synopsis, verb list, pointer to per-verb help. */
export function groupUsage(prefix: string, table: CommandTable): string {
  return `Usage: ${prefix} COMMAND [ARGS...]\n\nCommands:\n${commandList(table)}\n\nRun '${prefix} help COMMAND' (or '${prefix} COMMAND --help') for a command's options.\n`;
}
