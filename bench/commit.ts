/**
 * `cfskit commit` of a tree into a fresh repo (objects + image + stub commit) against
 * `ostree commit` of the same tree into a fresh bare-user repo (issue 14: ≤ 1.0×). Both cold
 * (a new repo every run), both fsyncing (their defaults); the tree itself is in the page cache
 * for both. Pairs are interleaved in one run; whole processes, median of --runs.
 * ostree is looked up in $CFSKIT_PEER_DIR, then on PATH; without it only cfskit's figure prints.
 *
 *   npm run build && npm run bench -- commit [--runs=1] [--tree=/usr/share]
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPeer, interleaved, load, row, timed } from './peer.js';

const arg = (name: string, def: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const runs = Number(arg('runs', '1'));
const tree = arg('tree', '/usr/share');
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(CLI)) {
  console.error('dist/cli/main.js is missing: run `npm run build` first');
  process.exit(1);
}
const ostree = findPeer('ostree');
if (!ostree) console.log('ostree not found in $CFSKIT_PEER_DIR or on PATH: its row is skipped');
const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-commit-'));
let n = 0;
/** A fresh repo per run; its init is not timed. */
const fresh = (init: (repo: string) => void): string => {
  const repo = join(work, `repo-${n++}`);
  init(repo);
  return repo;
};
try {
  const ours = () => {
    const repo = fresh((r) => timed(process.execPath, [CLI, 'init', `--repo=${r}`, '--mode=bare-user']));
    try {
      return timed(process.execPath, [CLI, 'commit', `--repo=${repo}`, '--branch=bench', tree]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  };
  const theirs = () => {
    const repo = fresh((r) => timed(ostree!, ['init', `--repo=${r}`, '--mode=bare-user']));
    try {
      return timed(ostree!, ['commit', `--repo=${repo}`, '--branch=bench', tree]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  };
  const before = load();
  const [o, c] = interleaved(runs, ostree ? [ours, theirs] : [ours]);
  console.log(`commit of ${tree} into a fresh repo, median of ${runs}`);
  console.log(`${row('cfskit commit vs ostree commit (bare-user)', o, c ?? null, '≤1.0× wall')}  load ${before}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
