/**
 * A real Debian 12 userspace (mmdebstrap minbase + systemd + ostree, test/vm/debian.ts) committed
 * and deployed by the compiled cfskit CLI boots under qemu through cfskit's prepare-root (the
 * busybox base initramfs + the extension). One disk, three boots; between boots the host reads
 * the sysroot's boot/ back from the disk (debugfs) and boots its default entry:
 *  1. version 1: systemd reaches its default target with no failed unit, the running system
 *     knows itself (/run/ostree-booted, `*` in Debian's `ostree admin status` and in cfskit's),
 *     undeploying it is refused; then `cfskit admin upgrade --stage` to version 2 (committed by
 *     the host before the first boot), an /etc change, and the VM is killed: no shutdown;
 *  2. still version 1 (the staged deployment was never finalized); staged again, /etc changed,
 *     and a clean `systemctl poweroff`, whose cfskit-finalize-staged.service finalizes;
 *  3. version 2, with the /etc change made after staging.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseKargs } from '../../src/formats/kargs.js';
import { readBootversion, readEntries } from '../../src/sysroot/deployments.js';
import { PREPARE_ROOT_TAG } from '../../src/sysroot/boot/prepare-root.js';
import { DISK_LABEL, type BootResult, type HostKernel, bootEntry, buildBaseInitramfs, makeExt4Disk, markers, needVm } from '../helpers/vm.js';
import { ACTION_KARG, DEB_TAG, debianTarball, needDebian, readDiskBoot, writeDebianTree, writeOsRelease } from './debian.js';
import { type Deployed, cfskit, deploy } from './sysroot.js';

const STATEROOT = 'debian';
const BRANCH = `${STATEROOT}/stable`;
const KARGS = [`root=LABEL=${DISK_LABEL}`, 'rootfstype=ext4', 'console=ttyS0', 'quiet', 'panic=-1', 'rd.emergency=poweroff'];

describe('VM boot of a Debian 12 systemd userspace deployed by cfskit (qemu, real kernel)', function () {
  this.timeout(900_000);
  let kernel: HostKernel;
  let work: string;
  let sysroot: string;
  let disk: string;
  let v1: Deployed;

  before(function () {
    kernel = needVm(this);
    needDebian(this);
    const t = debianTarball();
    console.log(t.builtMs === undefined ? `      Debian tarball cached: ${t.file}` : `      mmdebstrap (uncached): ${t.builtMs} ms -> ${t.file}`);
    work = mkdtempSync(join(tmpdir(), 'cfskit-debvm-'));
    sysroot = join(work, 'sysroot');
    const base = buildBaseInitramfs(kernel);
    const start = Date.now();
    mkdirSync(sysroot);
    cfskit('admin', 'init-fs', sysroot);
    cfskit('admin', 'os-init', STATEROOT, `--sysroot=${sysroot}`);
    const tree = join(work, 'tree');
    writeDebianTree(tree, t.file, { version: '1' }, kernel, base, STATEROOT);
    const commit = (version: string) => {
      writeOsRelease(tree, { version });
      cfskit('commit', `--repo=${join(sysroot, 'ostree/repo')}`, `--branch=${BRANCH}`, `--version=${version}`,
        `--timestamp=${1700000000 + Number(version)}`, tree);
    };
    commit('1');
    v1 = deploy(`--sysroot=${sysroot}`, `--os=${STATEROOT}`, ...KARGS.map((k) => `--karg=${k}`), BRANCH);
    // Version 2 is on the branch, not deployed: the guest's `admin upgrade` finds it.
    commit('2');
    rmSync(tree, { recursive: true, force: true });
    disk = join(work, 'disk.img');
    makeExt4Disk(sysroot, disk);
    console.log(`      trees, commits, deploy and disk: ${Date.now() - start} ms`);
  });

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Boots the default entry the disk has now, with `cfskit.vmtest=ACTION`. */
  async function boot(action: string): Promise<{ result: BootResult; digest: string; os: string[] }> {
    const boot = join(work, 'diskboot');
    readDiskBoot(disk, boot);
    const entry = readEntries(boot, readBootversion(boot))[0].entry;
    const digest = parseKargs(entry.options ?? '').find((k) => k.startsWith('composefs='))!.slice('composefs='.length);
    const result = await bootEntry({
      bootDir: join(boot, 'boot'), entry, disk, initrdFile: join(work, 'initrd.img'), append: `${ACTION_KARG}=${action}`,
      killOn: action.endsWith('-kill') ? `${DEB_TAG}: done` : undefined, timeoutMs: 600_000, memoryMiB: 1024, cpu: 'max',
    });
    console.log(`      Debian boot (${action}): ${result.ms} ms, accel ${result.accel}`);
    return { result, digest, os: markers(result.console, DEB_TAG) };
  }

  function explain(r: BootResult): string {
    return `console (last 60 lines):\n${r.console.split('\n').slice(-60).join('\n')}`;
  }

  /** The checks every boot makes: systemd running, nothing failed, the booted deployment known. */
  function expectRunning(r: BootResult, os: string[], version: string): void {
    expect(r.timedOut, explain(r)).to.equal(false);
    expect(markers(r.console, PREPARE_ROOT_TAG), 'prepare-root printed no failure').to.deep.equal([]);
    expect(os, explain(r)).to.include('done');
    expect(os.filter((l) => l.startsWith('failed=')), 'systemctl --failed').to.deep.equal([]);
    expect(os).to.include('state=running');
    expect(os).to.include(`VERSION=${version}`);
    expect(os).to.include('ostree-booted=yes');
    expect(os.find((l) => l.startsWith('root='))).to.match(/^root=overlay ro,/);
    const booted = (prefix: string) => os.filter((l) => l.startsWith(`${prefix}* `));
    expect(booted('ostree-status='), "Debian's ostree admin status marks one deployment *").to.have.length(1);
    expect(booted('cfskit-status='), 'cfskit admin status marks one deployment *').to.have.length(1);
    expect(booted('ostree-status=')[0]).to.match(new RegExp(`^ostree-status=\\* ${STATEROOT} [0-9a-f]{64}\\.\\d+`));
    const name = booted('ostree-status=')[0].split(' ')[2];
    expect(booted('cfskit-status=')[0]).to.contain(name);
    expect(os).to.include('undeploy-exit=1');
  }

  it('version 1 boots to a running systemd, knows itself, refuses to undeploy itself; a staged upgrade, then a kill', async () => {
    const { result, digest, os } = await boot('stage-kill');
    expect(digest).to.equal(v1.digest);
    expectRunning(result, os, '1');
    const index = os.find((l) => l.startsWith('booted-index='))?.slice('booted-index='.length);
    expect(index).to.match(/^\d+$/);
    expect(os.find((l) => l.startsWith('undeploy='))).to.match(new RegExp(`Cannot undeploy currently booted deployment ${index}$`));
    expect(os.filter((l) => l.startsWith('staged-status=') && l.includes('(staged)')), explain(result)).to.have.length(1);
  });

  it('the killed boot never finalized: the default is still version 1; staged again, then a clean poweroff', async () => {
    const { result, digest, os } = await boot('stage-poweroff');
    expect(digest, 'the default entry after the kill').to.equal(v1.digest);
    expectRunning(result, os, '1');
    expect(os.filter((l) => l.startsWith('staged-status=') && l.includes('(staged)')), explain(result)).to.have.length(1);
  });

  it('after the clean shutdown the default boots version 2 with the /etc change made after staging', async () => {
    const { result, digest, os } = await boot('check');
    expect(digest).to.not.equal(v1.digest);
    expectRunning(result, os, '2');
    expect(os).to.include('local=changed after staging (stage-poweroff)');
  });
});
