/**
 * Option parsing shared by the repository commands (init, commit, log, show, refs): node's
 * parseArgs, with `--opt=V` and `--opt V` both accepted (as ostree does), errors as CfsError.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { CfsError } from '../errors.js';
import { openRepo, type Repo } from '../ostree/repo.js';

type Options = NonNullable<ParseArgsConfig['options']>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** Parses `args`; returns null after printing `usage` for --help. */
export function parseCommand(args: string[], options: Options, usage: string): Parsed | null {
  let parsed: Parsed;
  try {
    parsed = parseArgs({ args, options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true }) as Parsed;
  } catch (e) {
    throw new CfsError(`${(e as Error).message}\n${usage}`, { code: 'EUSAGE' });
  }
  if (parsed.values.help) {
    process.stdout.write(usage);
    return null;
  }
  return parsed;
}

/** The `--repo` option, required, opened. */
export function repoOption(p: Parsed, usage: string): Repo {
  const path = p.values.repo;
  if (typeof path !== 'string' || path === '') throw new CfsError(`--repo is required\n${usage}`, { code: 'EUSAGE' });
  return openRepo(path);
}

/** Exactly `n` positional arguments. */
export function positionals(p: Parsed, n: number, usage: string): string[] {
  if (p.positionals.length !== n) throw new CfsError(`expected ${n} argument(s), got ${p.positionals.length}\n${usage}`, { code: 'EUSAGE' });
  return p.positionals;
}
