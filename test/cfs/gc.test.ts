/**
 * GC and fsck of stub commits and cfs/ (issue 5 items 6, 7). The property test keeps its own model
 * of what each commit, branch and image ref holds and checks prune against it.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { needCommand, runPeer } from '../helpers/peers.js';
import { buildImage } from '../../src/composefs/index.js';
import { initRepo, openRepo, type Repo } from '../../src/ostree/repo.js';
import { writeStubCommit } from '../../src/ostree/commit.js';
import { deleteRef, readRef } from '../../src/ostree/refs.js';
import { listObjects, objectPath as ostreeObjectPath } from '../../src/ostree/objects.js';
import { withRepoLock } from '../../src/ostree/lock.js';
import { cfsPaths, openCfs, refImage, storeImage } from '../../src/cfs/store.js';
import { objectPath } from '../../src/store/objects.js';
import { digestBytes } from '../../src/fsverity/index.js';
import { listCfsObjects } from '../../src/cfs/reach.js';
import { prune } from '../../src/cfs/prune.js';
import { fsckRepo } from '../../src/cfs/fsck.js';
import { cfskit } from '../helpers/cli.js';

const BRANCHES = ['a', 'b', 'c'];

/** Commits an image whose one external file has content variant `k`; returns what it stored. */
async function commitVariant(repo: Repo, branch: string, k: number) {
  return withRepoLock(repo, async () => {
    const content = Buffer.alloc(100 + k, 0x41 + k);
    const { hex } = digestBytes(content);
    const objects = (await openCfs(repo)).objects;
    mkdirSync(join(objects, hex.slice(0, 2)), { recursive: true });
    writeFileSync(join(objects, objectPath(hex)), content);
    const dump = `/ 0 40755 1 0 0 0 0.0 - - -\n/f ${content.length} 100644 1 0 0 0 0.0 ${objectPath(hex)} - ${hex}\n`;
    const image = await storeImage(repo, buildImage(new TextEncoder().encode(dump)).image);
    const checksum = writeStubCommit(repo, { branch, subject: `v${k}`, imageDigest: Buffer.from(image, 'hex'), formatVersion: 0 });
    return { checksum, image, object: hex };
  });
}

type Op =
  | { op: 'commit'; branch: string; k: number }
  | { op: 'delete'; branch: string }
  | { op: 'ref-image'; name: string; branch: string }
  | { op: 'unref-image'; name: string }
  | { op: 'prune'; depth: number };

const arbOp: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('commit' as const), branch: fc.constantFrom(...BRANCHES), k: fc.integer({ min: 0, max: 9 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), branch: fc.constantFrom(...BRANCHES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('ref-image' as const), name: fc.constantFrom('x', 'y/z'), branch: fc.constantFrom(...BRANCHES) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('unref-image' as const), name: fc.constantFrom('x', 'y/z') }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('prune' as const), depth: fc.constantFrom(-1, 0, 1) }) },
);

describe('cfs GC and fsck', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-gc-'));
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('prune never deletes what a root reaches and leaves nothing unreachable (model-checked)', async () => {
    let run = 0;
    await fc.assert(
      // Every sequence ends with a prune, so each run is checked at least once.
      fc.asyncProperty(fc.array(arbOp, { minLength: 4, maxLength: 20, size: 'medium' }), fc.constantFrom(-1, 0, 1), async (steps, lastDepth) => {
        const ops: Op[] = [...steps, { op: 'prune', depth: lastDepth }];
        const repo = initRepo(join(dir, `prop-${run++}`), 'bare-user-only');
        const commits = new Map<string, { parent: string | null; image: string; object: string }>();
        const imageRefs = new Map<string, string>();
        const imageObject = new Map<string, string>();
        for (const o of ops) {
          if (o.op === 'commit') {
            const parent = readRef(repo, o.branch) ?? null;
            const c = await commitVariant(repo, o.branch, o.k);
            commits.set(c.checksum, { parent, image: c.image, object: c.object });
            imageObject.set(c.image, c.object);
          } else if (o.op === 'delete') {
            deleteRef(repo, o.branch);
          } else if (o.op === 'ref-image') {
            const head = readRef(repo, o.branch);
            if (!head) continue;
            await refImage(repo, o.name, commits.get(head)!.image);
            imageRefs.set(o.name, commits.get(head)!.image);
          } else if (o.op === 'unref-image') {
            rmSync(join(cfsPaths(repo).imageRefs, o.name), { force: true });
            imageRefs.delete(o.name);
          } else {
            await prune(repo, { depth: o.depth });
            // The model's reachable set, from its own records.
            const keepCommits = new Set<string>();
            const keepImages = new Set<string>(imageRefs.values());
            for (const b of BRANCHES) {
              let c = readRef(repo, b) ?? null;
              // A commit an earlier prune deleted protects nothing any more.
              for (let level = 0; c && commits.has(c) && (o.depth < 0 || level <= o.depth); level++) {
                keepCommits.add(c);
                keepImages.add(commits.get(c)!.image);
                c = commits.get(c)!.parent;
              }
            }
            const keepObjects = new Set<string>(keepImages);
            for (const image of keepImages) keepObjects.add(imageObject.get(image)!);
            expect(new Set(await listCfsObjects(repo))).to.deep.equal(keepObjects);
            expect(new Set([...listObjects(repo, 'commit')].map((x) => x.checksum))).to.deep.equal(keepCommits);
            expect(await fsckRepo(repo)).to.deep.equal([]);
            for (const c of [...commits.keys()]) if (!keepCommits.has(c)) commits.delete(c);
          }
        }
      }),
      { seed: 31, numRuns: 25 },
    );
  });

  describe('fsck finds each kind of damage', () => {
    let base: string;
    let image: string;
    let object: string;
    let commit: string;
    before(async () => {
      const repo = initRepo(join(dir, 'base'), 'archive');
      ({ image, object, checksum: commit } = await commitVariant(repo, 'main', 1));
      await refImage(repo, 'named', image);
      base = repo.path;
      expect(await fsckRepo(repo)).to.deep.equal([]);
    });
    const damaged = (name: string, harm: (repo: Repo) => void): Repo => {
      const path = join(dir, name);
      spawnSync('cp', ['-a', base, path]);
      const repo = openRepo(path);
      harm(repo);
      return repo;
    };
    const objFile = (repo: Repo, hex: string) => join(cfsPaths(repo).objects, hex.slice(0, 2), hex.slice(2));

    it('a flipped byte in an object', async () => {
      const repo = damaged('flip', (r) => {
        const f = objFile(r, object);
        const b = readFileSync(f);
        b[7] ^= 0x10;
        writeFileSync(f, b);
      });
      const problems = await fsckRepo(repo);
      expect(problems).to.have.length(1);
      expect(problems[0]).to.include({ path: objFile(repo, object) }).and.property('reason').match(/does not match its name/);
    });

    it('a missing backing object', async () => {
      const repo = damaged('missing', (r) => unlinkSync(objFile(r, object)));
      expect(await fsckRepo(repo)).to.deep.equal([{ path: objFile(repo, image), reason: `image ${image} of commit ${commit}: 1 backing object (${object}) missing` }]);
    });

    it('a dangling image ref', async () => {
      const repo = damaged('dangling', (r) => {
        unlinkSync(join(cfsPaths(r).images, image));
        unlinkSync(objFile(r, image));
      });
      const reasons = (await fsckRepo(repo)).map((p) => p.reason);
      expect(reasons).to.include('dangling image ref').and.include(`image ${image} of stub commit missing`);
    });

    it('a corrupt commit, also seen by the CLI (exit 1, one line per problem)', async () => {
      const repo = damaged('commit', (r) => {
        const f = ostreeObjectPath(r, commit, 'commit');
        const b = readFileSync(f);
        b[b.length - 1] ^= 1;
        writeFileSync(f, b);
      });
      const problems = await fsckRepo(repo);
      expect(problems).to.have.length(1);
      expect(problems[0].reason).to.match(/^corrupt commit/);
      const r = cfskit(['fsck', '--repo', repo.path]);
      expect(r.status).to.equal(1);
      expect(r.stdout).to.contain('corrupt commit').and.contain('1 problem(s) found');
    });
  });

  it('keeps the commits of sysroot deployments when the repo is SYSROOT/ostree/repo', async () => {
    const repo = initRepo(join(dir, 'sysroot/ostree/repo'), 'bare-user-only');
    const deployed = await commitVariant(repo, 'os', 3);
    const other = await commitVariant(repo, 'tmp', 4);
    mkdirSync(join(dir, 'sysroot/ostree/deploy/os/deploy', `${deployed.checksum}.0`), { recursive: true });
    deleteRef(repo, 'os');
    deleteRef(repo, 'tmp');
    expect(await prune(repo)).to.include({ commits: 1, images: 1, objects: 2 });
    expect(existsSync(ostreeObjectPath(repo, deployed.checksum, 'commit'))).to.equal(true);
    expect(existsSync(ostreeObjectPath(repo, other.checksum, 'commit'))).to.equal(false);
    expect(new Set(await listCfsObjects(repo))).to.deep.equal(new Set([deployed.image, deployed.object]));
  });

  it('ostree fsck and prune stay happy with a pruned repo', async function () {
    needCommand(this, 'ostree');
    const repo = initRepo(join(dir, 'ostree-view'), 'bare-user-only');
    for (const k of [0, 1, 2]) await commitVariant(repo, 'main', k);
    const r = await prune(repo, { depth: 0 });
    expect(r).to.include({ commits: 2, images: 2, objects: 4 });
    expect(runPeer('ostree', ['fsck', `--repo=${repo.path}`]).status).to.equal(0);
    expect(runPeer('ostree', ['log', `--repo=${repo.path}`, 'main']).stdout).to.contain('History beyond this commit not fetched');
    // ostree's own prune keeps the ref'd stub commit and never looks into cfs/ (ostree.md §6.2).
    const before = await listCfsObjects(repo);
    expect(runPeer('ostree', ['prune', `--repo=${repo.path}`, '--refs-only']).status).to.equal(0);
    expect(runPeer('ostree', ['fsck', `--repo=${repo.path}`]).status).to.equal(0);
    expect(await listCfsObjects(repo)).to.deep.equal(before);
    expect(await fsckRepo(repo)).to.deep.equal([]);
    expect(existsSync(ostreeObjectPath(repo, readRef(repo, 'main')!, 'commit'))).to.equal(true);
  });
});
