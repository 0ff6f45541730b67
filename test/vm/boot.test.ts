/**
 * cfskit deployments boot for real (issue 7): a Debian kernel under qemu starts from exactly what
 * the BLS entry cfskit wrote says (`linux`, the `initrd` lines, `options`), the initramfs extension's
 * prepare-root mounts the deployment's composefs image over the sysroot's cfs objects, and the
 * sample OS's /sbin/init reports what it sees. The sysroot is made by the compiled CLI
 * (`cfskit commit`, `admin deploy|rollback|kargs`, `admin verify` before every boot); only the
 * staged test stages and finalizes through the library, seeing the sysroot as a running system. Skipped
 * visibly without qemu, mkfs.ext4, a host kernel or busybox-static.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BootEntry } from '../../src/formats/bls.js';
import { encode } from '../../src/formats/gvariant.js';
import { BACKING_ROOT_KEY } from '../../src/sysroot/booted.js';
import { DEPLOY_IMAGE } from '../../src/sysroot/cfs-image.js';
import { deploymentPath, loadSysroot, readBootversion, readEntries } from '../../src/sysroot/deployments.js';
import { deploy as stageDeploy } from '../../src/sysroot/deploy.js';
import { finalizeStaged } from '../../src/sysroot/finalize.js';
import { formatKargs, parseKargs, replaceKarg } from '../../src/formats/kargs.js';
import { readExtension } from '../../src/sysroot/boot/initramfs.js';
import { PREPARE_ROOT_TAG } from '../../src/sysroot/boot/prepare-root.js';
import { type BootResult, type HostKernel, bootEntry, buildBaseInitramfs, makeExt4Disk, markers, needVm } from '../helpers/vm.js';
import { LOCAL_FILE, OS_TAG, writeOsTree } from './os-tree.js';
import { BRANCH, KARGS, STATEROOT, explain, expectOs, sampleSysroot } from './sample.js';
import { type CliResult, type Deployed, cfskit, cfskitRun } from './sysroot.js';

describe('VM boot of cfskit composefs deployments (qemu, real kernel)', function () {
  this.timeout(300_000);
  let kernel: HostKernel;
  let work: string;
  let sysroot: string;
  let deployed: Deployed[];
  let base: Uint8Array;

  before(function () {
    kernel = needVm(this);
    work = mkdtempSync(join(tmpdir(), 'cfskit-vm-'));
    base = buildBaseInitramfs(kernel);
    ({ sysroot, deployed } = sampleSysroot(work, kernel, base));
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /**
   * `cfskit admin verify` of the sysroot as it is now, then a fresh disk of it and a boot of entry
   * `index` of the current boot configuration.
   */
  async function boot(index: number): Promise<{ result: BootResult; entry: BootEntry; verified: CliResult }> {
    const verified = cfskitRun(['admin', 'verify', `--sysroot=${sysroot}`]);
    const entry = readEntries(sysroot, readBootversion(sysroot))[index].entry;
    const disk = join(work, 'disk.img');
    makeExt4Disk(sysroot, disk);
    const result = await bootEntry({ bootDir: join(sysroot, 'boot'), entry, disk, initrdFile: join(work, 'initrd.img') });
    console.log(`      boot of entry ${index} ("${entry.title}"): ${result.ms} ms, accel ${result.accel}`);
    return { result, entry, verified };
  }

  /** The deployment whose image the entry's composefs= names. */
  function namedBy(entry: BootEntry): Deployed {
    const d = deployed.find((x) => parseKargs(entry.options ?? '').includes(`composefs=${x.digest}`));
    if (!d) throw new Error(`entry ${entry.title} names no deployed image`);
    return d;
  }

  function expectVerified(v: CliResult): void {
    expect(v.stderr, 'cfskit admin verify').to.equal('');
    expect(v.status).to.equal(0);
    expect(v.stdout).to.equal('2 boot entries verified\n');
  }

  /** verify exits 1 and names the broken link of the default entry. */
  function expectVerifyFails(v: CliResult, problem: RegExp): void {
    expect(v.status, v.stdout).to.equal(1);
    expect(v.stderr).to.match(problem);
  }

  function expectStopped(r: BootResult, message: RegExp): void {
    expect(r.timedOut, explain(r)).to.equal(false);
    const lines = markers(r.console, PREPARE_ROOT_TAG);
    expect(lines, explain(r)).to.have.length(1);
    expect(lines[0]).to.match(message);
    expect(markers(r.console, OS_TAG), 'no OS came up').to.deep.equal([]);
  }

  it('the default entry boots version 2 with the merged /etc', async () => {
    const { result, entry, verified } = await boot(0);
    expectVerified(verified);
    expect(entry.options).to.include(`composefs=${deployed[1].digest}`);
    for (const k of KARGS) expect(parseKargs(entry.options!), 'kargs carried over from version 1').to.include(k);
    expect(entry.initrds).to.have.length(2);
    const ext = readExtension(readFileSync(join(sysroot, 'boot', entry.initrds[1])));
    expect([ext.digest, ext.deployment]).to.deep.equal([deployed[1].digest, deployed[1].dir]);
    // The overlay initrd line is one the sysroot reader (and ostree, ostree.md §3.8) recognises.
    expect(loadSysroot(sysroot).deployments[0].overlayInitrds).to.deep.equal([entry.initrds[1].slice(-68, -4)]);
    expectOs(result, sysroot, '2');
  });

  it('the rollback entry boots version 1', async () => {
    const { result, entry, verified } = await boot(1);
    expectVerified(verified);
    expect(entry.options).to.include(`composefs=${deployed[0].digest}`);
    expectOs(result, sysroot, '1');
  });

  it('after cfskit admin rollback the default entry boots version 1', async () => {
    expect(cfskit('admin', 'rollback', `--sysroot=${sysroot}`)).to.equal('Rollback deployment is now the default\n');
    const { result, entry, verified } = await boot(0);
    expectVerified(verified);
    expect(entry.options).to.include(`composefs=${deployed[0].digest}`);
    expectOs(result, sysroot, '1');
  });

  it('a flipped byte in .ostree.cfs makes prepare-root stop with its message', async () => {
    const entry = readEntries(sysroot, readBootversion(sysroot))[0].entry;
    const d = namedBy(entry);
    const image = join(sysroot, d.dir, DEPLOY_IMAGE);
    flipByte(image, 1500);
    try {
      const { result, verified } = await boot(0);
      expectVerifyFails(verified, new RegExp(`: image: \\${DEPLOY_IMAGE} has fs-verity digest [0-9a-f]{64}, composefs= says ${d.digest}\n`));
      expectStopped(result, new RegExp(`^composefs image ${d.dir}/\\${DEPLOY_IMAGE} has sha256 [0-9a-f]{64} but the initramfs extension expects [0-9a-f]{64} \\(corrupt or replaced image\\)$`));
    } finally {
      flipByte(image, 1500);
    }
  });

  it('composefs mode verity (ostree.prepare-root.composefs=verity) on a kernel before 6.6 stops prepare-root', async function () {
    const [major, minor] = kernel.kver.split('.').map(Number);
    if (major > 6 || (major === 6 && minor >= 6)) {
      console.log(`      (skipped: kernel ${kernel.kver} has overlayfs verity=require)`);
      this.skip();
    }
    const karg = 'ostree.prepare-root.composefs';
    cfskit('admin', 'kargs', `--sysroot=${sysroot}`, `--append=${karg}=verity`);
    try {
      const { result, verified } = await boot(0);
      expectVerified(verified);
      expectStopped(result, new RegExp(`^composefs mode verity needs overlayfs verity=require \\(kernel >= 6.6\\), this is ${kernel.kver.replace(/\./g, '\\.')}$`));
    } finally {
      cfskit('admin', 'kargs', `--sysroot=${sysroot}`, `--delete=${karg}`);
    }
  });

  it('a composefs= karg that does not match the extension makes prepare-root stop', async () => {
    const wrong = 'ab'.repeat(32);
    // cfskit refuses to write it; an edit at the boot loader's prompt is what gets it there.
    const refused = cfskitRun(['admin', 'kargs', `--sysroot=${sysroot}`, `--replace=composefs=${wrong}`]);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.contain("'composefs=' is set by deploy and cannot be edited");
    const { file, entry } = readEntries(sysroot, readBootversion(sysroot))[0];
    const original = readFileSync(file);
    const d = namedBy(entry);
    entry.set('options', formatKargs(replaceKarg(parseKargs(entry.options!), `composefs=${wrong}`)));
    writeFileSync(file, entry.toString());
    try {
      const { result, verified } = await boot(0);
      expectVerifyFails(verified, new RegExp(`: composefs=: karg ${wrong} differs from the commit's ostree\\.composefs\\.digest\\.v0 ${d.digest}\n`));
      expectStopped(result, new RegExp(`^composefs=${wrong} does not match the initramfs extension's digest ${d.digest}$`));
    } finally {
      writeFileSync(file, original);
    }
  });

  /**
   * A staged deployment (issue 18), staged and finalized through the library with the sysroot
   * seen as a running system (a BootedEnv naming the default deployment): the /etc change made
   * after staging is in the finalized deployment, and that deployment boots.
   */
  it('a deployment staged, then finalized after an /etc change, boots with that change', async () => {
    const tree = join(work, 'tree3');
    writeOsTree(tree, { version: '3', etcDefault: 'default-3' }, kernel, base, STATEROOT);
    cfskit('commit', `--repo=${join(sysroot, 'ostree/repo')}`, `--branch=${BRANCH}`, '--version=3', '--timestamp=1700000003', tree);
    const running = loadSysroot(sysroot).deployments[0];
    const run = join(work, 'run');
    mkdirSync(run, { recursive: true });
    const st = statSync(deploymentPath(sysroot, running), { bigint: true });
    writeFileSync(join(run, 'ostree-booted'), encode('a{sv}', [[BACKING_ROOT_KEY, { type: '(tt)', value: [st.dev, st.ino] }]], 'le'));
    const env = { root: sysroot, run, cmdline: join(work, 'cmdline') };
    const staged = await stageDeploy({ sysroot, stateroot: STATEROOT, source: BRANCH, env, stage: true });
    const changed = 'changed after staging';
    writeFileSync(join(deploymentPath(sysroot, running), 'etc', LOCAL_FILE), `${changed}\n`);
    expect((await finalizeStaged(sysroot, { env })).finalized?.csum).to.equal(staged.deployment.csum);
    deployed.push({ dir: staged.dir, digest: staged.digest, etcChanges: '' });
    const { result, entry, verified } = await boot(0);
    expectVerified(verified);
    expect(entry.options).to.include(`composefs=${staged.digest}`);
    expectOs(result, sysroot, '3', changed);
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
