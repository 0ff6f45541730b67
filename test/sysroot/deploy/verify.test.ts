import { expect } from 'chai';
import { cpSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { readImage } from '../../../src/composefs/erofs/reader.js';
import type { Node } from '../../../src/tree/tree.js';
import { deploy } from '../../../src/sysroot/deploy.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { verify } from '../../../src/sysroot/verify.js';
import { tempDir } from '../helpers.js';
import { STATEROOT, commitVersion, makeSysroot } from './fixture.js';
import { cfskit } from '../../helpers/cli.js';

/** The backing object of a file in a deployment's image. */
function objectOf(sysroot: string, deployDir: string, path: string): string {
  let n: Node | undefined = readImage(readFileSync(`${deployDir}/.ostree.cfs`));
  for (const part of path.split('/')) n = n?.lookup(Buffer.from(part));
  const hex = Buffer.from(n!.digest!).toString('hex');
  return `${sysroot}/ostree/repo/cfs/objects/${hex.slice(0, 2)}/${hex.slice(2)}`;
}

const flipByte = (path: string, at: number) => {
  const b = readFileSync(path);
  b[at] ^= 0xff;
  rmSync(path); // break hardlinks: only this name changes
  writeFileSync(path, b);
};

const editEntry = (file: string, edit: (text: string) => string) => writeFileSync(file, edit(readFileSync(file, 'utf8')));

describe('admin verify: each broken link of the boot chain is reported', function () {
  this.timeout(60_000);
  const tmp = tempDir('cfskit-verify-', true);
  after(tmp.remove);
  const base = `${tmp.path}/base`;

  before(async () => {
    makeSysroot(base);
    const v1 = await commitVersion(base, tmp.path, '1.0');
    await deploy({ sysroot: base, stateroot: STATEROOT, source: v1.checksum });
    await commitVersion(base, tmp.path, '2.0', { 'usr/etc/motd': 'v2\n' });
    await deploy({ sysroot: base, stateroot: STATEROOT, source: `${STATEROOT}/stable` });
  });

  it('a fresh sysroot verifies clean (every entry, and --entry 1 alone)', async () => {
    expect(await verify(base)).to.deep.include({ problems: [] });
    const one = await verify(base, { entry: 1 });
    expect(one.entries).to.have.length(1);
    expect(one.problems).to.deep.equal([]);
  });

  // Each fault is applied to deployment 0 (the default entry, ostree-2-testos.conf).
  const faults: { name: string; link: string; apply: (s: string, dep: string, entry: string) => void }[] = [
    { name: 'flipped image byte', link: 'image', apply: (_s, dep) => flipByte(`${dep}/.ostree.cfs`, 2000) },
    { name: 'flipped byte of the stateroot image copy', link: 'image', apply: (s) => {
      const dir = `${s}/ostree/deploy/${STATEROOT}/composefs`;
      for (const n of readdirSync(dir)) flipByte(`${dir}/${n}`, 1500);
    } },
    { name: 'missing object', link: 'object', apply: (s, dep) => unlinkSync(objectOf(s, dep, 'usr/bin/hello')) },
    { name: 'corrupt object', link: 'object', apply: (s, dep) => flipByte(objectOf(s, dep, 'usr/bin/hello'), 3) },
    { name: 'wrong karg digest', link: 'composefs=', apply: (_s, _d, e) => editEntry(e, (t) => t.replace(/composefs=[0-9a-f]{64}/, `composefs=${'ab'.repeat(32)}`)) },
    { name: 'no composefs= karg', link: 'composefs=', apply: (_s, _d, e) => editEntry(e, (t) => t.replace(/ composefs=[0-9a-f]{64}/, '')) },
    { name: 'dangling bootlink', link: 'bootlink', apply: (s, _d, e) => {
      const link = s + /ostree=(\S+)/.exec(readFileSync(e, 'utf8'))![1];
      unlinkSync(link);
      symlinkSync(`../../../deploy/${STATEROOT}/deploy/${'de'.repeat(32)}.0`, link);
    } },
    { name: 'bootlink that is not a symlink', link: 'bootlink', apply: (s, _d, e) => {
      const link = s + /ostree=(\S+)/.exec(readFileSync(e, 'utf8'))![1];
      unlinkSync(link);
      writeFileSync(link, '');
    } },
    { name: 'missing etc/', link: 'etc', apply: (_s, dep) => rmSync(`${dep}/etc`, { recursive: true }) },
    { name: 'missing stateroot var/', link: 'var', apply: (s) => rmSync(`${s}/ostree/deploy/${STATEROOT}/var`, { recursive: true }) },
    { name: 'corrupt BLS entry (not UTF-8)', link: 'BLS entry', apply: (_s, _d, e) => writeFileSync(e, Buffer.from([0x74, 0x69, 0xff, 0xfe, 0x0a])) },
    { name: 'BLS entry without ostree=', link: 'ostree=', apply: (_s, _d, e) => editEntry(e, (t) => t.replace(/ ostree=\S+/, '')) },
    { name: 'missing kernel', link: 'linux', apply: (s, _d, e) => unlinkSync(`${s}/boot${/^linux (\S+)/m.exec(readFileSync(e, 'utf8'))![1]}`) },
    { name: 'stale initramfs extension (the other deployment\'s)', link: 'extension', apply: (s, _d, e) => {
      const other = readFileSync(`${s}/boot/loader/entries/ostree-1-${STATEROOT}.conf`, 'utf8').split('\n').filter((l) => l.startsWith('initrd'))[1];
      editEntry(e, (t) => t.replace(/^initrd \/ostree\/initramfs-overlays\/.*$/m, other));
    } },
    { name: 'initramfs extension rewritten in place', link: 'extension', apply: (s, _d, e) => {
      const line = readFileSync(e, 'utf8').split('\n').filter((l) => l.startsWith('initrd'))[1];
      flipByte(`${s}/boot${line.slice(7)}`, 200);
    } },
    { name: 'no initramfs extension', link: 'initrd', apply: (_s, _d, e) => editEntry(e, (t) => t.replace(/^initrd \/ostree\/initramfs-overlays\/.*\n/m, '')) },
    { name: 'stub commit missing', link: 'stub commit', apply: (s, dep) => {
      const csum = dep.slice(dep.lastIndexOf('/') + 1).split('.')[0];
      unlinkSync(`${s}/ostree/repo/objects/${csum.slice(0, 2)}/${csum.slice(2)}.commit`);
    } },
  ];

  for (const fault of faults) {
    it(`${fault.name} → ${fault.link}`, async () => {
      const s = `${tmp.path}/case`;
      rmSync(s, { recursive: true, force: true });
      cpSync(base, s, { recursive: true, verbatimSymlinks: true });
      const d = loadSysroot(s).deployments[0];
      const dep = `${s}/ostree/deploy/${STATEROOT}/deploy/${d.csum}.${d.deployserial}`;
      fault.apply(s, dep, `${s}/boot/loader/entries/ostree-2-${STATEROOT}.conf`);
      const r = await verify(s);
      expect(r.problems.map((p) => p.link), JSON.stringify(r.problems)).to.include(fault.link);
      // the other entry is unaffected unless the fault is in something both share (objects, var, kernel, stateroot images)
      const other = r.problems.filter((p) => p.entry.endsWith(`ostree-1-${STATEROOT}.conf`));
      if (!['object', 'var', 'image', 'linux'].includes(fault.link) || fault.name === 'flipped image byte') expect(other).to.deep.equal([]);
    });
  }

  it('cfskit admin verify exits 1 and lists every broken link', () => {
    const s = `${tmp.path}/case`;
    rmSync(s, { recursive: true, force: true });
    cpSync(base, s, { recursive: true, verbatimSymlinks: true });
    const d = loadSysroot(s).deployments[0];
    rmSync(`${s}/ostree/deploy/${STATEROOT}/deploy/${d.csum}.${d.deployserial}/etc`, { recursive: true });
    rmSync(`${s}/ostree/deploy/${STATEROOT}/var`, { recursive: true });
    const cli = (sysroot: string) => cfskit(['admin', 'verify', `--sysroot=${sysroot}`]);
    const r = cli(s);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/ostree-2-testos\.conf: etc: .*etc is missing/);
    expect(r.stderr.match(/: var: /g)).to.have.length(2);
    const ok = cli(base);
    expect(ok.status, ok.stderr).to.equal(0);
    expect(ok.stdout).to.equal('2 boot entries verified\n');
  });
});
