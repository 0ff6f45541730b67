/**
 * The busybox sample sysroot both initramfs flavours boot (boot.test.ts, systemd-initrd.test.ts):
 * made by the compiled CLI (admin init-fs / os-init, two commits, two deploys with a local /etc
 * change in between), and what the sample OS must report when a deployment of it is running.
 */
import { expect } from 'chai';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { decode, lookup, type VarDict } from '../../src/formats/gvariant.js';
import { BACKING_ROOT_KEY } from '../../src/sysroot/booted.js';
import { readBootversion, readEntries } from '../../src/sysroot/deployments.js';
import { PREPARE_ROOT_TAG } from '../../src/sysroot/boot/prepare-root.js';
import { BUSYBOX, DISK_LABEL, type BootResult, type HostKernel, markers } from '../helpers/vm.js';
import { DEFAULTS_FILE, LOCAL_FILE, OS_TAG, writeOsTree } from './os-tree.js';
import { type Deployed, cfskit, deploy } from './sysroot.js';

export const STATEROOT = 'cfskitos';
export const BRANCH = `${STATEROOT}/stable`;
/** What the test needs on the kernel command line besides ostree= and composefs= (deploy --karg). */
export const KARGS = [`root=LABEL=${DISK_LABEL}`, 'rootfstype=ext4', 'console=ttyS0', 'quiet', 'panic=-1', 'rd.emergency=poweroff'];
export const LOCAL_VALUE = 'changed locally after deploying version 1';

/**
 * `work`/sysroot with versions 1 and 2 of the sample OS (its initramfs.img = `initramfs`) deployed,
 * 2 the default, the /etc file added to 1 after deploying carried into 2.
 */
export function sampleSysroot(work: string, kernel: HostKernel, initramfs: Uint8Array): { sysroot: string; deployed: Deployed[] } {
  const sysroot = join(work, 'sysroot');
  const trees = ['1', '2'].map((version) => {
    const tree = join(work, `tree${version}`);
    writeOsTree(tree, { version, etcDefault: `default-${version}` }, kernel, initramfs, STATEROOT);
    return tree;
  });
  mkdirSync(sysroot);
  cfskit('admin', 'init-fs', sysroot);
  cfskit('admin', 'os-init', STATEROOT, `--sysroot=${sysroot}`);
  const commit = (version: string) =>
    cfskit('commit', `--repo=${join(sysroot, 'ostree/repo')}`, `--branch=${BRANCH}`, `--version=${version}`,
      `--timestamp=${1700000000 + Number(version)}`, trees[Number(version) - 1]);
  commit('1');
  const d1 = deploy(`--sysroot=${sysroot}`, `--os=${STATEROOT}`, ...KARGS.map((k) => `--karg=${k}`), BRANCH);
  // The local /etc change the second deploy must carry over.
  writeFileSync(join(sysroot, d1.dir, 'etc', LOCAL_FILE), `${LOCAL_VALUE}\n`);
  commit('2');
  // No --karg: the new deployment takes the merge deployment's kernel arguments.
  const d2 = deploy(`--sysroot=${sysroot}`, `--os=${STATEROOT}`, BRANCH);
  expect(d2.etcChanges).to.equal('Copying /etc changes: 0 modified, 0 removed, 1 added');
  return { sysroot, deployed: [d1, d2] };
}

export function explain(r: BootResult): string {
  return `console (last 40 lines):\n${r.console.split('\n').slice(-40).join('\n')}`;
}

/** The sample OS of `version` came up on the composefs root with the merged /etc and knows itself. */
export function expectOs(r: BootResult, sysroot: string, version: string, local = LOCAL_VALUE): void {
  expect(r.timedOut, explain(r)).to.equal(false);
  const os = markers(r.console, OS_TAG);
  expect(os, explain(r)).to.include(`VERSION=${version}`);
  expect(os).to.include(`${DEFAULTS_FILE}=default-${version}`);
  expect(os).to.include(`${LOCAL_FILE}=${local}`);
  expect(os.find((l) => l.startsWith('root='))).to.match(/^root=overlay \/ overlay ro,/);
  expect(os.find((l) => l.startsWith('sysroot='))).to.match(/^sysroot=\/dev\/vda \/sysroot ext4 /);
  expect(os).to.include('etc-writable=yes');
  expect(os).to.include('var-is-stateroot=yes');
  const busybox = createHash('sha256').update(readFileSync(BUSYBOX)).digest('hex');
  expect(os).to.include(`busybox=${busybox}  /bin/busybox`);
  expect(os).to.include('done');
  expect(markers(r.console, PREPARE_ROOT_TAG), 'prepare-root printed no failure').to.deep.equal([]);
  expectBooted(os, sysroot);
}

/**
 * What the running system finds itself by (issue 18): /run/ostree-booted as ostree's a{sv}, its
 * backing-root-device-inode = (dev, ino) of / = of the deployment directory its ostree= names
 * (ostree 2022.7 compares the last two), and the sysroot's boot/ at /boot.
 */
function expectBooted(os: string[], sysroot: string): void {
  const value = (key: string) => os.find((l) => l.startsWith(`${key}=`))?.slice(key.length + 1);
  const hex = value('ostree-booted');
  expect(hex, 'the guest read /run/ostree-booted').to.match(/^([0-9a-f]{2})+$/);
  const marker = decode('a{sv}', Buffer.from(hex!, 'hex'), 'le') as VarDict;
  const rootDevIno = value('root-devino')!;
  expect(rootDevIno).to.match(/^\d+ \d+$/);
  expect(value('deployment-devino'), 'the deployment directory is the root').to.equal(rootDevIno);
  const [dev, ino] = rootDevIno.split(' ').map(BigInt);
  expect(lookup(marker, BACKING_ROOT_KEY)).to.deep.equal({ type: '(tt)', value: [dev, ino] });
  expect(lookup(marker, 'composefs')).to.deep.equal({ type: 'b', value: true });
  expect(lookup(marker, 'composefs.verity')).to.deep.equal({ type: 'b', value: false });
  const entries = readEntries(sysroot, readBootversion(sysroot)).map(({ file }) => `/boot/loader/entries/${basename(file)}`);
  expect(value('boot-entries')).to.equal(entries.sort().join(' '));
}
