/**
 * cfskit's prepare-root in a systemd initramfs (issue 18 item 4): the busybox sample sysroot of
 * boot.test.ts, whose OS image carries a dracut initramfs (systemd as init, built from Debian
 * packages, test/vm/dracut.ts) instead of the busybox one. The entry cfskit wrote boots as is: its
 * initrds are that image and cfskit's extension, whose cfskit-prepare-root.service runs after
 * systemd mounted root= at /sysroot; systemd's initrd-switch-root then starts the sample OS.
 * Skipped visibly (failed under CFSKIT_REQUIRE_PEERS=1) without qemu, a host kernel, mmdebstrap or root.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readBootversion, readEntries } from '../../src/sysroot/deployments.js';
import { readExtension } from '../../src/sysroot/boot/initramfs.js';
import { bootEntry, makeExt4Disk, needVm } from '../helpers/vm.js';
import { needDebian } from './debian.js';
import { dracutInitramfs } from './dracut.js';
import { expectOs, sampleSysroot } from './sample.js';
import { type Deployed } from './sysroot.js';

describe('VM boot of a cfskit deployment through a systemd (dracut) initramfs (qemu, real kernel)', function () {
  this.timeout(900_000);
  let work: string;
  let sysroot: string;
  let deployed: Deployed[];
  let dracut: Buffer;

  before(function () {
    const kernel = needVm(this);
    needDebian(this);
    const d = dracutInitramfs(kernel.kver);
    console.log(d.builtMs === undefined ? `      dracut initramfs cached: ${d.file}` : `      mmdebstrap + dracut (uncached): ${d.builtMs} ms -> ${d.file}`);
    dracut = readFileSync(d.file);
    work = mkdtempSync(join(tmpdir(), 'cfskit-sdvm-'));
    ({ sysroot, deployed } = sampleSysroot(work, kernel, dracut));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the default entry boots version 2 with the merged /etc', async () => {
    const entry = readEntries(sysroot, readBootversion(sysroot))[0].entry;
    expect(entry.options).to.include(`composefs=${deployed[1].digest}`);
    expect(entry.initrds).to.have.length(2);
    expect(readFileSync(join(sysroot, 'boot', entry.initrds[0])).equals(dracut), 'the first initrd is the dracut image').to.equal(true);
    expect(readExtension(readFileSync(join(sysroot, 'boot', entry.initrds[1]))).deployment).to.equal(deployed[1].dir);
    const disk = join(work, 'disk.img');
    makeExt4Disk(sysroot, disk);
    const result = await bootEntry({ bootDir: join(sysroot, 'boot'), entry, disk, initrdFile: join(work, 'initrd.img'), timeoutMs: 150_000 });
    console.log(`      boot of entry 0 ("${entry.title}") through dracut + systemd: ${result.ms} ms, accel ${result.accel}`);
    expectOs(result, sysroot, '2');
  });
});
