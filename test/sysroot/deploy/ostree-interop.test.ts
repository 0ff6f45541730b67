import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { printVariant } from '../../../src/formats/gvariant-text.js';
import { deploy } from '../../../src/sysroot/deploy.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { status } from '../../../src/sysroot/status-of.js';
import { verify } from '../../../src/sysroot/verify.js';
import { needCommand, runPeer } from '../../helpers/peers.js';
import { tempDir } from '../helpers.js';
import { KVER, STATEROOT, commitVersion, makeSysroot, osFiles, storeTree, writeTree } from './fixture.js';

/** ostree admin on a sysroot (its deployments are not immutable: we cannot chattr +i either). */
const ostree = (args: string[], sysroot: string) => runPeer('ostree', ['admin', ...args, `--sysroot=${sysroot}`]);

describe('admin deploy: real ostree 2022.7 reads and edits our sysroot', function () {
  this.timeout(60_000);
  const tmp = tempDir('cfskit-deploy-ostree-');
  after(tmp.remove);
  const sysroot = `${tmp.path}/sysroot`;
  let v1: { checksum: string; digest: string };
  let v2: { checksum: string; digest: string };

  const debug = process.env.OSTREE_SYSROOT_DEBUG;
  after(() => {
    if (debug === undefined) delete process.env.OSTREE_SYSROOT_DEBUG;
    else process.env.OSTREE_SYSROOT_DEBUG = debug;
  });

  before(async () => {
    process.env.OSTREE_SYSROOT_DEBUG = 'mutable-deployments';
    makeSysroot(sysroot);
    v1 = await commitVersion(sysroot, tmp.path, '1.0');
    await deploy({ sysroot, stateroot: STATEROOT, source: v1.checksum, kargs: ['root=LABEL=rootfs'] });
    v2 = await commitVersion(sysroot, tmp.path, '2.0', { 'usr/etc/motd': 'v2\n' });
    await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable` });
  });

  it('ostree admin status lists our deployments: order, stateroot, checksum.serial, version, origin', function () {
    needCommand(this, 'ostree');
    const r = ostree(['status'], sysroot);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(
      `  ${STATEROOT} ${v2.checksum}.0\n    Version: 2.0\n    origin refspec: ${STATEROOT}/stable\n`
      + `  ${STATEROOT} ${v1.checksum}.0\n    Version: 1.0\n    origin refspec: ${v1.checksum}\n`,
    );
    expect(r.stdout).to.equal(status(sysroot).text);
  });

  it('deployment refs ostree/<B>/<S>/<i> name the deployed commits; real ostree prune --refs-only keeps them', async function () {
    needCommand(this, 'ostree');
    const repo = `--repo=${sysroot}/ostree/repo`;
    const refs = runPeer('ostree', ['refs', repo]);
    expect(refs.status, refs.stderr).to.equal(0);
    // Two swaps: the first deploy wrote bootversion 1, the second bootversion 0.
    expect(refs.stdout.split('\n').filter((r) => r.startsWith('ostree/')).sort()).to.deep.equal(['ostree/0/1/0', 'ostree/0/1/1']);
    for (const [i, c] of [[0, v2], [1, v1]] as const) {
      const r = runPeer('ostree', ['rev-parse', repo, `ostree/0/1/${i}`]);
      expect(r.stdout.trim()).to.equal(c.checksum);
    }
    const prune = runPeer('ostree', ['prune', repo, '--refs-only', '--depth=0']);
    expect(prune.status, prune.stderr).to.equal(0);
    // v1's commit is named by no branch, only by its deployment ref.
    expect(runPeer('ostree', ['show', repo, v1.checksum]).status).to.equal(0);
    expect(runPeer('ostree', ['fsck', repo]).status).to.equal(0);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });

  it('ostree admin pin 1 on our sysroot: we see it pinned; verify clean', async function () {
    needCommand(this, 'ostree');
    const r = ostree(['pin', '1'], sysroot);
    expect(r.status, r.stderr).to.equal(0);
    expect(status(sysroot).deployments.map((d) => d.pinned)).to.deep.equal([false, true]);
    expect(ostree(['status'], sysroot).stdout).to.equal(status(sysroot).text);
    expect(ostree(['pin', '--unpin', '1'], sysroot).status).to.equal(0);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });

  it('ostree admin undeploy 1 on our sysroot keeps composefs= and the extension; verify clean', async function () {
    needCommand(this, 'ostree');
    const r = ostree(['undeploy', '1'], sysroot);
    expect(r.status, r.stderr).to.equal(0);
    const list = loadSysroot(sysroot).deployments;
    expect(list.map((d) => d.csum)).to.deep.equal([v2.checksum]);
    expect(list[0].entry.options).to.contain(`composefs=${v2.digest}`);
    expect(list[0].entry.initrds).to.have.length(2);
    expect(existsSync(`${sysroot}/ostree/deploy/${STATEROOT}/deploy/${v1.checksum}.0`)).to.equal(false);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });
});

describe('admin deploy of an image no commit names: a stub commit on no branch that real ostree reads and keeps', function () {
  this.timeout(60_000);
  const tmp = tempDir('cfskit-deploy-image-');
  after(tmp.remove);
  const sysroot = `${tmp.path}/sysroot`;

  it('deploys by digest, then ostree show, prune --refs-only and fsck; a second deploy reuses the commit', async function () {
    needCommand(this, 'ostree');
    makeSysroot(sysroot);
    writeTree(`${tmp.path}/tree`, osFiles('7.1'));
    const { digest } = await storeTree(sysroot, `${tmp.path}/tree`);
    const r = await deploy({ sysroot, stateroot: STATEROOT, source: digest, kargs: ['root=LABEL=rootfs'] });
    expect(r.digest).to.equal(digest);
    const [d] = loadSysroot(sysroot).deployments;
    const repo = `--repo=${sysroot}/ostree/repo`;
    const meta = (key: string) => runPeer('ostree', ['show', repo, d.csum, `--print-metadata-key=${key}`]).stdout.trim();
    expect(meta('version')).to.equal("'7.1'");
    expect(meta('ostree.linux')).to.equal(`'${KVER}'`);
    // GLib prints an ay as [byte 0x..] or, when it ends in its only NUL, as b'...'.
    expect(meta('ostree.composefs.digest.v0')).to.equal(printVariant('ay', new Uint8Array(Buffer.from(digest, 'hex'))));
    // No branch names it: only the deployment ref keeps it through a prune.
    expect(runPeer('ostree', ['refs', repo]).stdout.split('\n').filter(Boolean)).to.deep.equal(['ostree/1/1/0']);
    expect(runPeer('ostree', ['prune', repo, '--refs-only', '--depth=0']).status).to.equal(0);
    expect(runPeer('ostree', ['fsck', repo]).status).to.equal(0);
    expect(ostree(['status'], sysroot).stdout).to.equal(`  ${STATEROOT} ${d.csum}.0\n    Version: 7.1\n    origin refspec: ${d.csum}\n`);
    const again = await deploy({ sysroot, stateroot: STATEROOT, source: digest });
    expect(again.deployment.csum).to.equal(d.csum);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });
});
