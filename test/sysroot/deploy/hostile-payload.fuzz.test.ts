/**
 * Fuzz (issue 15 item 2): images whose backing paths are hostile — `..` climbs, absolute paths,
 * over-long and wrong-length names, non-hex and upper-case digits, NUL bytes, random bytes, a
 * well-formed path of another digest — go through deploy, admin verify and fsck: deploy refuses
 * with a CfsError, verify and fsck report the file, and no file outside the store is touched: every
 * path handed to node:fs during the three is recorded, and none names the canary the payloads
 * aim at. Seeded; runs = CFSKIT_FUZZ_RUNS / 100 (each run deploys, verifies and checks a repo), at
 * least 25.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import fs, { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { CfsError } from '../../../src/errors.js';
import { buildImage } from '../../../src/composefs/index.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import type { Node } from '../../../src/tree/tree.js';
import { fsckRepo } from '../../../src/cfs/fsck.js';
import { cfsPaths, storeImage } from '../../../src/cfs/store.js';
import { writeStubCommit } from '../../../src/ostree/commit.js';
import { deleteRef } from '../../../src/ostree/refs.js';
import { openRepo } from '../../../src/ostree/repo.js';
import { cfsImagePaths, lookupPath } from '../../../src/sysroot/cfs-image.js';
import { deploy } from '../../../src/sysroot/deploy.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { objectsContent } from '../../../src/sysroot/etc/etc-merge.js';
import { paths } from '../../../src/sysroot/layout.js';
import { verify } from '../../../src/sysroot/verify.js';
import { tempDir } from '../helpers.js';
import { KVER, STATEROOT, commitVersion, makeSysroot, osFiles, writeTree } from './fixture.js';

const RUNS = Math.max(25, Math.ceil(Number(process.env.CFSKIT_FUZZ_RUNS ?? 5000) / 100));
const CANARY = 'canary-outside-the-store';

/** Records every path given to the node:fs calls the code under test makes (sync and promises). */
function spyFs(): { seen: string[]; restore: () => void } {
  const seen: string[] = [];
  const record = (a: unknown) => {
    if (typeof a === 'string' || Buffer.isBuffer(a) || a instanceof URL) seen.push(a instanceof URL ? a.pathname : a.toString('latin1' as never));
  };
  const undo: (() => void)[] = [];
  const wrap = (obj: Record<string, unknown>, names: string[], args: number) => {
    for (const name of names) {
      const orig = obj[name] as (...a: unknown[]) => unknown;
      const spy = function (this: unknown, ...a: unknown[]) {
        a.slice(0, args).forEach(record);
        return orig.apply(this, a);
      };
      Object.assign(spy, orig);
      obj[name] = spy;
      undo.push(() => (obj[name] = orig));
    }
  };
  const one = ['openSync', 'readFileSync', 'statSync', 'lstatSync', 'existsSync', 'readdirSync', 'opendirSync', 'readlinkSync', 'realpathSync', 'accessSync', 'createReadStream'];
  wrap(fs as unknown as Record<string, unknown>, one, 1);
  wrap(fs as unknown as Record<string, unknown>, ['linkSync', 'copyFileSync', 'symlinkSync', 'renameSync'], 2);
  wrap(fs.promises as unknown as Record<string, unknown>, ['open', 'readFile', 'stat', 'lstat', 'readdir', 'readlink', 'realpath', 'access'], 1);
  wrap(fs.promises as unknown as Record<string, unknown>, ['link', 'copyFile', 'rename'], 2);
  syncBuiltinESMExports();
  return {
    seen,
    restore: () => {
      for (const u of undo) u();
      syncBuiltinESMExports();
    },
  };
}

const hex = (min: number, max: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: min, maxLength: max });

/** Backing paths no image may use. */
const hostile: fc.Arbitrary<Uint8Array> = fc.oneof(
  // climbs out of the objects dir towards the canary
  fc.array(fc.constantFrom('..', '.', '', 'cfs', 'objects'), { minLength: 1, maxLength: 8 }).map((parts) => Buffer.from(`${[...parts, '..', '..', '..', '..', '..'].join('/')}/${CANARY}`)),
  fc.constantFrom('../../../../root/secret', `/${CANARY}`, `//${CANARY}`, `ab/../../../../../${CANARY}`).map((s) => Buffer.from(s)),
  // absolute, in object form
  hex(64, 64).map((h) => Buffer.from(`/${h.slice(0, 2)}/${h.slice(2)}`)),
  // wrong lengths and over-long
  fc.oneof(hex(0, 61), hex(63, 4000)).map((h) => Buffer.from(`${h.slice(0, 2)}/${h.slice(2)}`)),
  hex(64, 64).map((h) => Buffer.from(h)),
  hex(64, 64).map((h) => Buffer.from(`${h.slice(0, 4)}/${h.slice(4)}`)),
  // non-hex and upper case in the right shape, NUL inside
  fc.tuple(hex(64, 64), fc.nat(63), fc.constantFrom('g', 'G', 'A', 'F', ' ', '\0', '/', '.', '\n', 'é')).map(([h, at, c]) => {
    const s = h.slice(0, at) + c + h.slice(at + 1);
    return Buffer.from(`${s.slice(0, 2)}/${s.slice(2)}`);
  }),
  // the object path of another digest than the file's
  hex(64, 64).map((h) => Buffer.from(`${h.slice(0, 2)}/${h.slice(2)}`)),
  fc.uint8Array({ minLength: 1, maxLength: 300 }),
);

describe('hostile backing paths through deploy, verify and fsck (fuzz)', function () {
  this.timeout(600_000);
  const tmp = tempDir('cfskit-hostile-', true);
  after(tmp.remove);
  const s = `${tmp.path}/sys`;
  let tree: Node;
  let deployedImage: string;
  let original: Buffer;

  before(async () => {
    makeSysroot(s);
    const v1 = await commitVersion(s, tmp.path, '1.0');
    await deploy({ sysroot: s, stateroot: STATEROOT, source: v1.checksum });
    const d = loadSysroot(s).deployments[0];
    deployedImage = `${s}/ostree/deploy/${STATEROOT}/deploy/${d.csum}.${d.deployserial}/.ostree.cfs`;
    original = readFileSync(deployedImage);
    writeFileSync(`${tmp.path}/${CANARY}`, 'outside\n');
    const dir = `${tmp.path}/tree`;
    writeTree(dir, osFiles('7.0', { 'usr/etc/big.conf': 'big\n'.repeat(75) }));
    tree = await loadLocalSource({ kind: 'dir', paths: [dir], options: { digestStore: cfsImagePaths.objects(s) } });
  });

  it('the spy sees an unchecked read (control): objectsContent joins a climbing payload', () => {
    const node = lookupPath(tree, 'usr/etc/big.conf')!;
    const saved = node.payload;
    node.payload = Buffer.from(`../../../../../${CANARY}`);
    const spy = spyFs();
    try {
      const c = objectsContent(cfsImagePaths.objects(s))(node);
      expect(readFileSync((c as { path: Buffer }).path, 'utf8')).to.equal('outside\n');
    } finally {
      spy.restore();
      node.payload = saved;
    }
    expect(spy.seen.some((p) => p.includes(CANARY))).to.equal(true);
  });

  it('deploy refuses, verify and fsck report, nothing outside the store is touched', async () => {
    const repo = openRepo(paths.repo(s));
    const targets = ['usr/etc/big.conf', `usr/lib/modules/${KVER}/vmlinuz`, 'usr/bin/hello'];
    let built = 0;
    await fc.assert(
      fc.asyncProperty(hostile, fc.constantFrom(...targets), async (payload, target) => {
        const node = lookupPath(tree, target)!;
        const saved = node.payload;
        node.payload = payload;
        let image: Uint8Array;
        try {
          image = buildImage(tree).image;
        } catch (e) {
          if (e instanceof CfsError) return; // the writer refuses it already (e.g. longer than PATH_MAX)
          throw e;
        } finally {
          node.payload = saved;
        }
        built++;
        const digest = await storeImage(repo, image);
        const checksum = writeStubCommit(repo, { branch: 'hostile', imageDigest: Buffer.from(digest, 'hex'), formatVersion: 0, timestamp: 1n });
        rmSync(deployedImage);
        writeFileSync(deployedImage, image);
        const spy = spyFs();
        try {
          const err = await deploy({ sysroot: s, stateroot: STATEROOT, source: checksum }).then(() => undefined, (e) => e);
          expect(err, 'deploy refuses').to.be.instanceOf(CfsError);
          expect(err.code).to.equal('EBACKING');
          expect(err.message.split('\n')).to.have.length(1);
          const v = await verify(s);
          expect(v.problems.some((p) => p.link === 'object' && /backing path/.test(p.reason)), 'verify reports it').to.equal(true);
          const problems = await fsckRepo(repo);
          expect(problems.some((p) => `${p.path} ${p.reason}`.includes(digest.slice(2)) && /backing path/.test(p.reason)), 'fsck reports it').to.equal(true);
        } finally {
          spy.restore();
          rmSync(deployedImage);
          writeFileSync(deployedImage, original);
          deleteRef(repo, 'hostile');
          // the next run's fsck checks only its own image
          rmSync(`${cfsPaths(repo).images}/${digest}`);
          rmSync(`${cfsPaths(repo).objects}/${digest.slice(0, 2)}/${digest.slice(2)}`);
        }
        expect(spy.seen.filter((p) => p.includes(CANARY))).to.deep.equal([]);
        expect(loadSysroot(s).deployments).to.have.length(1);
      }),
      { numRuns: RUNS, seed: 2015 },
    );
    console.log(`      ${RUNS} runs, ${built} hostile images built and refused`);
    expect(built).to.be.greaterThan(RUNS / 2);
  });
});
