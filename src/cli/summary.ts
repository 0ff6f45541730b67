/**
 * `cfskit summary --repo=R -u`: regenerate the repository's `summary` (src/ostree/summary.ts);
 * `--view` prints the refs it lists, as `ostree summary --view` does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { decodeSummary, updateSummary } from '../ostree/summary.js';
import type { VerbSpec } from './args.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

export const spec: VerbSpec = {
  name: 'summary',
  synopsis: ['--repo=PATH -u|--update', '--repo=PATH --view'],
  description: "Regenerate the repository's summary file (the refs a remote offers), or print the refs it lists.",
  options: {
    repo: { type: 'string', value: 'PATH', help: 'the repository (required)' },
    update: { type: 'boolean', short: 'u', help: 'regenerate the summary from the refs' },
    view: { type: 'boolean', help: 'print each ref of the summary with its commit, as ostree summary --view' },
  },
};

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, spec.options, spec);
  if (!p) return 0;
  positionals(p, 0);
  const repo = repoOption(p);
  if (p.values.update) updateSummary(repo);
  else if (p.values.view) {
    const file = join(repo.path, 'summary');
    let bytes: Uint8Array;
    try {
      bytes = readFileSync(file);
    } catch {
      throw new CfsError('no summary file (run cfskit summary -u)', { file, code: 'ENOENT' });
    }
    for (const r of decodeSummary(bytes, file).refs) {
      process.stdout.write(`* ${r.name}\n    Latest Commit (${r.size} bytes):\n      ${r.checksum}\n${r.version !== undefined ? `    Version (ostree.commit.version): ${r.version}\n` : ''}`);
    }
  } else throw new CfsError('give -u or --view', { code: 'EUSAGE' });
  return 0;
}
