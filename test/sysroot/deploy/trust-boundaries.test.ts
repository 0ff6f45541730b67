/**
 * Issue 15 items 1 and 2, sysroot side: images are trusted only after their backing paths passed
 * src/cfs/backing-path.ts and their objects src/cfs/object-file.ts; admin cleanup refuses to
 * prune when a deployed stub commit cannot be read.
 */
import { expect } from 'chai';
import { cpSync, lstatSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CfsError } from '../../../src/errors.js';
import { buildImage } from '../../../src/composefs/index.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import type { Node } from '../../../src/tree/tree.js';
import { fsckRepo } from '../../../src/cfs/fsck.js';
import { prune } from '../../../src/cfs/prune.js';
import { storeImage } from '../../../src/cfs/store.js';
import { writeStubCommit } from '../../../src/ostree/commit.js';
import { objectPath } from '../../../src/ostree/objects.js';
import { openRepo } from '../../../src/ostree/repo.js';
import { findKernel } from '../../../src/formats/bootcsum.js';
import { cfsImagePaths, lookupPath } from '../../../src/sysroot/cfs-image.js';
import { deploy } from '../../../src/sysroot/deploy.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { paths } from '../../../src/sysroot/layout.js';
import { verify } from '../../../src/sysroot/verify.js';
import { tempDir } from '../helpers.js';
import { KVER, STATEROOT, commitVersion, makeSysroot, osFiles, writeTree } from './fixture.js';
import { snapshot } from './snapshot.js';
import { cfskit } from '../../helpers/cli.js';

const SECRET = 'host secret: never in a deployment\n';

/** Files under `dir` that hold the secret or are the secret's inode. */
function leaks(dir: string, secret: string): string[] {
  const ino = statSync(secret).ino;
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile() && (st.ino === ino || readFileSync(p).includes(SECRET))) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe('trust boundaries of deployments (issue 15 items 1, 2)', function () {
  this.timeout(120_000);
  const tmp = tempDir('cfskit-trust-deploy-', true);
  after(tmp.remove);
  const base = `${tmp.path}/base`;
  const secret = `${tmp.path}/secret`;
  let n = 0;

  before(async () => {
    writeFileSync(secret, SECRET);
    makeSysroot(base);
    const v1 = await commitVersion(base, tmp.path, '1.0');
    await deploy({ sysroot: base, stateroot: STATEROOT, source: v1.checksum });
  });

  /** A copy of the base sysroot. */
  const fresh = (): string => {
    const s = `${tmp.path}/s${n++}`;
    cpSync(base, s, { recursive: true, verbatimSymlinks: true });
    return s;
  };

  /** Commits an OS tree (with a 300-byte etc file) after `mutate` changed its loaded tree. */
  async function commitMutated(sysroot: string, mutate: (root: Node) => void): Promise<{ checksum: string; digest: string }> {
    const tree = `${tmp.path}/tree-${n++}`;
    writeTree(tree, osFiles('9.0', { 'usr/etc/big.conf': 'big\n'.repeat(75) }));
    const root = await loadLocalSource({ kind: 'dir', paths: [tree], options: { digestStore: cfsImagePaths.objects(sysroot) } });
    mutate(root);
    const { image, version } = buildImage(root);
    const repo = openRepo(paths.repo(sysroot));
    const digest = await storeImage(repo, image);
    const checksum = writeStubCommit(repo, {
      branch: `${STATEROOT}/hostile`, imageDigest: Buffer.from(digest, 'hex'), formatVersion: version, kernelVersion: findKernel(root)?.kver, timestamp: 1700000001n,
    });
    return { checksum, digest };
  }

  const setPayload = (path: string, payload: string) => (root: Node) => {
    const node = lookupPath(root, path)!;
    expect(node.payload, `${path} is a backing file`).to.not.equal(null);
    node.payload = Buffer.from(payload);
  };

  // from ostree/repo/cfs/objects, five levels up is the test's directory, where the secret is
  const OUT = '../../../../../secret';

  for (const [what, path] of [['an /etc default', 'usr/etc/big.conf'], ['the kernel', `usr/lib/modules/${KVER}/vmlinuz`]]) {
    it(`payload ${OUT} on ${what}: deploy refuses with one line, writes nothing, no host file reaches etc/ or /boot`, async () => {
      const s = fresh();
      const { checksum } = await commitMutated(s, setPayload(path, OUT));
      const before = snapshot(s);
      const r = cfskit(['admin', 'deploy', `--sysroot=${s}`, `--os=${STATEROOT}`, checksum]);
      expect(r.status).to.equal(1);
      expect(r.stderr.trim().split('\n')).to.have.length(1);
      expect(r.stderr).to.contain(`backing path '${OUT}' is not an object path`).and.contain(path);
      expect(snapshot(s)).to.deep.equal(before);
      expect(leaks(s, secret)).to.deep.equal([]);
    });
  }

  it('the issue\'s payload ../../../../root/secret, an absolute one and a digest mismatch are refused by deploy', async () => {
    const s = fresh();
    const other = 'ab'.repeat(32);
    for (const payload of ['../../../../root/secret', '/etc/shadow', `${other.slice(0, 2)}/${other.slice(2)}`]) {
      const { checksum } = await commitMutated(s, setPayload('usr/etc/big.conf', payload));
      const err = await deploy({ sysroot: s, stateroot: STATEROOT, source: checksum }).catch((e) => e);
      expect(err).to.be.instanceOf(CfsError);
      expect(err.code).to.equal('EBACKING');
    }
    expect(loadSysroot(s).deployments).to.have.length(1);
  });

  it('an image naming an absent object: deploy refuses with one line naming it', async () => {
    const s = fresh();
    let hex = '';
    const { checksum } = await commitMutated(s, (root) => {
      hex = Buffer.from(lookupPath(root, 'usr/bin/hello')!.digest!).toString('hex');
    });
    const object = cfsImagePaths.object(s, hex);
    unlinkSync(object);
    const before = snapshot(s);
    const r = cfskit(['admin', 'deploy', `--sysroot=${s}`, `--os=${STATEROOT}`, checksum]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain(object).and.contain(`object ${hex} is missing`);
    expect(snapshot(s)).to.deep.equal(before);
  });

  it('an object replaced by a symlink out of the store, or by other bytes, is never used', async () => {
    const s = fresh();
    let hex = '';
    const { checksum } = await commitMutated(s, (root) => {
      hex = Buffer.from(lookupPath(root, 'usr/etc/big.conf')!.digest!).toString('hex');
    });
    const object = cfsImagePaths.object(s, hex);
    unlinkSync(object);
    symlinkSync(secret, object);
    let err = await deploy({ sysroot: s, stateroot: STATEROOT, source: checksum }).catch((e) => e);
    expect(err).to.be.instanceOf(CfsError);
    expect(err.message).to.contain('is a symbolic link');
    unlinkSync(object);
    writeFileSync(object, 'BIG\n'.repeat(75)); // the same size, other bytes
    err = await deploy({ sysroot: s, stateroot: STATEROOT, source: checksum }).catch((e) => e);
    expect(err).to.be.instanceOf(CfsError);
    expect(err.message).to.contain('content does not match its name');
    expect(leaks(s, secret)).to.deep.equal([]);
    expect(loadSysroot(s).deployments).to.have.length(1);
  });

  it('admin verify and fsck report a hostile backing path; prune refuses', async () => {
    const s = fresh();
    const { digest } = await commitMutated(s, setPayload('usr/etc/big.conf', OUT));
    const dep = `${s}/${loadSysroot(s).deployments.map((d) => `ostree/deploy/${d.stateroot}/deploy/${d.csum}.${d.deployserial}`)[0]}`;
    rmSync(`${dep}/.ostree.cfs`);
    cpSync(`${s}/ostree/repo/cfs/images/${digest}`, `${dep}/.ostree.cfs`);
    const report = await verify(s);
    expect(report.problems.filter((p) => p.link === 'object').map((p) => p.reason).join('\n')).to.contain(`backing path '${OUT}' is not an object path`);
    const repo = openRepo(paths.repo(s));
    expect((await fsckRepo(repo)).map((p) => p.reason).join('\n')).to.contain(`backing path '${OUT}' is not an object path`);
    const before = snapshot(s);
    const err = await prune(repo).catch((e) => e);
    expect(err).to.be.instanceOf(CfsError);
    expect(err.message).to.contain('refusing to prune');
    expect(snapshot(s)).to.deep.equal(before);
  });

  it('a damaged stub commit of the default deployment: admin cleanup refuses (exit 1, one line), nothing deleted', async () => {
    const s = fresh();
    // garbage cleanup would otherwise collect: a commit whose branch is gone
    const garbage = await commitVersion(s, tmp.path, '3.0', { 'usr/etc/motd': 'garbage\n' });
    rmSync(`${s}/ostree/repo/refs/heads/${STATEROOT}/stable`);
    const csum = loadSysroot(s).deployments[0].csum;
    const stub = objectPath(openRepo(paths.repo(s)), csum, 'commit');
    truncateSync(stub, 10);
    const before = snapshot(s);
    const r = cfskit(['admin', 'cleanup', `--sysroot=${s}`]);
    expect(r.status).to.equal(1);
    expect(r.stderr.trim().split('\n')).to.have.length(1);
    expect(r.stderr).to.contain(stub).and.contain(`corrupt commit ${csum}`);
    expect(snapshot(s)).to.deep.equal(before);
    expect(readdirSync(`${s}/ostree/repo/cfs/images`)).to.include(garbage.digest);
    // the same sysroot undamaged: cleanup collects the garbage and the deployment verifies
    writeFileSync(stub, readFileSync(objectPath(openRepo(paths.repo(base)), csum, 'commit')));
    expect(cfskit(['admin', 'cleanup', `--sysroot=${s}`]).status).to.equal(0);
    expect(readdirSync(`${s}/ostree/repo/cfs/images`)).to.not.include(garbage.digest);
    expect((await verify(s)).problems).to.deep.equal([]);
  });
});
