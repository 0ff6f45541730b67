/**
 * Property (issue 15 item 1): on a sysroot with two deployments, a branch and garbage, any random
 * damage (commits, images, objects, refs — including the deployment refs — removed or truncated)
 * leaves `admin cleanup` and `prune` two choices: refuse with a CfsError and change nothing, or
 * keep everything `admin verify` and `info missing-objects` need (their answers do not change).
 * Seeded; runs = CFSKIT_FUZZ_RUNS / 100 (each run copies and cleans a sysroot), at least 10.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { cpSync, existsSync, lstatSync, readFileSync, readdirSync, rmSync, statSync, truncateSync, unlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CfsError } from '../../../src/errors.js';
import { readImage } from '../../../src/composefs/erofs/reader.js';
import { collectObjects } from '../../../src/composefs/listing.js';
import { prune } from '../../../src/cfs/prune.js';
import { openRepo } from '../../../src/ostree/repo.js';
import { cfsImagePaths } from '../../../src/sysroot/cfs-image.js';
import { cleanup } from '../../../src/sysroot/cleanup.js';
import { deploy } from '../../../src/sysroot/deploy.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { paths } from '../../../src/sysroot/layout.js';
import { verify } from '../../../src/sysroot/verify.js';
import { tempDir } from '../helpers.js';
import { STATEROOT, commitVersion, makeSysroot } from './fixture.js';
import { snapshot } from './snapshot.js';

const RUNS = Math.max(10, Math.ceil(Number(process.env.CFSKIT_FUZZ_RUNS ?? 4000) / 100));

/** Files damage can hit, relative to the repo: commits, refs, image links, objects. */
function targets(repo: string): string[] {
  const out: string[] = [];
  const walk = (d: string, keep: (p: string) => boolean) => {
    if (!existsSync(d)) return;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p, keep);
      else if (keep(p)) out.push(relative(repo, p));
    }
  };
  walk(join(repo, 'objects'), (p) => p.endsWith('.commit'));
  walk(join(repo, 'refs/heads'), () => true);
  walk(join(repo, 'cfs/images'), () => true);
  walk(join(repo, 'cfs/objects'), () => true);
  return out.sort();
}

/** `info missing-objects --basedir=OBJECTS` of each deployment's image. */
function missingObjects(sysroot: string): string[] {
  const out: string[] = [];
  for (const d of loadSysroot(sysroot).deployments) {
    const image = `${sysroot}/ostree/deploy/${d.stateroot}/deploy/${d.csum}.${d.deployserial}/.ostree.cfs`;
    const objects = new Map<string, Uint8Array>();
    collectObjects(readImage(readFileSync(image)), objects);
    for (const o of objects.values()) if (!existsSync(join(cfsImagePaths.objects(sysroot), Buffer.from(o).toString()))) out.push(Buffer.from(o).toString());
  }
  return out.sort();
}

const verdict = async (sysroot: string) => ({ verify: (await verify(sysroot)).problems, missing: missingObjects(sysroot) });

describe('random damage: prune and admin cleanup refuse or keep what verify needs (property)', function () {
  this.timeout(600_000);
  const tmp = tempDir('cfskit-damage-', true);
  after(tmp.remove);
  const base = `${tmp.path}/base`;
  let files: string[] = [];

  before(async () => {
    makeSysroot(base);
    const v1 = await commitVersion(base, tmp.path, '1.0');
    await deploy({ sysroot: base, stateroot: STATEROOT, source: v1.checksum });
    await commitVersion(base, tmp.path, '2.0', { 'usr/etc/motd': 'v2\n' });
    await deploy({ sysroot: base, stateroot: STATEROOT, source: `${STATEROOT}/stable` });
    await commitVersion(base, tmp.path, '3.0', { 'usr/bin/extra': 'only in 3.0 '.repeat(20) });
    files = targets(paths.repo(base));
  });

  it('holds for random damage and either operation', async () => {
    let n = 0;
    const counts = { refused: 0, done: 0 };
    const damage = fc.array(fc.record({ file: fc.nat(), how: fc.constantFrom('remove' as const, 'truncate' as const) }), { maxLength: 3 });
    const op = fc.constantFrom({ cleanup: true, depth: 0 }, { cleanup: false, depth: -1 }, { cleanup: false, depth: 0 });
    await fc.assert(
      fc.asyncProperty(damage, op, async (hits, o) => {
        const s = `${tmp.path}/run-${n++}`;
        cpSync(base, s, { recursive: true, verbatimSymlinks: true });
        try {
          const repo = paths.repo(s);
          for (const { file, how } of hits) {
            const path = join(repo, files[file % files.length]);
            const st = lstatSync(path, { throwIfNoEntry: false });
            if (!st) continue;
            if (how === 'remove' || st.isSymbolicLink()) unlinkSync(path);
            else truncateSync(path, Math.floor(statSync(path).size / 2));
          }
          const before = { files: snapshot(s), ...(await verdict(s)) };
          let refused = false;
          try {
            if (o.cleanup) await cleanup(s, { prune: true });
            else await prune(openRepo(repo), { depth: o.depth });
          } catch (e) {
            if (!(e instanceof CfsError)) throw e;
            refused = true;
          }
          if (refused) {
            counts.refused++;
            expect(snapshot(s)).to.deep.equal(before.files);
          } else {
            counts.done++;
            const after = await verdict(s);
            expect(after.missing).to.deep.equal(before.missing);
            expect(after.verify).to.deep.equal(before.verify);
          }
        } finally {
          rmSync(s, { recursive: true, force: true });
        }
      }),
      { numRuns: RUNS, seed: 15 },
    );
    console.log(`      ${RUNS} runs: ${counts.refused} refused, ${counts.done} pruned`);
    // both outcomes occur, so neither branch of the property is vacuous
    expect(counts.refused).to.be.greaterThan(0);
    expect(counts.done).to.be.greaterThan(0);
  });
});
