/**
 * pull benchmark: a ~50k-file OS tree published twice behind one nginx on loopback, as a cfskit
 * repo (`cfskit commit`: stub commit + image + cfs objects) and as an ordinary ostree archive
 * commit (`ostree commit`). cfskit pull and real `ostree pull` each into a fresh repo (cold), then
 * after 1% of the files changed (incremental; the publisher writes the image delta with
 * `cfskit static-delta generate`, ostree pulls objects as it does without static deltas). Prints both wall times, the ratio, the requests
 * and bytes each made (nginx's access log), the CPU seconds of each client and the load average. Figures are noisy on a shared
 * machine.
 *
 *   npx tsx bench/pull.ts [--files=50000]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Nginx } from '../test/pull/nginx.js';

const files = Number(process.argv.find((a) => a.startsWith('--files='))?.slice(8) ?? 50_000);
const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-pull-'));
const cfskit = (...args: string[]) => run(process.execPath, [join(import.meta.dirname, '../dist/cli/main.js'), ...args]);

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Deterministic content: file i of a version (changed files get the version in their bytes). */
function writeTree(dir: string, version: string, changed: Set<number>): void {
  rmSync(dir, { recursive: true, force: true });
  for (let i = 0; i < files; i++) {
    const sub = join(dir, 'usr', 'share', `d${i % 500}`);
    if (i < 500) mkdirSync(sub, { recursive: true });
    const size = 200 + ((i * 7919) % 16000);
    writeFileSync(join(sub, `f${i}`), noise(`${changed.has(i) ? version : 'base'} ${i}`, size));
  }
  mkdirSync(join(dir, 'etc'), { recursive: true });
}

/** Poorly compressible deterministic bytes (SHA-256 in counter mode), like real binaries. */
function noise(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let off = 0, n = 0; off < size; off += 32, n++) createHash('sha256').update(`${seed}/${n}`).digest().copy(out, off);
  return out;
}

/** Wall ms of f. */
function timed(f: () => void): number {
  const t = performance.now();
  f();
  return performance.now() - t;
}

/** CPU seconds (user + system) of the children this process waited for (Linux /proc). */
function childCpu(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100; // cutime + cstime, clock ticks
}

const served = join(work, 'www');
const cfsRepo = join(served, 'cfskit');
const ostreeRepo = join(served, 'ostree');
const tree = join(work, 'tree');
const nginx = new Nginx(served, join(work, 'nginx'));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void nginx.stop().finally(() => {
    rmSync(work, { recursive: true, force: true });
    process.exit(130);
  }));
}
try {
  mkdirSync(served);
  console.log(`${files} files; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  writeTree(tree, 'v1', new Set());
  cfskit('init', `--repo=${cfsRepo}`, '--mode=archive');
  run('ostree', ['init', `--repo=${ostreeRepo}`, '--mode=archive']);
  let t = timed(() => cfskit('commit', `--repo=${cfsRepo}`, '-b', 'os/main', tree));
  const t2 = timed(() => run('ostree', ['commit', `--repo=${ostreeRepo}`, '-b', 'os/main', '--owner-uid=0', '--owner-gid=0', `--tree=dir=${tree}`]));
  console.log(`publish: cfskit commit ${t.toFixed(0)} ms, ostree commit ${t2.toFixed(0)} ms`);
  await nginx.start();
  const cfsClient = join(work, 'client-cfskit');
  const ostreeClient = join(work, 'client-ostree');
  cfskit('init', `--repo=${cfsClient}`, '--mode=bare-user-only');
  cfskit('remote', 'add', `--repo=${cfsClient}`, '--no-sign-verify', 'origin', `${nginx.url}/cfskit`, 'os/main');
  run('ostree', ['init', `--repo=${ostreeClient}`, '--mode=bare-user-only']);
  run('ostree', ['remote', 'add', `--repo=${ostreeClient}`, '--no-gpg-verify', 'origin', `${nginx.url}/ostree`, 'os/main']);

  const round = (name: string) => {
    nginx.clearLog();
    let cpu = childCpu();
    const ours = timed(() => cfskit('pull', `--repo=${cfsClient}`, 'origin'));
    const ourCpu = childCpu() - cpu;
    const ourLog = traffic(nginx.accessLog);
    nginx.clearLog();
    cpu = childCpu();
    const theirs = timed(() => run('ostree', ['pull', `--repo=${ostreeClient}`, 'origin', 'os/main']));
    const theirCpu = childCpu() - cpu;
    const theirLog = traffic(nginx.accessLog);
    console.log(`${name}: cfskit pull ${ours.toFixed(0)} ms, ${ourCpu.toFixed(1)} s CPU (${ourLog.requests} requests, ${mib(ourLog.bytes)} MiB); ` +
      `ostree pull ${theirs.toFixed(0)} ms, ${theirCpu.toFixed(1)} s CPU (${theirLog.requests} requests, ${mib(theirLog.bytes)} MiB); ` +
      `wall ratio ${(ours / theirs).toFixed(2)}x, CPU ratio ${(ourCpu / theirCpu).toFixed(2)}x; load average ${loadavg()[0].toFixed(1)}`);
  };
  round('cold');
  const changed = new Set(Array.from({ length: Math.ceil(files / 100) }, (_, k) => k * 100 + 7));
  writeTree(tree, 'v2', changed);
  t = timed(() => cfskit('commit', `--repo=${cfsRepo}`, '-b', 'os/main', tree));
  const delta = cfskit('static-delta', 'generate', `--repo=${cfsRepo}`, '--to=os/main').trim();
  run('ostree', ['commit', `--repo=${ostreeRepo}`, '-b', 'os/main', '--owner-uid=0', '--owner-gid=0', `--tree=dir=${tree}`]);
  console.log(`v2: ${changed.size} files changed; image delta ${delta}`);
  round('incremental');
} finally {
  await nginx.stop();
  rmSync(work, { recursive: true, force: true });
}

function traffic(log: string): { requests: number; bytes: number } {
  let requests = 0;
  let bytes = 0;
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    const m = /" \d{3} (\d+) /.exec(line);
    if (!m) continue;
    requests++;
    bytes += Number(m[1]);
  }
  return { requests, bytes };
}

function mib(b: number): string {
  return (b / 1048576).toFixed(1);
}
