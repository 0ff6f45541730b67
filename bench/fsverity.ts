/**
 * fs-verity digest throughput on a generated 1 GiB file (kept in /tmp and the page cache):
 * cfskit with all cores and on one thread (node:crypto where Node has crypto.hash), the Wasm core
 * on one thread (4-lane SIMD and scalar SHA-256), node:crypto hashing each 4 KiB block alone
 * (createHash and crypto.hash, leaves only), the compiled `cfskit digest` CLI when dist/ is built,
 * and `fsverity digest` when it is on PATH. Prints wall time, CPU time, MB/s and ratios to
 * `fsverity digest`. Figures are noisy on a shared machine.
 *
 *   npm run bench -- fsverity [--size-mib=1024] [--runs=N]   (best of N runs, default 2)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, hash as cryptoHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { digestFile } from '../src/fsverity/index.js';
import { setNative, setSimd } from '../src/wasm/sha.js';

const arg = (name: string, def: number): number => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? def);
const sizeMiB = arg('size-mib', 1024);
const runs = arg('runs', 2);
const size = sizeMiB << 20;
const file = `/tmp/cfskit-bench-fsverity-${sizeMiB}m`;
const repo = fileURLToPath(new URL('../', import.meta.url));

/** Pseudo-random content (xorshift), written once and reused. */
function generate(): void {
  if (existsSync(file) && statSync(file).size === size) return;
  const fd = openSync(file, 'w');
  const buf = new Uint32Array(1 << 18);
  let x = 0x9e3779b9;
  for (let off = 0; off < size; off += buf.byteLength) {
    for (let i = 0; i < buf.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      buf[i] = x;
    }
    writeSync(fd, new Uint8Array(buf.buffer), 0, Math.min(buf.byteLength, size - off));
  }
  closeSync(fd);
}

interface Figure {
  wall: number;
  cpu: number;
  digest?: string;
}

/** Best (lowest wall) of `runs` in-process runs; CPU time is the whole process's, all threads. */
async function inProcess(fn: () => Promise<string | undefined>): Promise<Figure> {
  let best: Figure | undefined;
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const digest = await fn();
    const wall = (performance.now() - t0) / 1000;
    const c = process.cpuUsage(c0);
    if (!best || wall < best.wall) best = { wall, cpu: (c.user + c.system) / 1e6, digest };
  }
  return best!;
}

/** Best of `runs` runs of a command; CPU time from bash's `times` (the children's user + sys). */
function command(cmd: string[]): Figure {
  let best: Figure | undefined;
  const script = `"$@" > /tmp/cfskit-bench-out; s=$?; times; exit $s`;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync('bash', ['-c', script, 'bench', ...cmd], { encoding: 'utf8' });
    const wall = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed: ${r.stderr}`);
    // `times` prints the shell's then the children's "Xm Y.YYYs Xm Y.YYYs"
    const [, cu, cs] = /\n?(\d+m[\d.]+s) (\d+m[\d.]+s)\s*$/.exec(r.stdout.trimEnd())!.map(String);
    const secs = (t: string) => Number(t.split('m')[0]) * 60 + Number(t.split('m')[1].replace('s', ''));
    const digest = execFileSync('cat', ['/tmp/cfskit-bench-out'], { encoding: 'utf8' }).split(/\s/)[0];
    if (!best || wall < best.wall) best = { wall, cpu: secs(cu) + secs(cs), digest };
  }
  return best!;
}

/** The fs-verity leaf level only, one node:crypto call per 4 KiB block (what a plain JS port spends most time on). */
async function cryptoLeaves(hashBlock: (block: Uint8Array) => void): Promise<undefined> {
  const fd = openSync(file, 'r');
  const buf = new Uint8Array(1 << 20);
  for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0; ) {
    for (let off = 0; off < n; off += 4096) hashBlock(buf.subarray(off, off + 4096));
  }
  closeSync(fd);
  return undefined;
}

generate();
execFileSync('cat', [file], { stdio: ['ignore', 'ignore', 'inherit'], maxBuffer: 0 }); // warm the page cache
const cores = availableParallelism();
const rows: [string, Figure][] = [];
const fsverityOnPath = spawnSync('sh', ['-c', 'command -v fsverity'], { stdio: 'ignore' }).status === 0;
if (fsverityOnPath) rows.push(['fsverity digest (C, OpenSSL)', command(['fsverity', 'digest', file])]);
const cli = `${repo}dist/cli/main.js`;
if (existsSync(cli)) rows.push([`cfskit digest CLI (dist/, ${cores} workers)`, command([process.execPath, cli, 'digest', file])]);
rows.push([`cfskit digestFile, ${cores} workers`, await inProcess(async () => (await digestFile(file, { workers: cores })).text)]);
rows.push(['cfskit digestFile, 1 thread', await inProcess(async () => (await digestFile(file, { workers: 1 })).text)]);
setNative(false);
rows.push(['cfskit digestFile, 1 thread (Wasm SIMD)', await inProcess(async () => (await digestFile(file, { workers: 1 })).text)]);
setSimd(false);
rows.push(['cfskit digestFile, 1 thread (Wasm scalar)', await inProcess(async () => (await digestFile(file, { workers: 1 })).text)]);
setSimd(true);
setNative(true);
rows.push(['node:crypto createHash per 4 KiB (leaves only)', await inProcess(() => cryptoLeaves((b) => createHash('sha256').update(b).digest()))]);
rows.push(['node:crypto crypto.hash per 4 KiB (leaves only)', await inProcess(() => cryptoLeaves((b) => cryptoHash('sha256', b, 'buffer')))]);

const ref = rows[0][1];
const digests = new Set(rows.map(([, f]) => f.digest).filter((d) => d !== undefined));
console.log(`fs-verity sha256/4096 of ${sizeMiB} MiB (page cache), best of ${runs}; ${cores} cores; load ${(await import('node:os')).loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log(`${'run'.padEnd(50)} ${'wall s'.padStart(7)} ${'cpu s'.padStart(7)} ${'MB/s'.padStart(7)} ${'wall÷ref'.padStart(9)} ${'cpu÷ref'.padStart(8)}`);
for (const [name, f] of rows) {
  const mbs = size / 1e6 / f.wall;
  console.log(`${name.padEnd(50)} ${f.wall.toFixed(2).padStart(7)} ${f.cpu.toFixed(2).padStart(7)} ${mbs.toFixed(0).padStart(7)} ${(f.wall / ref.wall).toFixed(2).padStart(9)} ${(f.cpu / ref.cpu).toFixed(2).padStart(8)}`);
}
const scalar = rows.find(([n]) => n.includes('scalar'))![1];
const simd = rows.find(([n]) => n.includes('SIMD'))![1];
console.log(`single thread: Wasm SIMD is ${(scalar.wall / simd.wall).toFixed(2)}× the scalar Wasm speed (CPU ${(scalar.cpu / simd.cpu).toFixed(2)}×)`);
console.log(digests.size === 1 ? `all digests agree: ${[...digests][0]}` : `DIGESTS DIFFER: ${[...digests].join(' ')}`);
