/**
 * Option parsing shared by the repository commands (init, commit, log, show, refs): the verb's
 * option table (./args.ts) with `--opt=V` and `--opt V` both accepted (as ostree does), errors as
 * CfsError.
 */
import { CfsError } from '../errors.js';
import { openRepo, type Repo } from '../ostree/repo.js';
import { type OptionTable, type Parsed, type VerbSpec, parseVerb } from './args.js';

export type { Parsed } from './args.js';

/** The verb named by a usage text's first line ("Usage: cfskit admin deploy ..."). */
function verbOf(usage: string): string {
  return /^Usage: cfskit ((?:admin |remote )?[a-z][a-z-]*)/.exec(usage)?.[1] ?? 'cfskit';
}

/**
 * Parses `args` against `options`; returns null after printing help for --help. `usage` is either
 * the verb's spec or (for a command not yet given one) its usage text, printed above the options.
 */
export function parseCommand(args: string[], options: OptionTable, usage: string | VerbSpec): Parsed | null {
  const spec: VerbSpec = typeof usage === 'string' ? { name: verbOf(usage), synopsis: [], usageText: usage, options } : { ...usage, options };
  return parseVerb(spec, args);
}

/** The `--repo` option, required, opened. */
export function repoOption(p: Parsed, _usage?: unknown): Repo {
  const path = p.values.repo;
  if (typeof path !== 'string' || path === '') throw new CfsError('--repo is required', { code: 'EUSAGE' });
  return openRepo(path);
}

/** Exactly `n` positional arguments. */
export function positionals(p: Parsed, n: number, _usage?: unknown): string[] {
  const got = p.positionals.length;
  if (got > n) throw new CfsError(`unexpected argument '${p.positionals[n]}'${n ? ` (takes ${n})` : ''}`, { code: 'EUSAGE' });
  if (got < n) throw new CfsError(`expected ${n} argument${n > 1 ? 's' : ''}, got ${got}`, { code: 'EUSAGE' });
  return p.positionals;
}
