/**
 * Bench: cs9-x86_64-minimal (22k entries) dumpfile → image in one process: the Wasm builder
 * (src/wasm/composefs.ts: parser + writer in build/composefs.wasm) against the path every other
 * source takes, a TypeScript tree (here from parseDump) sent to the same writer as records
 * (writeImage). The first run of each is the cold one a CLI process pays (Wasm code still in
 * its baseline tier, fresh memory); later runs show the warmed cost. Images are checked equal.
 * Run: `npm run build:wasm && npx tsx bench/wasm-build.ts [RUNS]`. The machine is shared: compare
 * figures within one run only.
 */
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { parseDump } from '../src/composefs/dumpfile/parse.js';
import { writeImage } from '../src/composefs/erofs/writer.js';
import { buildWasmImage } from '../src/wasm/composefs.js';

const RUNS = Number(process.argv[2] ?? 5);
const dump = gunzipSync(readFileSync(new URL('../test/vectors/composefs/upstream/cs9-x86_64-minimal.dump.gz', import.meta.url)));
const opts = { strict: true, minVersion: 0, maxVersion: 1, useEpoch: false };
/** Chunks as a file stream would give them. */
const chunks = Array.from({ length: Math.ceil(dump.length / 65536) }, (_, i) => dump.subarray(i * 65536, (i + 1) * 65536));

function time(label: string, fn: () => Uint8Array): Uint8Array {
  const ms: number[] = [];
  let image: Uint8Array = new Uint8Array(0);
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    image = fn();
    ms.push(performance.now() - t0);
  }
  const rest = ms.slice(1).sort((a, b) => a - b);
  console.log(`${label.padEnd(28)} first ${ms[0].toFixed(1)} ms, then min ${(rest[0] ?? NaN).toFixed(1)} median ${(rest[rest.length >> 1] ?? NaN).toFixed(1)} ms`);
  return image;
}

console.log(`cs9: ${dump.length} bytes; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
const wasm = time('Wasm parse + write', () => buildWasmImage(chunks, opts).image);
const js = time('parseDump + tree records', () => writeImage(parseDump(dump, { strict: true }), opts).image);
if (Buffer.compare(wasm, js) !== 0) throw new Error('the two paths give different images');
console.log(`images equal (${wasm.length} bytes)`);
