/**
 * Registry benchmark: an image of one gzip layer holding a generated ~50k-file tree, pushed once
 * (skopeo, untimed) into a local docker-registry, then built into a composefs image:
 *   ours: `cfskit mkcomposefs --from-oci=docker://…` (pull + build in one process)
 *   peer: `skopeo copy docker://… oci:DIR:1`, then `cfskit mkcomposefs --from-oci=DIR:1`
 * Both runs use the same CLI (same start-up cost) and must give the same image. Prints wall
 * times, the ratio and the load average; the pipeline is single-threaded, so one figure each.
 *
 *   npx tsx bench/registry.ts [--files=50000] [--runs=3]
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const arg = (name: string, def: string): string => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? def;
const FILES = Number(arg('files', '50000'));
const RUNS = Number(arg('runs', '3'));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'src/cli/main.ts');

for (const cmd of ['docker-registry', 'skopeo', 'tar']) {
  if (spawnSync('sh', ['-c', `command -v ${cmd}`]).status !== 0) {
    process.stderr.write(`bench/registry: '${cmd}' is not installed\n`);
    process.exit(1);
  }
}

const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-registry-'));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A /usr-shaped tree: FILES files (mostly small), in directories of ~50. */
function generate(dir: string): number {
  const pool = randomBytes(4 << 20);
  let bytes = 0;
  for (let i = 0; i < FILES; i++) {
    const d = join(dir, 'usr', `d${Math.floor(i / 2500)}`, `s${Math.floor(i / 50) % 50}`);
    if (i % 50 === 0) mkdirSync(d, { recursive: true });
    const size = i % 10 === 0 ? 16384 + (i % 7) * 4096 : (i * 7919) % 3000;
    const off = (i * 104729) % (pool.length - size);
    writeFileSync(join(d, `f${i}`), pool.subarray(off, off + size));
    bytes += size;
  }
  mkdirSync(join(dir, 'etc'));
  return bytes;
}

function layout(dir: string, tar: Buffer): void {
  const blob = gzipSync(tar, { level: 1 });
  mkdirSync(join(dir, 'blobs', 'sha256'), { recursive: true });
  const put = (b: Buffer) => {
    writeFileSync(join(dir, 'blobs', 'sha256', sha(b)), b);
    return { digest: `sha256:${sha(b)}`, size: b.length };
  };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [`sha256:${sha(tar)}`] } }));
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...put(config) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...put(blob) }],
  }));
  const m = put(manifest);
  writeFileSync(join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  writeFileSync(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': '1' } }] }));
}

function run(cmd: string, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve(Number(process.hrtime.bigint() - t0) / 1e9) : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`))));
  });
}

const registryDir = join(work, 'registry');
mkdirSync(join(registryDir, 'storage'), { recursive: true });
const port = 20000 + Math.floor(Math.random() * 20000);
writeFileSync(join(registryDir, 'config.yml'), `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(registryDir, 'storage')}\nhttp:\n  addr: 127.0.0.1:${port}\n`);
const registry = spawn('docker-registry', ['serve', join(registryDir, 'config.yml')], { stdio: 'ignore' });
try {
  const tree = join(work, 'tree');
  const bytes = generate(tree);
  spawnSync('tar', ['--format=posix', '--numeric-owner', '-C', tree, '-cf', join(work, 'layer.tar'), '.']);
  layout(join(work, 'layout'), readFileSync(join(work, 'layer.tar')));
  rmSync(tree, { recursive: true, force: true });
  for (let i = 0; i < 50 && !(await fetch(`http://127.0.0.1:${port}/v2/`).catch(() => null)); i++) await new Promise((r) => setTimeout(r, 100));
  const ref = `docker://127.0.0.1:${port}/bench:1`;
  if (spawnSync('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${join(work, 'layout')}:1`, ref]).status !== 0) throw new Error('skopeo push failed');
  process.stdout.write(`image: ${FILES} files, ${(bytes / 2 ** 20).toFixed(0)} MiB in one gzip layer\n`);

  const ours: number[] = [];
  const peer: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = join(work, `ours-${i}.cfs`);
    ours.push(await run(process.execPath, ['--import', 'tsx', CLI, 'mkcomposefs', '--quiet', '--tls-verify=false', `--from-oci=${ref}`, a]));
    const dir = join(work, `peer-${i}`);
    const b = join(work, `peer-${i}.cfs`);
    const t1 = await run('skopeo', ['copy', '--quiet', '--src-tls-verify=false', ref, `oci:${dir}:1`]);
    const t2 = await run(process.execPath, ['--import', 'tsx', CLI, 'mkcomposefs', '--quiet', `--from-oci=${dir}:1`, b]);
    peer.push(t1 + t2);
    if (!readFileSync(a).equals(readFileSync(b))) throw new Error('the two pipelines gave different images');
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`run ${i + 1}: cfskit docker:// ${ours[i].toFixed(2)} s | skopeo copy ${t1.toFixed(2)} s + cfskit layout ${t2.toFixed(2)} s = ${peer[i].toFixed(2)} s\n`);
  }
  const best = (xs: number[]) => Math.min(...xs);
  process.stdout.write(`best of ${RUNS}: cfskit ${best(ours).toFixed(2)} s, skopeo+cfskit ${best(peer).toFixed(2)} s, ratio ${(best(ours) / best(peer)).toFixed(2)}x (target <= 1.0x)\n`);
  process.stdout.write(`load average: ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
} finally {
  registry.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
  if (existsSync(work)) process.stderr.write(`left ${work}\n`);
}
