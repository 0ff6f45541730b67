/**
 * Bench: `admin deploy` of an image the size of a real OS — 60k+ entries, /etc defaults of 1,000+
 * files, a 12 MiB kernel and a 40 MiB initramfs — over a first deployment whose /etc has local
 * changes (so the 3-way merge runs). The sysroot is generated (synthetic tree, real backing objects
 * for /etc, kernel and initramfs; other files point at empty placeholder objects, which deploy
 * checks are present but never reads).
 * Each deploy runs in a fresh child process: wall time of deploy() and the process's peak RSS
 * (which includes the tsx loader). Targets: < 2 s, < 300 MiB.
 * Run: `npx tsx bench/deploy.ts [RUNS]` (or `npm run bench -- deploy`); CFSKIT_BENCH_PROF=DIR writes CPU profiles.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { commitImage } from '../src/cfs/commit-image.js';
import { Node, S_IFDIR, S_IFLNK, S_IFREG } from '../src/tree/tree.js';
import { openRepo } from '../src/ostree/repo.js';
import type { ObjectStore } from '../src/store/objects.js';
import { deploy } from '../src/sysroot/deploy.js';
import { loadSysroot } from '../src/sysroot/deployments.js';
import { deployName, initFs, osInit, paths } from '../src/sysroot/layout.js';
import { undeploy } from '../src/sysroot/operations.js';

const STATEROOT = 'benchos';
const KVER = '6.12.0-bench';
const enc = (s: string) => new TextEncoder().encode(s);

async function* once(b: Uint8Array) {
  yield b;
}

/** Builds the synthetic OS tree of `version`; /etc, kernel and initramfs get real objects. */
async function osTree(store: ObjectStore, version: number): Promise<{ root: Node; entries: number }> {
  let entries = 0;
  const dir = (parent: Node, name: string) => {
    const existing = parent.lookup(enc(name));
    if (existing) return existing;
    const n = new Node(enc(name), S_IFDIR | 0o755);
    parent.addChild(n);
    entries++;
    return n;
  };
  const path = (root: Node, rel: string) => rel.split('/').reduce(dir, root);
  const file = async (parent: Node, name: string, data: Uint8Array | number, stored: boolean) => {
    const n = new Node(enc(name), S_IFREG | 0o644);
    if (typeof data === 'number') {
      n.size = BigInt(data);
      n.digest = createHash('sha256').update(`${entries}`).digest();
      const hex = Buffer.from(n.digest).toString('hex');
      n.payload = enc(`${hex.slice(0, 2)}/${hex.slice(2)}`);
      mkdirSync(dirname(store.pathOf(hex)), { recursive: true });
      writeFileSync(store.pathOf(hex), '');
    } else if (stored) {
      const o = await store.addStream(once(data), BigInt(data.length), { file: name });
      n.size = BigInt(data.length);
      n.digest = o.digest;
      n.payload = enc(o.payload);
    } else {
      n.size = BigInt(data.length);
      n.content = data;
    }
    parent.addChild(n);
    entries++;
  };
  const root = new Node(new Uint8Array(0), S_IFDIR | 0o755);
  dir(root, 'etc');
  // /usr: 60k entries in package-like directories
  for (let p = 0; p < 1200; p++) {
    const pkg = path(root, `usr/share/pkg${p}/data`);
    for (let f = 0; f < 48; f++) await file(pkg, `file${f}`, 100 + ((p * 48 + f) * 7919) % 100_000, false);
  }
  // /usr/etc: 1,100 files in 55 directories, 1 in 20 changed by the new version
  for (let d = 0; d < 55; d++) {
    const etc = path(root, `usr/etc/conf${d}.d`);
    for (let f = 0; f < 20; f++) {
      const changed = version > 1 && (d * 20 + f) % 20 === 0;
      await file(etc, `setting${f}.conf`, enc(`# conf ${d}/${f}${changed ? ` v${version}` : ''}\n${'key = value\n'.repeat(20)}`), true);
    }
  }
  const link = new Node(enc('os-release'), S_IFLNK | 0o777);
  link.payload = enc('../lib/os-release');
  path(root, 'usr/etc').addChild(link);
  await file(path(root, 'usr/lib'), 'os-release', enc(`PRETTY_NAME="Bench OS"\nVERSION_ID=${version}\n${'#'.repeat(64)}\n`), true);
  const modules = path(root, `usr/lib/modules/${KVER}`);
  await file(modules, 'vmlinuz', new Uint8Array(12 << 20).fill(0x4b + version), true);
  await file(modules, 'initramfs.img', new Uint8Array(40 << 20).fill(0x49 + version), true);
  return { root, entries };
}

async function commit(sysroot: string, version: number): Promise<{ checksum: string; entries: number; imageBytes: number }> {
  let entries = 0;
  const load = async (store: ObjectStore) => {
    const tree = await osTree(store, version);
    entries = tree.entries;
    return tree.root;
  };
  const { checksum, imageSize } = await commitImage(openRepo(paths.repo(sysroot)), { load }, { branch: `${STATEROOT}/stable`, version: String(version) });
  return { checksum, entries, imageBytes: imageSize };
}

/** Child mode: one deploy, then a JSON line with its wall time and the peak RSS. */
async function child(sysroot: string, source: string): Promise<void> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = await deploy({ sysroot, stateroot: STATEROOT, source });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  process.stdout.write(`${JSON.stringify({ ms, cpuMs: (cpu.user + cpu.system) / 1000, maxRssKiB: process.resourceUsage().maxRSS, etc: r.etc })}\n`);
}

function runChild(sysroot: string, source: string): { ms: number; cpuMs: number; maxRssKiB: number; etc: { modified: string[]; removed: string[]; added: string[] } } {
  const self = fileURLToPath(import.meta.url);
  // CFSKIT_BENCH_PROF=DIR: a V8 CPU profile of each deploy child in DIR
  const prof = process.env.CFSKIT_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CFSKIT_BENCH_PROF}`] : [];
  const r = spawnSync(process.execPath, [...prof, '--import', 'tsx', self, '--child', sysroot, source], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`deploy child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-deploy-'));
  try {
    const sysroot = join(work, 'sysroot');
    const t0 = performance.now();
    mkdirSync(sysroot);
    initFs(sysroot);
    osInit(sysroot, STATEROOT);
    const v1 = await commit(sysroot, 1);
    const v2 = await commit(sysroot, 2);
    process.stdout.write(`setup: ${v1.entries} entries per image, image ${(v1.imageBytes / 1048576).toFixed(1)} MiB, ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    const first = runChild(sysroot, v1.checksum);
    process.stdout.write(`first deploy (no merge): ${(first.ms / 1000).toFixed(2)} s, CPU ${(first.cpuMs / 1000).toFixed(2)} s, load ${loadavg()[0].toFixed(1)}, peak RSS ${(first.maxRssKiB / 1024).toFixed(0)} MiB\n`);
    // local changes in the first deployment's /etc: 100 modified, 10 added
    const d = loadSysroot(sysroot).deployments[0];
    const etc = join(paths.deployment(sysroot, STATEROOT, d), 'etc');
    for (let i = 0; i < 100; i++) writeFileSync(join(etc, `conf${i % 55}.d`, `setting${(i * 7) % 20}.conf`), `local ${i}\n`);
    for (let i = 0; i < 10; i++) writeFileSync(join(etc, `local${i}.conf`), `mine ${i}\n`);
    for (let run = 1; run <= runs; run++) {
      const r = runChild(sysroot, v2.checksum);
      process.stdout.write(
        `deploy with merge #${run}: ${(r.ms / 1000).toFixed(2)} s, CPU ${(r.cpuMs / 1000).toFixed(2)} s, load ${loadavg()[0].toFixed(1)}, peak RSS ${(r.maxRssKiB / 1024).toFixed(0)} MiB `
        + `(/etc: ${r.etc.modified.length} modified, ${r.etc.removed.length} removed, ${r.etc.added.length} added)\n`,
      );
      // back to the first deployment as the merge source for the next run
      const list = loadSysroot(sysroot).deployments;
      await undeploy(sysroot, list.findIndex((x) => deployName(x) !== deployName(d)));
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4]);
else await main();
