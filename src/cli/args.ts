/**
 * The argument layer of every verb: one option table per verb (a superset of node:util parseArgs's
 * option config, plus help text and a value name) from which both the parser and `--help` come.
 * Options parse as GNU getopt_long does: `--name=V` or `--name V`, unambiguous prefixes of long
 * names, `-x V`/`-xV`, grouped short booleans, `--` ends the options. Refusals use getopt's
 * wording and suggest the nearest option.
 */
import { CfsError } from '../errors.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  default?: string | boolean | string[] | boolean[];
  /** One line (or several, '\n'-separated) for `--help`. */
  help?: string;
  /** The value's name in `--help` (default VALUE). */
  value?: string;
}

export type OptionTable = Record<string, OptionSpec>;

export interface Parsed {
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

/** One verb: `cfskit NAME`, its synopsis lines (after the name), a description and its options. */
export interface VerbSpec {
  name: string;
  synopsis: string[];
  description?: string;
  options: OptionTable;
  /** A hand-written usage text shown instead of synopsis and description. */
  usageText?: string;
}

export const HELP_OPTION: OptionTable = { help: { type: 'boolean', short: 'h', help: 'show this help and exit' } };

/** A refusal of the argument vector itself (exit 2, as getopt-based tools). */
export class UsageError extends CfsError {
  constructor(
    readonly verb: string,
    reason: string,
    readonly suggestion?: string,
  ) {
    super(reason, { code: 'EUSAGE' });
  }
}

/** Damerau-free edit distance, for "did you mean". */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The candidate nearest to `given` (within a third of its length, at least 1), if any. */
export function nearest(given: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(1, Math.floor(given.length / 3));
  for (const c of candidates) {
    const d = c.startsWith(given) || given.startsWith(c) ? Math.min(distance(given, c), bestD) : distance(given, c);
    if (d <= bestD && (best === undefined || d < bestD)) [best, bestD] = [c, d];
  }
  return best;
}

function lookupLong(verb: string, table: OptionTable, given: string): string {
  if (given in table) return given;
  const matches = Object.keys(table).filter((o) => o.startsWith(given));
  if (matches.length === 1 && given !== '') return matches[0];
  if (matches.length > 1 && given !== '') throw new UsageError(verb, `option '--${given}' is ambiguous; possibilities: ${matches.map((m) => `'--${m}'`).join(' ')}`);
  const near = nearest(given, Object.keys(table));
  throw new UsageError(verb, `unrecognized option '--${given}'`, near && `--${near}`);
}

/** Parses `args` against `table` (plus --help); returns null after printing help for --help. */
export function parseVerb(spec: VerbSpec, args: string[]): Parsed | null {
  const table = { ...spec.options, ...HELP_OPTION };
  const verb = spec.name;
  const values: Parsed['values'] = {};
  const positionals: string[] = [];
  const set = (name: string, value: string | boolean): void => {
    if (table[name].multiple) ((values[name] ??= []) as (string | boolean)[]).push(value as string);
    else values[name] = value;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = lookupLong(verb, table, a.slice(2, eq < 0 ? undefined : eq));
      if (table[name].type === 'boolean') {
        if (eq >= 0) throw new UsageError(verb, `option '--${name}' doesn't allow an argument`);
        set(name, true);
      } else if (eq >= 0) set(name, a.slice(eq + 1));
      else if (i + 1 < args.length) set(name, args[++i]);
      else throw new UsageError(verb, `option '--${name}' requires an argument`);
      continue;
    }
    if (a.startsWith('-') && a !== '-') {
      for (let j = 1; j < a.length; j++) {
        const name = Object.keys(table).find((o) => table[o].short === a[j]);
        if (!name) throw new UsageError(verb, `invalid option -- '${a[j]}'`);
        if (table[name].type === 'boolean') {
          set(name, true);
          continue;
        }
        if (j + 1 < a.length) set(name, a.slice(j + 1));
        else if (i + 1 < args.length) set(name, args[++i]);
        else throw new UsageError(verb, `option requires an argument -- '${a[j]}'`);
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  if (values.help) {
    process.stdout.write(helpText(spec));
    return null;
  }
  for (const [name, o] of Object.entries(table)) if (values[name] === undefined && o.default !== undefined) values[name] = o.default as string | boolean | string[];
  return { values, positionals };
}

/** `--name=VALUE` (or `-s, --name=VALUE`) as help shows it. */
export function optionLabel(name: string, o: OptionSpec): string {
  const long = `--${name}${o.type === 'string' ? `=${o.value ?? 'VALUE'}` : ''}`;
  return o.short ? `-${o.short}, ${long}` : `    ${long}`;
}

/** The full help of a verb: synopsis, description, and one entry per option of its table. */
export function helpText(spec: VerbSpec): string {
  const table = { ...spec.options, ...HELP_OPTION };
  const labels = Object.entries(table).map(([name, o]) => [optionLabel(name, o) + (o.multiple ? '...' : ''), o] as const);
  const width = Math.min(30, Math.max(...labels.map(([l]) => l.length)));
  const lines = labels.map(([label, o]) => {
    const help = [...(o.help ?? '').split('\n')];
    if (o.default !== undefined && o.default !== false && !/\(default/.test(o.help ?? '')) help[help.length - 1] += ` (default ${o.default})`;
    const first = label.length > width ? [`  ${label}`, ''.padEnd(width + 4)] : [`  ${label.padEnd(width)}  `];
    const head = first.length > 1 ? `${first[0]}\n${first[1]}${help[0]}` : `${first[0]}${help[0]}`;
    return [head, ...help.slice(1).map((h) => `${''.padEnd(width + 4)}${h}`)].join('\n').trimEnd();
  });
  if (spec.usageText) return `${spec.usageText.trimEnd()}\n\nOptions:\n${lines.join('\n')}\n`;
  const synopsis = spec.synopsis.map((s, i) => `${i ? '       ' : 'Usage: '}cfskit ${spec.name}${s ? ` ${s}` : ''}`);
  return `${synopsis.join('\n')}\n${spec.description ? `\n${spec.description.trimEnd()}\n` : ''}\nOptions:\n${lines.join('\n')}\n`;
}
