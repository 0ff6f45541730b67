import { expect } from 'chai';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { deploy } from '../../../src/sysroot/deploy.js';
import { cleanup } from '../../../src/sysroot/cleanup.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { kargs, pin, rollback, undeploy } from '../../../src/sysroot/operations.js';
import { status } from '../../../src/sysroot/status-of.js';
import { verify } from '../../../src/sysroot/verify.js';
import { readExtension } from '../../../src/sysroot/boot/initramfs.js';
import { tempDir } from '../helpers.js';
import { STATEROOT, commitVersion, makeSysroot } from './fixture.js';

describe('admin deploy: composefs deployments in an ostree sysroot', function () {
  this.timeout(60_000);
  const tmp = tempDir('cfskit-deploy-');
  after(tmp.remove);
  const sysroot = `${tmp.path}/sysroot`;
  let v1: { checksum: string; digest: string };
  let v2: { checksum: string; digest: string };

  before(async () => {
    makeSysroot(sysroot);
    v1 = await commitVersion(sysroot, tmp.path, '1.0');
    v2 = await commitVersion(sysroot, tmp.path, '2.0', {
      'usr/etc/motd': 'Welcome to version 2.0\n',
      'usr/etc/new-default.conf': 'new=1\n',
    });
  });

  it('first deploy: image, deployment dir, etc/, origin, kernel, BLS entry, extension, verify clean', async () => {
    const r = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable^`, kargs: ['root=LABEL=rootfs', 'quiet'] });
    expect(r.digest).to.equal(v1.digest);
    const dir = `${sysroot}/${r.dir}`;
    expect(r.dir).to.equal(`ostree/deploy/${STATEROOT}/deploy/${v1.checksum}.0`);
    // .ostree.cfs is a hardlink of composefs/<digest>.cfs, which is one of the store object
    const img = statSync(`${dir}/.ostree.cfs`);
    expect(statSync(`${sysroot}/ostree/deploy/${STATEROOT}/composefs/${v1.digest}.cfs`).ino).to.equal(img.ino);
    expect(statSync(`${sysroot}/ostree/repo/cfs/images/${v1.digest}`).ino).to.equal(img.ino);
    expect(readFileSync(`${dir}/etc/motd`, 'utf8')).to.equal('Welcome to version 1.0\n');
    expect(readFileSync(`${dir}/etc/ssh/sshd_config`, 'utf8')).to.equal('PermitRootLogin no\n');
    expect(readlinkSync(`${dir}/etc/os-release`)).to.equal('../usr/lib/os-release');
    expect(readFileSync(`${dir}.origin`, 'utf8')).to.equal(`[origin]\nrefspec=${v1.checksum}\n`);
    const state = loadSysroot(sysroot);
    expect(state.deployments).to.have.length(1);
    const d = state.deployments[0];
    const entry = readFileSync(`${sysroot}/boot/loader/entries/ostree-1-${STATEROOT}.conf`, 'utf8').split('\n');
    expect(entry[0]).to.equal('title Cfskit Test OS 1.0 (ostree:0)');
    expect(entry[1]).to.equal('version 1');
    expect(entry[2]).to.equal(`options root=LABEL=rootfs quiet composefs=${v1.digest} ostree=/ostree/boot.1/${STATEROOT}/${d.bootcsum}/0`);
    expect(entry[3]).to.equal(`linux /ostree/${STATEROOT}-${d.bootcsum}/vmlinuz-6.1.0-cfskit`);
    expect(entry[4]).to.equal(`initrd /ostree/${STATEROOT}-${d.bootcsum}/initramfs-6.1.0-cfskit.img`);
    expect(entry[5]).to.match(/^initrd \/ostree\/initramfs-overlays\/[0-9a-f]{64}\.img$/);
    const ext = readExtension(readFileSync(`${sysroot}/boot${entry[5].slice(7)}`));
    expect(ext).to.include({ digest: v1.digest, deployment: r.dir, image: `${r.dir}/.ostree.cfs`, objects: 'ostree/repo/cfs/objects' });
    expect(readFileSync(`${sysroot}/boot/ostree/${STATEROOT}-${d.bootcsum}/vmlinuz-6.1.0-cfskit`, 'utf8')).to.contain('kernel 6.1.0');
    expect(readlinkSync(`${sysroot}/ostree/boot.1.1/${STATEROOT}/${d.bootcsum}/0`)).to.equal(`../../../deploy/${STATEROOT}/deploy/${v1.checksum}.0`);
    // what upstream kernel discovery needs (ostree.md §3.10)
    expect(existsSync(`${dir}/usr/lib/modules/6.1.0-cfskit/vmlinuz`)).to.equal(true);
    expect(existsSync(`${dir}/usr/lib/os-release`)).to.equal(true);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });

  it('second deploy merges local /etc changes (modified, added, removed kept; new defaults taken)', async () => {
    const old = `${sysroot}/ostree/deploy/${STATEROOT}/deploy/${v1.checksum}.0`;
    writeFileSync(`${old}/etc/hostname`, 'myhost\n');
    writeFileSync(`${old}/etc/local.conf`, 'mine\n');
    unlinkSync(`${old}/etc/fstab`);
    const r = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable` });
    expect(r.etc).to.deep.equal({ modified: ['hostname'], removed: ['fstab'], added: ['local.conf'] });
    const dir = `${sysroot}/${r.dir}`;
    expect(readFileSync(`${dir}/etc/hostname`, 'utf8')).to.equal('myhost\n');
    expect(readFileSync(`${dir}/etc/local.conf`, 'utf8')).to.equal('mine\n');
    expect(existsSync(`${dir}/etc/fstab`)).to.equal(false);
    expect(readFileSync(`${dir}/etc/motd`, 'utf8')).to.equal('Welcome to version 2.0\n');
    expect(readFileSync(`${dir}/etc/new-default.conf`, 'utf8')).to.equal('new=1\n');
    expect(readFileSync(`${dir}.origin`, 'utf8')).to.equal(`[origin]\nrefspec=${STATEROOT}/stable\n`);
    // kargs are inherited from the merge deployment; composefs= names the new image
    const d = loadSysroot(sysroot).deployments;
    expect(d.map((x) => x.csum)).to.deep.equal([v2.checksum, v1.checksum]);
    expect(d[0].entry.options).to.equal(`root=LABEL=rootfs quiet composefs=${v2.digest} ostree=/ostree/boot.0/${STATEROOT}/${d[0].bootcsum}/0`);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
    expect(status(sysroot).text).to.equal(
      `  ${STATEROOT} ${v2.checksum}.0\n    Version: 2.0\n    origin refspec: ${STATEROOT}/stable\n`
      + `  ${STATEROOT} ${v1.checksum}.0\n    Version: 1.0\n    origin refspec: ${v1.checksum}\n`,
    );
  });

  it('deploying by image digest finds its stub commit; the same commit twice gets serial .1', async () => {
    const r = await deploy({ sysroot, stateroot: STATEROOT, source: v2.digest, retain: true, notAsDefault: true });
    expect(r.dir).to.equal(`ostree/deploy/${STATEROOT}/deploy/${v2.checksum}.1`);
    const names = loadSysroot(sysroot).deployments.map((x) => `${x.csum.slice(0, 6)}.${x.deployserial}`);
    expect(names).to.deep.equal([`${v2.checksum.slice(0, 6)}.0`, `${v2.checksum.slice(0, 6)}.1`, `${v1.checksum.slice(0, 6)}.0`]);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });

  it('undeploy, rollback, pin, kargs, cleanup keep verify clean', async () => {
    await undeploy(sysroot, 1);
    expect(existsSync(`${sysroot}/ostree/deploy/${STATEROOT}/deploy/${v2.checksum}.1`)).to.equal(false);
    expect(existsSync(`${sysroot}/ostree/deploy/${STATEROOT}/deploy/${v2.checksum}.1.origin`)).to.equal(false);
    await rollback(sysroot);
    expect(loadSysroot(sysroot).deployments.map((x) => x.csum)).to.deep.equal([v1.checksum, v2.checksum]);
    await pin(sysroot, 1, true);
    expect(status(sysroot).deployments[1].pinned).to.equal(true);
    await kargs(sysroot, { append: ['console=ttyS0'], delete: ['quiet'], replace: ['root=LABEL=other'] });
    expect(loadSysroot(sysroot).deployments[0].entry.options).to.match(/^root=LABEL=other composefs=[0-9a-f]{64} ostree=\S+ console=ttyS0$/);
    try {
      await kargs(sysroot, { delete: ['composefs'] });
      expect.fail('composefs= must not be editable');
    } catch (e) {
      expect((e as Error).message).to.contain('set by deploy');
    }
    const r = await cleanup(sysroot, { prune: true });
    expect(r.pruned).to.not.equal(undefined);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
    // nothing in use was collected: both images and their objects remain
    expect(existsSync(`${sysroot}/ostree/repo/cfs/images/${v1.digest}`)).to.equal(true);
    expect(existsSync(`${sysroot}/ostree/repo/cfs/images/${v2.digest}`)).to.equal(true);
  });

  it('cleanup removes what is no longer referenced: old bootversion, deployments, kernels, overlays, stateroot images', async () => {
    await pin(sysroot, 1, false);
    await undeploy(sysroot, 1);
    const left = readdirSync(`${sysroot}/ostree/deploy/${STATEROOT}/composefs`);
    expect(left).to.deep.equal([`${v1.digest}.cfs`]);
    expect(readdirSync(`${sysroot}/boot/ostree/initramfs-overlays`)).to.have.length(1);
    expect(readdirSync(`${sysroot}/boot`).filter((n) => n.startsWith('loader.'))).to.have.length(1);
    // the undeployed image stays in the store while the branch names its commit
    const r = await cleanup(sysroot, { prune: true });
    expect(r.pruned!.images).to.equal(0);
    expect(existsSync(`${sysroot}/ostree/repo/cfs/images/${v2.digest}`)).to.equal(true);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });

  it('refuses bad input with one clear error and writes nothing', async () => {
    const before = loadSysroot(sysroot).deployments.length;
    const fail = async (o: Parameters<typeof deploy>[0], msg: RegExp) => {
      try {
        await deploy(o);
        expect.fail('expected an error');
      } catch (e) {
        expect((e as Error).message).to.match(msg);
      }
    };
    await fail({ sysroot, stateroot: 'nosuch', source: `${STATEROOT}/stable` }, /stateroot 'nosuch' does not exist/);
    await fail({ sysroot, stateroot: STATEROOT, source: 'no/such/ref' }, /not found/);
    await fail({ sysroot, stateroot: STATEROOT, source: 'a/b', kargs: [] }, /not found/);
    // a corrupt store image is refused before anything is written
    const store = `${sysroot}/ostree/repo/cfs/images/${v1.digest}`;
    const bytes = readFileSync(store);
    rmSync(store);
    writeFileSync(store, Buffer.concat([bytes.subarray(0, 100), Buffer.from([bytes[100] ^ 1]), bytes.subarray(101)]));
    const deployDirs = readdirSync(`${sysroot}/ostree/deploy/${STATEROOT}/deploy`);
    await fail({ sysroot, stateroot: STATEROOT, source: v1.checksum }, /does not match its digest/);
    expect(readdirSync(`${sysroot}/ostree/deploy/${STATEROOT}/deploy`)).to.deep.equal(deployDirs);
    expect(loadSysroot(sysroot).deployments).to.have.length(before);
    expect(lstatSync(store).isFile()).to.equal(true);
  });
});
