/**
 * `cfskit summary --repo=R -u`: regenerate the repository's `summary` (src/ostree/summary.ts);
 * `--view` prints the refs it lists, as `ostree summary --view` does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { decodeSummary, updateSummary } from '../ostree/summary.js';
import { parseCommand, positionals, repoOption } from './repo-args.js';

const USAGE = 'Usage: cfskit summary --repo=PATH -u|--update\n       cfskit summary --repo=PATH --view\n';

export async function run(args: string[]): Promise<number> {
  const p = parseCommand(args, { repo: { type: 'string' }, update: { type: 'boolean', short: 'u' }, view: { type: 'boolean' } }, USAGE);
  if (!p) return 0;
  positionals(p, 0, USAGE);
  const repo = repoOption(p, USAGE);
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
  } else throw new CfsError(`give -u or --view\n${USAGE}`, { code: 'EUSAGE' });
  return 0;
}
