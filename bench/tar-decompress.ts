/**
 * Bench (issue #14 tar rows, issue #15 decoders): compressed tar layers. For one archive (default:
 * `tar c /usr/share`, ~0.7 GB, made once under the OS temp dir) as `.tar`, `.tar.zst` and `.tar.gz`:
 *  - the decoder alone: ours (src/composefs/sources/decompress.ts, checksums verified) against
 *    `zstd -dc` / `gzip -dc` to /dev/null, in MB/s of output, wall and CPU time (the steadier
 *    figure on a loaded machine), with our process's peak RSS;
 *  - the whole tar source (every entry read and hashed, the image written) on `.tar`, `.tar.zst`
 *    and `.tar.gz`, and the ratio: time(.tar.X) / (time(X -dc) + time(.tar)).
 * Prints the load average: the machine is shared, so compare ratios within one run.
 * Run: `npx tsx bench/tar-decompress.ts [TAR]` (or `npm run bench -- tar-decompress [TAR]`).
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompress } from '../src/composefs/sources/decompress.js';
import { loadTarLayers } from '../src/composefs/sources/tar.js';
import { writeWasmImage } from '../src/wasm/composefs.js';

const dir = join(tmpdir(), 'cfskit-bench-tar');
const tar = process.argv[2] ?? join(dir, 'usr-share.tar');

function sh(cmd: string): void {
  const r = spawnSync('sh', ['-c', cmd], { stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
}

if (!existsSync(tar)) {
  mkdirSync(dir, { recursive: true });
  sh(`tar cf '${tar}' -C / usr/share 2>/dev/null || test -s '${tar}'`);
}
if (!existsSync(`${tar}.zst`)) sh(`zstd -q -f '${tar}' -o '${tar}.zst'`);
if (!existsSync(`${tar}.gz`)) sh(`gzip -c '${tar}' > '${tar}.gz'`);

const mb = (bytes: number) => bytes / 1e6;
const seconds = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e9;

/** Wall seconds of `cmd` and, from the shell's `times`, the CPU seconds (user + system) of its children. */
function peerRun(cmd: string): { s: number; cpu: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `${cmd}; times`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const s = seconds(t0);
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
  const children = r.stdout.toString().trim().split('\n').at(-1) ?? '';
  const cpu = [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
  return { s, cpu };
}

const peer = (cmd: string): number => peerRun(cmd).s;

async function ours(file: string): Promise<{ s: number; cpu: number; out: number }> {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  let out = 0;
  for await (const chunk of decompress(createReadStream(file, { highWaterMark: 256 * 1024 }), file)) out += chunk.length;
  const c = process.cpuUsage(c0);
  return { s: seconds(t0), cpu: (c.user + c.system) / 1e6, out };
}

async function source(file: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  writeWasmImage(await loadTarLayers([file]), { minVersion: 0, maxVersion: 1, useEpoch: false });
  return seconds(t0);
}

const size = statSync(tar).size;
console.log(`archive ${tar}: ${mb(size).toFixed(0)} MB; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('decoder alone (output MB/s):');
for (const [ext, tool] of [['zst', 'zstd'], ['gz', 'gzip']] as const) {
  const theirs = peerRun(`${tool} -dc '${tar}.${ext}' > /dev/null`);
  const r = await ours(`${tar}.${ext}`);
  console.log(
    `  .tar.${ext}: cfskit ${(mb(r.out) / r.s).toFixed(0)} MB/s (${r.s.toFixed(2)} s, CPU ${r.cpu.toFixed(2)} s, peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB)` +
      `  ${tool} -dc ${(mb(size) / theirs.s).toFixed(0)} MB/s (${theirs.s.toFixed(2)} s, CPU ${theirs.cpu.toFixed(2)} s)` +
      `  ratio ${(r.s / theirs.s).toFixed(2)}x wall, ${(r.cpu / theirs.cpu).toFixed(2)}x CPU`,
  );
}
const plain = await source(tar);
console.log(`tar source (read, hash, image): .tar ${plain.toFixed(2)} s`);
for (const [ext, tool] of [['zst', 'zstd'], ['gz', 'gzip']] as const) {
  const theirs = peer(`${tool} -dc '${tar}.${ext}' > /dev/null`);
  const t = await source(`${tar}.${ext}`);
  console.log(`  .tar.${ext}: ${t.toFixed(2)} s; ${tool} -dc + .tar = ${(theirs + plain).toFixed(2)} s; ratio ${(t / (theirs + plain)).toFixed(2)}x`);
}
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
