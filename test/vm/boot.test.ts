/**
 * cfskit deployments boot for real (issue 7): a Debian kernel under qemu starts from exactly what
 * the BLS entry cfskit wrote says (`linux`, the `initrd` lines, `options`), the initramfs extension's
 * prepare-root mounts the deployment's composefs image over the sysroot's cfs objects, and the
 * sample OS's /sbin/init reports what it sees. Skipped visibly without qemu, mkfs.ext4, a host
 * kernel or busybox-static.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BootEntry } from '../../src/sysroot/bls.js';
import { listWithDefault, loadSysroot, readBootversion, readEntries } from '../../src/sysroot/deployments.js';
import { formatKargs, parseKargs, replaceKarg, withoutKarg } from '../../src/sysroot/kargs.js';
import { initFs, osInit } from '../../src/sysroot/layout.js';
import { readExtension } from '../../src/sysroot/initramfs.js';
import { PREPARE_ROOT_TAG } from '../../src/sysroot/prepare-root.js';
import { writeDeployments } from '../../src/sysroot/swap.js';
import { BUSYBOX, DISK_LABEL, type BootResult, type HostKernel, bootEntry, buildBaseInitramfs, makeExt4Disk, markers, needVm } from '../helpers/vm.js';
import { DEFAULTS_FILE, LOCAL_FILE, OS_TAG, writeOsTree } from './os-tree.js';
import { DEPLOY_IMAGE, type Deployed, commitTree, deployCommit } from './sysroot.js';

const STATEROOT = 'cfskitos';
/** What the test needs on the kernel command line besides ostree= and composefs= (set via kargs). */
const KARGS = `root=LABEL=${DISK_LABEL} rootfstype=ext4 console=ttyS0 quiet panic=-1 rd.emergency=poweroff`;
const LOCAL_VALUE = 'changed locally after deploying version 1';

describe('VM boot of cfskit composefs deployments (qemu, real kernel)', function () {
  this.timeout(300_000);
  let kernel: HostKernel;
  let work: string;
  let sysroot: string;
  let tree1: string;
  let deployed: Deployed[];

  before(async function () {
    kernel = needVm(this);
    work = mkdtempSync(join(tmpdir(), 'cfskit-vm-'));
    sysroot = join(work, 'sysroot');
    const base = buildBaseInitramfs(kernel);
    tree1 = join(work, 'tree1');
    const tree2 = join(work, 'tree2');
    writeOsTree(tree1, { version: '1', etcDefault: 'default-1' }, kernel, base, STATEROOT);
    writeOsTree(tree2, { version: '2', etcDefault: 'default-2' }, kernel, base, STATEROOT);
    mkdirSync(sysroot);
    initFs(sysroot);
    osInit(sysroot, STATEROOT);
    const c1 = await commitTree(sysroot, STATEROOT, tree1, '1', kernel.kver);
    const c2 = await commitTree(sysroot, STATEROOT, tree2, '2', kernel.kver);
    const d1 = await deployCommit(sysroot, STATEROOT, c1, tree1, { kargs: KARGS, kver: kernel.kver, title: 'Cfskit Test OS 1' });
    // The local /etc change the second deploy must carry over.
    writeFileSync(join(sysroot, d1.dir, 'etc', LOCAL_FILE), `${LOCAL_VALUE}\n`);
    const d2 = await deployCommit(sysroot, STATEROOT, c2, tree2, { kargs: KARGS, kver: kernel.kver, title: 'Cfskit Test OS 2', mergeTree: tree1 });
    deployed = [d1, d2];
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Makes a fresh disk of the sysroot as it is now and boots entry `index` of the current boot config. */
  async function boot(index: number): Promise<{ result: BootResult; entry: BootEntry }> {
    const entries = readEntries(sysroot, readBootversion(sysroot));
    const entry = entries[index].entry;
    const disk = join(work, 'disk.img');
    makeExt4Disk(sysroot, disk);
    const result = await bootEntry({ bootDir: join(sysroot, 'boot'), entry, disk, initrdFile: join(work, 'initrd.img') });
    console.log(`      boot of entry ${index} ("${entry.title}"): ${result.ms} ms, accel ${result.accel}`);
    return { result, entry };
  }

  function explain(r: BootResult): string {
    return `console (last 40 lines):\n${r.console.split('\n').slice(-40).join('\n')}`;
  }

  function expectOs(r: BootResult, version: string, etcDefault: string): void {
    expect(r.timedOut, explain(r)).to.equal(false);
    const os = markers(r.console, OS_TAG);
    expect(os, explain(r)).to.include(`VERSION=${version}`);
    expect(os).to.include(`${DEFAULTS_FILE}=default-${etcDefault}`);
    expect(os).to.include(`${LOCAL_FILE}=${LOCAL_VALUE}`);
    expect(os.find((l) => l.startsWith('root='))).to.match(/^root=overlay \/ overlay ro,/);
    expect(os.find((l) => l.startsWith('sysroot='))).to.match(/^sysroot=\/dev\/vda \/sysroot ext4 /);
    expect(os).to.include('etc-writable=yes');
    expect(os).to.include('var-is-stateroot=yes');
    const busybox = createHash('sha256').update(readFileSync(BUSYBOX)).digest('hex');
    expect(os).to.include(`busybox=${busybox}  /bin/busybox`);
    expect(os).to.include('done');
    expect(markers(r.console, PREPARE_ROOT_TAG), 'prepare-root printed no failure').to.deep.equal([]);
  }

  function expectStopped(r: BootResult, message: RegExp): void {
    expect(r.timedOut, explain(r)).to.equal(false);
    const lines = markers(r.console, PREPARE_ROOT_TAG);
    expect(lines, explain(r)).to.have.length(1);
    expect(lines[0]).to.match(message);
    expect(markers(r.console, OS_TAG), 'no OS came up').to.deep.equal([]);
  }

  it('the default entry boots version 2 with the merged /etc', async () => {
    const { result, entry } = await boot(0);
    expect(entry.options).to.include(`composefs=${deployed[1].digest}`);
    expect(entry.initrds).to.have.length(2);
    const ext = readExtension(readFileSync(join(sysroot, 'boot', entry.initrds[1])));
    expect([ext.digest, ext.deployment]).to.deep.equal([deployed[1].digest, deployed[1].dir]);
    // The overlay initrd line is one the sysroot reader (and ostree, spec §3.8) recognises.
    expect(loadSysroot(sysroot).deployments[0].overlayInitrds).to.deep.equal([entry.initrds[1].slice(-68, -4)]);
    expectOs(result, '2', '2');
  });

  it('the rollback entry boots version 1', async () => {
    const { result, entry } = await boot(1);
    expect(entry.options).to.include(`composefs=${deployed[0].digest}`);
    expectOs(result, '1', '1');
  });

  it('after a rollback (version 1 made the default) the default entry boots version 1', async () => {
    // The list change `cfskit admin rollback` makes.
    writeDeployments(sysroot, listWithDefault(loadSysroot(sysroot), 1));
    const { result, entry } = await boot(0);
    expect(entry.options).to.include(`composefs=${deployed[0].digest}`);
    expectOs(result, '1', '1');
  });

  it('a flipped byte in .ostree.cfs makes prepare-root stop with its message', async () => {
    const entry = readEntries(sysroot, readBootversion(sysroot))[0].entry;
    const d = deployed.find((x) => entry.options!.includes(`composefs=${x.digest}`))!;
    const image = join(sysroot, d.dir, DEPLOY_IMAGE);
    flipByte(image, 1500);
    try {
      const { result } = await boot(0);
      expectStopped(result, new RegExp(`^composefs image ${d.dir}/\\${DEPLOY_IMAGE} has sha256 [0-9a-f]{64} but the initramfs extension expects [0-9a-f]{64} \\(corrupt or replaced image\\)$`));
    } finally {
      flipByte(image, 1500);
    }
  });

  /** Rewrites the default entry's options (a new boot version, as `admin kargs` will) with `edit`. */
  function editDefaultKargs(edit: (args: string[]) => string[]): void {
    const state = loadSysroot(sysroot);
    const first = state.deployments[0];
    first.entry.set('options', formatKargs(edit(parseKargs(first.entry.options!))));
    writeDeployments(sysroot, state.deployments);
  }

  it('composefs mode verity (ostree.prepare-root.composefs=verity) on a kernel before 6.6 stops prepare-root', async function () {
    const [major, minor] = kernel.kver.split('.').map(Number);
    if (major > 6 || (major === 6 && minor >= 6)) {
      console.log(`      (skipped: kernel ${kernel.kver} has overlayfs verity=require)`);
      this.skip();
    }
    editDefaultKargs((args) => replaceKarg(args, 'ostree.prepare-root.composefs=verity'));
    try {
      const { result } = await boot(0);
      expectStopped(result, new RegExp(`^composefs mode verity needs overlayfs verity=require \\(kernel >= 6.6\\), this is ${kernel.kver.replace(/\./g, '\\.')}$`));
    } finally {
      editDefaultKargs((args) => withoutKarg(args, 'ostree.prepare-root.composefs'));
    }
  });

  it('a composefs= karg that does not match the extension makes prepare-root stop', async () => {
    const wrong = 'ab'.repeat(32);
    editDefaultKargs((args) => replaceKarg(args, `composefs=${wrong}`));
    const { result, entry } = await boot(0);
    expect(entry.options).to.include(`composefs=${wrong}`);
    expectStopped(result, new RegExp(`^composefs=${wrong} does not match the initramfs extension's digest [0-9a-f]{64}$`));
  });
});

/** XORs one byte of a file with 0xff; calling it again undoes it. */
function flipByte(file: string, offset: number): void {
  const fd = openSync(file, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    b[0] ^= 0xff;
    writeSync(fd, b, 0, 1, offset);
  } finally {
    closeSync(fd);
  }
}
