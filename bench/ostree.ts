/**
 * ostree benchmark: a directory (default /usr/lib/python3.11) committed by real `ostree commit`
 * into an archive and a bare-user-only repo, then converted by cfskit (checkoutTree into a fresh
 * cfs store + buildImage), next to the directory source into the same kind of store; plus GVariant
 * dirtree encode/decode of 5000 entries. Figures are noisy on a shared machine.
 *
 *   npx tsx bench/ostree.ts [--tree=DIR]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../src/composefs/index.js';
import { loadLocalSource } from '../src/composefs/sources/index.js';
import { ObjectStore } from '../src/store/objects.js';
import { checkoutTree } from '../src/ostree/checkout-tree.js';
import { decodeDirTree, encodeDirTree } from '../src/ostree/formats.js';
import { openRepo } from '../src/ostree/repo.js';

const tree = process.argv.find((a) => a.startsWith('--tree='))?.slice(7) ?? '/usr/lib/python3.11';
const work = mkdtempSync(join(tmpdir(), 'cfskit-bench-ostree-'));
const ms = (t: number) => `${(performance.now() - t).toFixed(0)} ms`;

try {
  console.log(`tree ${tree}; load average ${loadavg()[0].toFixed(1)}`);
  for (const mode of ['archive', 'bare-user-only']) {
    const repo = join(work, mode);
    spawnSync('ostree', ['init', `--repo=${repo}`, `--mode=${mode}`]);
    let t = performance.now();
    const c = spawnSync('ostree', ['commit', `--repo=${repo}`, '-b', 'b', `--tree=dir=${tree}`, '--owner-uid=0', '--owner-gid=0']);
    if (c.status !== 0) throw new Error(`ostree commit failed: ${c.stderr}`);
    console.log(`${mode}: ostree commit ${ms(t)}`);
    t = performance.now();
    const { root } = await checkoutTree(openRepo(repo), 'b', { store: new ObjectStore(join(work, `store-${mode}`)) });
    console.log(`${mode}: checkoutTree into a fresh store ${ms(t)}`);
    t = performance.now();
    buildImage(root);
    console.log(`${mode}: buildImage ${ms(t)}`);
  }
  const t = performance.now();
  await loadLocalSource({ kind: 'dir', paths: [tree], options: { digestStore: join(work, 'store-dir') } });
  console.log(`directory source into a fresh store ${ms(t)}`);
  const files = Array.from({ length: 5000 }, (_, i) => ({ name: `file-${i}.so`, checksum: i.toString(16).padStart(64, '0') }));
  for (let round = 0; round < 3; round++) {
    let t2 = performance.now();
    const bytes = encodeDirTree({ files, dirs: [] });
    const enc = ms(t2);
    t2 = performance.now();
    decodeDirTree(bytes);
    console.log(`dirtree of 5000 entries (${bytes.length} bytes): encode ${enc}, decode ${ms(t2)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
