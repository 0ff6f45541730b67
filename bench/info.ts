/**
 * `cfskit info dump|ls|objects` against `composefs-info` 1.0.8 on one image (issue 14: ≤ 1.5×),
 * stdout to /dev/null, each pair interleaved in one run; whole processes (start-up counts).
 * The image is built by cfskit from --tree (default /usr/share, no store); both tools' outputs
 * are compared once before timing. A last row times both on the image of a one-file tree
 * (start-up alone), beside a bare `node -e 0`. composefs-info is looked up in $CFSKIT_PEER_DIR, then on
 * PATH; without it only cfskit's figures are printed.
 *
 *   npm run build && npm run bench -- info [--runs=3] [--tree=/usr/share]
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findPeer, interleaved, load, row, timed } from './peer.js';

const arg = (name: string, def: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const runs = Number(arg('runs', '3'));
const tree = arg('tree', '/usr/share');
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(CLI)) {
  console.error('dist/cli/main.js is missing: run `npm run build` first');
  process.exit(1);
}
const C = findPeer('composefs-info');
if (!C) console.log('composefs-info not found in $CFSKIT_PEER_DIR or on PATH: C rows skipped');
const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-info-'));
const devnull = openSync('/dev/null', 'w');
try {
  const image = join(work, 'tree.cfs');
  timed(process.execPath, [CLI, 'mkcomposefs', '--quiet', tree, image]);
  console.log(`cfskit info vs composefs-info on the image of ${tree}, median of ${runs}; C = ${C ?? 'absent'}`);
  for (const cmd of ['dump', 'ls', 'objects']) {
    if (C) {
      const out = (bin: string, args: string[]) => spawnSync(bin, args, { maxBuffer: 1 << 30 }).stdout;
      if (!out(process.execPath, [CLI, 'info', cmd, image]).equals(out(C, [cmd, image]))) throw new Error(`info ${cmd}: output differs from composefs-info's`);
    }
    const quiet = { stdio: ['ignore', devnull, 'pipe'] as ('ignore' | 'pipe' | number)[] };
    const before = load();
    const fns = [() => timed(process.execPath, [CLI, 'info', cmd, image], quiet)];
    if (C) fns.push(() => timed(C, [cmd, image], quiet));
    const [o, c] = interleaved(runs, fns);
    console.log(`${row(`info ${cmd}`, o, c ?? null, '≤1.5× wall')}  load ${before}`);
  }
  // Start-up alone: the image of a one-file tree.
  const small = join(work, 'one');
  mkdirSync(small);
  writeFileSync(join(small, 'file'), 'x\n');
  const one = join(work, 'one.cfs');
  timed(process.execPath, [CLI, 'mkcomposefs', '--quiet', small, one]);
  const quiet = { stdio: ['ignore', devnull, 'pipe'] as ('ignore' | 'pipe' | number)[] };
  const before = load();
  const fns = [() => timed(process.execPath, [CLI, 'info', 'dump', one], quiet)];
  if (C) fns.push(() => timed(C, ['dump', one], quiet));
  const bare = interleaved(runs, [() => timed(process.execPath, ['-e', '0'])])[0];
  const [o, c] = interleaved(runs, fns);
  console.log(`${row('info dump, one-file image (start-up)', o, c ?? null, `none; node -e 0 takes ${bare.wall.toFixed(2)} s`)}  load ${before}`);
} finally {
  closeSync(devnull);
  rmSync(work, { recursive: true, force: true });
}
