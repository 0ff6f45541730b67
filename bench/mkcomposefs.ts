/**
 * Bench: `cfskit mkcomposefs --from-file` as a whole process (the compiled CLI, dist/), on
 * cs9-x86_64-minimal (22k entries) and a synthetic ~65k-entry dump shaped like an OS tree
 * (cs9-developer style: ostree payloads, no digests or xattrs, mtimes 0). Prints wall time and
 * peak RSS per run (from /usr/bin/time when present).
 * Also prints an empty node process (the floor under every figure) and the load average: the
 * machine is shared, so figures are only comparable within one run.
 * Run: `npm run build && npx tsx bench/mkcomposefs.ts [RUNS] [NODE_FLAGS...]` (or `npm run bench --
 * mkcomposefs ...`); NODE_FLAGS (e.g. --max-semi-space-size=4) go to every node process measured.
 * Reference (C mkcomposefs 1.0.8 on the project machine): 0.17 s / 27 MiB and 0.53 s / 70 MiB.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const REPO = fileURLToPath(new URL('../', import.meta.url));
const CLI = join(REPO, 'dist/cli/main.js');
const CS9_DUMP = join(REPO, 'test/vectors/composefs/upstream/cs9-x86_64-minimal.dump.gz');
const RUNS = Number(process.argv[2] ?? 3);
const NODE_FLAGS = process.argv.slice(3);

/** Deterministic xorshift32. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

/** A dump of about `entries` lines: 18% directories, 9% symlinks, the rest external files. */
function syntheticDump(entries: number): string {
  const rand = rng(0xc0ffee);
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');
  interface Dir { path: string; children: Map<string, string> }
  const root: Dir = { path: '', children: new Map() };
  const dirs: Dir[] = [root];
  const dirLines = new Map<string, Dir>([['', root]]);
  const words = ['lib', 'share', 'bin', 'python3', 'locale', 'doc', 'include', 'modules', 'firmware', 'icons', 'man', 'site-packages', 'systemd', 'kernel', 'drivers', 'net', 'fs', 'x86_64'];
  for (let i = 0; i < entries - 1; i++) {
    // Favour recent and shallow directories, as real trees do.
    const parent = dirs[rand() < 0.5 ? dirs.length - 1 - Math.floor(rand() * Math.min(dirs.length, 20)) : Math.floor(rand() * dirs.length)];
    const name = `${words[Math.floor(rand() * words.length)]}-${i.toString(36)}${rand() < 0.3 ? '.so.1' : ''}`;
    const path = `${parent.path}/${name}`;
    const kind = rand();
    if (kind < 0.18) {
      const d: Dir = { path, children: new Map() };
      parent.children.set(name, `${path} 4096 40755 2 0 0 0 0.0 - - -`);
      dirs.push(d);
      dirLines.set(path, d);
    } else if (kind < 0.27) {
      const target = `../lib/${name}.target`;
      parent.children.set(name, `${path} ${target.length} 120777 1 0 0 0 0.0 ${target} - -`);
    } else {
      const size = Math.floor(rand() * rand() * 2_000_000) + 1;
      parent.children.set(name, `${path} ${size} 100644 1 0 0 0 0.0 ${hex(2)}/${hex(62)}.file - -`);
    }
  }
  const out: string[] = ['/ 4096 40755 2 0 0 0 0.0 - - -'];
  const walk = (d: Dir) => {
    for (const name of [...d.children.keys()].sort()) {
      out.push(d.children.get(name)!);
      const sub = dirLines.get(`${d.path}/${name}`);
      if (sub) walk(sub);
    }
  };
  walk(root);
  return `${out.join('\n')}\n`;
}

interface Sample { wall: number; rssMiB: number }

/** One node process running `args` (after NODE_FLAGS): wall time and peak RSS. */
function runOnce(args: string[]): Sample {
  args = [...NODE_FLAGS, ...args];
  if (existsSync('/usr/bin/time')) {
    const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
    const [wall, kib] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    return { wall, rssMiB: kib / 1024 };
  }
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} failed: ${r.stderr}`);
  return { wall: Number(process.hrtime.bigint() - t0) / 1e9, rssMiB: NaN };
}

function main(): void {
  if (!existsSync(CLI)) {
    console.error('dist/cli/main.js is missing: run `npm run build` first');
    process.exit(1);
  }
  const dir = mkdtempSync(join(tmpdir(), 'cfskit-bench-'));
  try {
    const cs9 = join(dir, 'cs9-x86_64-minimal.dump');
    writeFileSync(cs9, gunzipSync(readFileSync(CS9_DUMP)));
    const synthetic = join(dir, 'synthetic-65k.dump');
    const text = syntheticDump(65000);
    writeFileSync(synthetic, text);
    const out = join(dir, 'out.cfs');
    const build = (file: string) => [CLI, 'mkcomposefs', '--from-file', file, out];
    const inputs: [string, string[], string][] = [
      ['empty node process', ['-e', '0'], 'the floor of every figure below'],
      ['cs9-x86_64-minimal (22k entries)', build(cs9), 'C: 0.17 s / 27 MiB'],
      [`synthetic OS tree (${text.split('\n').length - 1} entries)`, build(synthetic), 'C (64k real dump): 0.53 s / 70 MiB'],
    ];
    const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
    console.log(`cfskit mkcomposefs --from-file, ${RUNS} runs each${NODE_FLAGS.length ? `, node ${NODE_FLAGS.join(' ')}` : ''} (shared machine: figures are noisy)`);
    for (const [label, args, reference] of inputs) {
      const before = load();
      const samples = Array.from({ length: RUNS }, () => runOnce(args));
      const best = Math.min(...samples.map((s) => s.wall));
      const median = samples.map((s) => s.wall).sort((a, b) => a - b)[Math.floor(RUNS / 2)];
      const rss = Math.max(...samples.map((s) => s.rssMiB));
      console.log(`${label}: wall best ${best.toFixed(2)} s, median ${median.toFixed(2)} s, peak RSS ${rss.toFixed(0)} MiB   [${reference}; load ${before}]`);
      if (args.includes(cs9)) {
        // The figures count only for the right bytes: the C image's sha256.
        const want = readFileSync(`${CS9_DUMP}.sha256`, 'utf8').trim().split(/\s+/)[0];
        if (createHash('sha256').update(readFileSync(out)).digest('hex') !== want) throw new Error('cs9 image differs from the C image');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
