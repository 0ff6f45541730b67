import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { digestFile } from '../../../src/fsverity/index.js';
import { deploy } from '../../../src/sysroot/deploy.js';
import { readEntries, readBootversion } from '../../../src/sysroot/deployments.js';
import { mountComposefsOverlay, mountErofs, needMount } from '../../helpers/peers.js';
import { tempDir } from '../helpers.js';
import { STATEROOT, commitVersion, makeSysroot } from './fixture.js';

/**
 * A prepare-root rehearsal with the real kernel (ostree.md §5.4): from the default BLS entry's options
 * alone, find the deployment, mount its .ostree.cfs (EROFS) under overlayfs with
 * ostree/repo/cfs/objects as the data-only lower layer, bind the deployment's etc/ over /etc,
 * and read the OS back.
 */
describe('admin deploy: prepare-root rehearsal with the kernel (EROFS + overlayfs + bind etc/)', function () {
  this.timeout(120_000);
  const tmp = tempDir('cfskit-deploy-mount-');
  after(tmp.remove);

  it('the default entry boots version 2 with the merged /etc', async function () {
    needMount(this);
    const sysroot = `${tmp.path}/sysroot`;
    makeSysroot(sysroot);
    const v1 = await commitVersion(sysroot, tmp.path, '1.0');
    const first = await deploy({ sysroot, stateroot: STATEROOT, source: v1.checksum });
    writeFileSync(`${sysroot}/${first.dir}/etc/hostname`, 'rehearsal-host\n');
    await commitVersion(sysroot, tmp.path, '2.0', { 'usr/etc/motd': 'Welcome to version 2.0 (new default)\n' });
    await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable` });

    // what a prepare-root has: the kernel command line of the entry the bootloader chose
    const [{ entry }] = readEntries(sysroot, readBootversion(sysroot));
    const cmdline = entry.options!;
    const arg = (key: string) => cmdline.split(' ').find((a) => a.startsWith(`${key}=`))!.slice(key.length + 1);
    const deployment = realpathSync(`${sysroot}${arg('ostree')}`);
    const image = `${deployment}/.ostree.cfs`;
    expect((await digestFile(image)).hex).to.equal(arg('composefs'));

    const lower = `${tmp.path}/lower`;
    const root = `${tmp.path}/root`;
    mkdirSync(lower);
    mkdirSync(root);
    const unmountErofs = mountErofs(image, lower);
    let unmountOverlay: (() => void) | undefined;
    let etcBound = false;
    try {
      unmountOverlay = mountComposefsOverlay(lower, `${sysroot}/ostree/repo/cfs/objects`, root);
      const bind = spawnSync('mount', ['--bind', `${deployment}/etc`, `${root}/etc`]);
      expect(bind.status, bind.stderr.toString()).to.equal(0);
      etcBound = true;
      expect(readFileSync(`${root}/usr/lib/os-release`, 'utf8')).to.contain('VERSION_ID=2.0');
      expect(readFileSync(`${root}/usr/bin/hello`)).to.deep.equal(readFileSync(`${tmp.path}/tree-2.0/usr/bin/hello`));
      expect(readFileSync(`${root}/usr/lib/modules/6.1.0-cfskit/vmlinuz`)).to.deep.equal(readFileSync(`${tmp.path}/tree-2.0/usr/lib/modules/6.1.0-cfskit/vmlinuz`));
      // merged /etc: the local change kept, the new default taken, the symlink intact
      expect(readFileSync(`${root}/etc/hostname`, 'utf8')).to.equal('rehearsal-host\n');
      expect(readFileSync(`${root}/etc/motd`, 'utf8')).to.equal('Welcome to version 2.0 (new default)\n');
      expect(readFileSync(`${root}/etc/os-release`, 'utf8')).to.contain('VERSION_ID=2.0');
    } finally {
      if (etcBound) spawnSync('umount', [`${root}/etc`]);
      unmountOverlay?.();
      unmountErofs();
    }
  });
});
