/**
 * Directory and tar sources against C mkcomposefs (issue 14), each pair from one run, interleaved:
 * - a directory → image without a store, all cores and one thread (C --skip-xattrs, the same
 *   --threads), on a large tree (default /usr/share) and a ~5k-entry tree (default
 *   /usr/share/doc); the images must be byte-equal to C's;
 * - the large tree as a `.tar` (against C on the same tree as a directory) and as a `.tar.gz`
 *   (against `gzip -dc` + our `.tar` time).
 * Wall time and peak RSS are for whole processes (start-up counts), medians of --runs.
 * C mkcomposefs is looked up in $CFSKIT_PEER_DIR, then on PATH; without it the C rows are skipped.
 *
 *   npm run build && npm run bench -- dir [--runs=3] [--tree=/usr/share] [--small=/usr/share/doc] [--only=dir,small,tar,gz]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPeer, interleaved, load, row, timed, type Sample } from './peer.js';

const arg = (name: string, def: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const runs = Number(arg('runs', '3'));
const big = arg('tree', '/usr/share');
const small = arg('small', '/usr/share/doc');
const only = new Set(arg('only', 'dir,small,tar,gz').split(','));
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const cores = availableParallelism();

if (!existsSync(CLI)) {
  console.error('dist/cli/main.js is missing: run `npm run build` first');
  process.exit(1);
}
const C = findPeer('mkcomposefs');
if (!C) console.log('C mkcomposefs not found in $CFSKIT_PEER_DIR or on PATH: C rows skipped');
const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-dir-'));
const ours = (args: string[], out = join(work, 'ours.cfs')) => () => timed(process.execPath, [CLI, 'mkcomposefs', '--quiet', ...args, out]);
const theirs = (args: string[], out = join(work, 'c.cfs')) => () => timed(C!, ['--skip-xattrs', ...args, out]);
const same = () => spawnSync('cmp', ['-s', join(work, 'ours.cfs'), join(work, 'c.cfs')]).status === 0;

function pair(label: string, oursArgs: string[], cArgs: string[], target: string, check = true): Sample {
  const before = load();
  const [o, c] = interleaved(runs, C ? [ours(oursArgs), theirs(cArgs)] : [ours(oursArgs)]);
  console.log(`${row(label, o, c ?? null, target)}  load ${before}`);
  if (C && check && !same()) throw new Error(`${label}: the image differs from C's`);
  return o;
}

function entries(tree: string): number {
  return Number(spawnSync('sh', ['-c', 'find "$1" | wc -l', 'sh', tree], { encoding: 'utf8' }).stdout.trim());
}

try {
  console.log(`cfskit vs C mkcomposefs, median of ${runs}; ${cores} cores; C = ${C ?? 'absent'}`);
  const bigLabel = `${big} (${entries(big)} entries)`;
  if (only.has('dir')) {
    pair(`dir ${bigLabel}, all cores`, [big], [big], '≤1.2× wall, ≤2× memory');
    pair(`dir ${bigLabel}, 1 thread`, ['--threads=1', big], ['--threads=1', big], '≤1.2× wall, ≤2× memory');
  }
  if (only.has('small')) {
    const label = `dir ${small} (${entries(small)} entries)`;
    pair(`${label}, all cores`, [small], [small], '≤1.2× wall, ≤2× memory');
    pair(`${label}, 1 thread`, ['--threads=1', small], ['--threads=1', small], '≤1.2× wall, ≤2× memory');
  }
  if (only.has('tar') || only.has('gz')) {
    const tarFile = join(work, 'tree.tar');
    spawnSync('tar', ['-C', big, '-cf', tarFile, '.'], { stdio: 'inherit' });
    const label = `${bigLabel} as .tar (${(statSync(tarFile).size / 1e6).toFixed(0)} MB)`;
    pair(`${label} vs C on the dir`, [`--from-tar=${tarFile}`], [big], '≤1.2× wall', false);
    if (only.has('gz')) {
      const gz = join(work, 'tree.tar.gz');
      spawnSync('sh', ['-c', 'gzip -c "$1" > "$1.gz"', 'sh', tarFile]);
      const before = load();
      const [o, g, t] = interleaved(runs, [
        ours([`--from-tar=${gz}`]),
        () => timed('sh', ['-c', 'gzip -dc "$1" > /dev/null', 'sh', gz]),
        ours([`--from-tar=${tarFile}`]),
      ]);
      const floor = g.wall + t.wall;
      console.log(
        `${`same as .tar.gz (${(statSync(gz).size / 1e6).toFixed(0)} MB)`.padEnd(44)} cfskit ${o.wall.toFixed(2)} s (cpu ${o.cpu.toFixed(2)}) ${o.rssMiB.toFixed(0)} MiB; gzip -dc ${g.wall.toFixed(2)} s (cpu ${g.cpu.toFixed(2)}) + .tar ${t.wall.toFixed(2)} s (cpu ${t.cpu.toFixed(2)}) = ${floor.toFixed(2)} s: ${(o.wall / floor).toFixed(2)}× wall, ${(o.cpu / (g.cpu + t.cpu)).toFixed(2)}× cpu  [target ≤1.2×]  load ${before}`,
      );
    }
  }
  console.log(`load after: ${load()}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

