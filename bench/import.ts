/**
 * Import benchmark: a generated OS-shaped tree (≈40k files, ≈500 MB, generated once into
 * /tmp/cfskit-bench-tree and reused) loaded by the directory source into a fresh digest store,
 * and without a store, with all cores and with one thread; also the same tree as one tar layer.
 * Each run is a child process, so its peak RSS is its own. Prints wall time, peak RSS and files/s; runs C `mkcomposefs` beside it when
 * that is on PATH. Figures are noisy on a shared machine.
 *
 *   npx tsx bench/import.ts [--files=N] [--tree=DIR] [--runs=dir-store,dir-store-1t,dir,dir-1t,tar-store,tar,c]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, linkSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const arg = (name: string, def: string): string =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;

/** A deterministic PRNG (mulberry32) so the tree has the same shape every time. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sizes shaped like /usr: mostly small files, a long tail of large ones (≈12 KiB mean). */
function fileSize(r: () => number): number {
  const x = r();
  if (x < 0.45) return Math.floor(r() * 1024);
  if (x < 0.8) return 1024 + Math.floor(r() * 6 * 1024);
  if (x < 0.97) return 8192 + Math.floor(r() * 40 * 1024);
  return 65536 + Math.floor(r() ** 4 * 720 * 1024);
}

function generate(dir: string, files: number): void {
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return;
  rmSync(dir, { recursive: true, force: true });
  const r = prng(42);
  const pool = randomBytes(8 << 20);
  const dirs = ['.'];
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    if (r() < 0.08 || dirs.length < 20) {
      const parent = dirs[Math.floor(r() * dirs.length)];
      const d = `${parent}/d${dirs.length}`;
      mkdirSync(join(dir, d));
      dirs.push(d);
    }
    const parent = dirs[Math.floor(r() * dirs.length)];
    const path = join(dir, parent, `f${i}`);
    const kind = r();
    if (kind < 0.05) {
      symlinkSync(`../target-${i}`, path);
    } else if (kind < 0.06 && i > 0) {
      const other = join(dir, dirs[Math.floor(r() * dirs.length)], `hl${i}`);
      writeFileSync(path, pool.subarray(i % 1000, (i % 1000) + 5000));
      linkSync(path, other);
    } else {
      const size = fileSize(r);
      const off = Math.floor(r() * (pool.length - size));
      // a duplicate now and then (same offset and size as an earlier file)
      const data = r() < 0.05 ? pool.subarray(0, size) : Buffer.concat([Buffer.from(`${i}\n`), pool.subarray(off, off + Math.max(0, size - 8))]);
      writeFileSync(path, data);
      bytes += data.length;
    }
  }
  writeFileSync(marker, `${files} files, ${bytes} bytes\n`);
}

const MiB = 1024 * 1024;

async function child(mode: string, tree: string, store: string | undefined, tarFile: string, threads: number | undefined): Promise<void> {
  const { loadLocalSource } = await import('../src/composefs/sources/index.js');
  const t0 = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  const root =
    mode === 'tar'
      ? await loadLocalSource({ kind: 'tar', paths: [tarFile], options: { digestStore: store } })
      : await loadLocalSource({ kind: 'dir', paths: [tree], options: { digestStore: store, threads } });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  let files = 0;
  const stack = [root];
  while (stack.length) {
    const n = stack.pop()!;
    files++;
    if (n.children) stack.push(...n.children);
  }
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  process.stdout.write(JSON.stringify({ ms, cpuMs, files, rssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n');
}

interface RunFigures {
  ms: number;
  cpuMs: number;
  files: number;
  rssMiB: number;
}

function runChild(mode: string, tree: string, store: string | undefined, tarFile: string, threads?: number): RunFigures {
  const self = fileURLToPath(import.meta.url);
  const args = [`--child=${mode}`, `--tree=${tree}`, `--store=${store ?? ''}`, `--tar=${tarFile}`, `--threads=${threads ?? ''}`];
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`${mode} run failed`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function timeCommand(cmd: string, args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const mode = arg('child', '');
  if (mode) return child(mode, arg('tree', ''), arg('store', '') || undefined, arg('tar', ''), Number(arg('threads', '')) || undefined);
  const files = Number(arg('files', '40000'));
  const tree = arg('tree', '/tmp/cfskit-bench-tree');
  generate(tree, files);
  const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-import-'));
  try {
    const tarFile = join(work, 'tree.tar');
    spawnSync('tar', ['--format=posix', '-C', tree, '-cf', tarFile, '.']);
    const size = spawnSync('du', ['-sb', tree], { encoding: 'utf8' }).stdout.split('\t')[0];
    console.log(`tree: ${tree} (${Number(size) / MiB | 0} MiB; tar ${statSync(tarFile).size / MiB | 0} MiB)`);
    const row = (name: string, r: RunFigures): void =>
      console.log(`${name.padEnd(32)} ${(r.ms / 1000).toFixed(2).padStart(7)} s wall ${(r.cpuMs / 1000).toFixed(2).padStart(7)} s CPU  ${String(Math.round(r.rssMiB)).padStart(5)} MiB peak RSS  ${Math.round(r.files / (r.ms / 1000)).toString().padStart(7)} entries/s  (${r.files} entries)`);
    spawnSync('sync');
    console.log(`load average before: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (${cpus().length} CPUs)`);
    const runs = new Set(arg('runs', 'dir-store,dir-store-1t,dir,dir-1t,tar-store,tar,c').split(','));
    if (runs.has('dir-store')) row(`cfskit dir, fresh store, ${cpus().length} threads`, runChild('dir', tree, join(work, 'store1'), tarFile));
    if (runs.has('dir-store-1t')) row('cfskit dir, fresh store, 1 thread', runChild('dir', tree, join(work, 'store1t'), tarFile, 1));
    if (runs.has('dir')) row(`cfskit dir, no store, ${cpus().length} threads`, runChild('dir', tree, undefined, tarFile));
    if (runs.has('dir-1t')) row('cfskit dir, no store, 1 thread', runChild('dir', tree, undefined, tarFile, 1));
    if (runs.has('tar-store')) row('cfskit tar, fresh digest store', runChild('tar', tree, join(work, 'store2'), tarFile));
    if (runs.has('tar')) row('cfskit tar, no store', runChild('tar', tree, undefined, tarFile));
    if (!runs.has('c')) {
      // no C run asked for
    } else if (spawnSync('sh', ['-c', 'command -v mkcomposefs'], { stdio: 'ignore' }).status === 0) {
      const c1 = timeCommand('mkcomposefs', ['--digest-store', join(work, 'store3'), tree, join(work, 'c.cfs')]);
      console.log(`${'C mkcomposefs --digest-store'.padEnd(34)} ${(c1 / 1000).toFixed(2).padStart(7)} s`);
      const c2 = timeCommand('mkcomposefs', [tree, join(work, 'c2.cfs')]);
      console.log(`${'C mkcomposefs (no store)'.padEnd(34)} ${(c2 / 1000).toFixed(2).padStart(7)} s`);
    } else {
      console.log('(C mkcomposefs not on PATH: no side-by-side figure)');
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
