/**
 * `cfskit pull --repo=R [--depth=N] [--mirror] [--dry-run] REMOTE[:REF] [REF...]`: stub commits,
 * images and missing cfs objects over HTTP(S), verified before they are stored (src/pull/).
 * Progress on a TTY; quiet when piped.
 */
import { CfsError } from '../errors.js';
import { pull } from '../pull/pull.js';
import { createProgress } from './progress.js';
import type { VerbSpec } from './args.js';
import { parseCommand, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'pull',
  synopsis: ['--repo=PATH [OPTIONS] REMOTE[:REF] [REF...]'],
  description: `Fetch the stub commits of REF (default: the remote's configured branches), their images and
the cfs objects the repository lacks from REMOTE over HTTP(S), each verified before it is stored,
then move refs/remotes/REMOTE/REF.`,
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    depth: { type: 'string', value: 'N', help: 'parent commits to pull too (-1: all history; default 0)' },
    mirror: { type: 'boolean', help: 'write refs/heads/REF instead of refs/remotes/REMOTE/REF' },
    'dry-run': { type: 'boolean', help: 'print what would be fetched and the ref moves; change nothing' },
    'network-retries': { type: 'string', value: 'N', help: 'retries of a failed request (default 5)' },
    timeout: { type: 'string', value: 'SECONDS', help: 'give up on a request idle this long (default 30)' },
    quiet: { type: 'boolean', short: 'q', help: 'no progress display (drawn only when stderr is a terminal)' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  const [first, ...more] = p.positionals;
  if (!first) throw new CfsError('REMOTE is required', { code: 'EUSAGE' });
  const colon = first.indexOf(':');
  const remote = colon >= 0 ? first.slice(0, colon) : first;
  const refs = [...(colon >= 0 ? [first.slice(colon + 1)] : []), ...more];
  const int = (name: string, min: number): number | undefined => {
    const v = p.values[name] as string | undefined;
    if (v === undefined) return undefined;
    if (!/^-?\d+$/.test(v) || Number(v) < min) throw new CfsError(`--${name} needs an integer >= ${min}, got '${v}'`, { code: 'EUSAGE' });
    return Number(v);
  };
  const repo = repoOption(p);
  const progress = createProgress({ quiet: p.values.quiet === true });
  const timeout = int('timeout', 1);
  let r;
  try {
    r = await pull(repo, {
      remote, refs, depth: int('depth', -1) ?? 0, mirror: p.values.mirror === true, dryRun: p.values['dry-run'] === true,
      retries: int('network-retries', 0), timeoutMs: timeout === undefined ? undefined : timeout * 1000, progress,
    });
  } finally {
    progress?.stop();
  }
  if (p.values['dry-run']) {
    process.stdout.write(`Would fetch ${r.commits} commits, ${r.objects} objects, ${r.bytes} bytes\n`);
    for (const ref of r.refs) process.stdout.write(`${ref.ref} ${ref.previous ?? '(none)'} -> ${ref.checksum}\n`);
    return 0;
  }
  for (const ref of r.refs) if (ref.previous !== ref.checksum) process.stdout.write(`${ref.ref}: ${ref.checksum}\n`);
  process.stdout.write(`${r.commits} metadata, ${r.objects} content objects fetched; ${r.received} bytes transferred in ${r.requests} requests\n`);
  return 0;
}
