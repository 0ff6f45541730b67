import { expect } from 'chai';
import { existsSync, readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { readCommit } from '../../src/ostree/commit.js';
import { lookup } from '../../src/formats/gvariant.js';
import { openRepo } from '../../src/ostree/repo.js';
import { loadSysroot, listWithNewDeployment, listWithDefault, listWithout } from '../../src/sysroot/deployments.js';
import { paths } from '../../src/sysroot/layout.js';
import { setPinned, writeOrigin } from '../../src/sysroot/origin.js';
import { formatStatus, type CommitLookup } from '../../src/sysroot/status.js';
import { writeDeployments } from '../../src/sysroot/boot/swap.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { makeDeployment, makeSysroot } from './fixture.js';
import { tempDir } from './helpers.js';
import { cfskit } from '../helpers/cli.js';

const ostreeStatus = (sysroot: string) => {
  const r = runPeer('ostree', ['admin', 'status', `--sysroot=${sysroot}`]);
  expect(r.status, r.stderr).to.equal(0);
  return r.stdout;
};

function lookupIn(sysroot: string): CommitLookup {
  const repo = openRepo(paths.repo(sysroot));
  return (csum) => {
    const v = lookup(readCommit(repo, csum).commit.metadata, 'version');
    return { version: v?.value as string };
  };
}

describe('sysroot deployments: real `ostree admin status` reads what we write', () => {
  const tmp = tempDir();
  after(tmp.remove);
  const sysroot = `${tmp.path}/sysroot`;

  before(() => makeSysroot(sysroot, ['testos', 'other']));

  it('one deployment: a first bootversion swap writes loader.1, boot.1.1 (as ostree does)', function () {
    needCommand(this, 'ostree');
    const d1 = makeDeployment(sysroot, 'testos', '1.0');
    expect(writeDeployments(sysroot, [d1])).to.equal('bootversion');
    expect(readlinkSync(`${sysroot}/boot/loader`)).to.equal('loader.1');
    expect(readlinkSync(`${sysroot}/ostree/boot.1`)).to.equal('boot.1.1');
    expect(readlinkSync(`${sysroot}/boot/boot`)).to.equal('.');
    expect(readdirSync(`${sysroot}/boot/loader.1/entries`)).to.deep.equal(['ostree-1-testos.conf']);
    const entry = readFileSync(`${sysroot}/boot/loader.1/entries/ostree-1-testos.conf`, 'utf8');
    expect(entry).to.equal(
      `title Test OS 1.0 (ostree:0)\nversion 1\noptions root=LABEL=rootfs quiet ostree=/ostree/boot.1/testos/${d1.bootcsum}/0\n` +
        `linux /ostree/testos-${d1.bootcsum}/vmlinuz-6.1.0\ninitrd /ostree/testos-${d1.bootcsum}/initramfs-6.1.0.img\n`,
    );
    const expected = `  testos ${d1.csum}.0\n    Version: 1.0\n    origin refspec: testos/stable\n`;
    expect(ostreeStatus(sysroot)).to.equal(expected);
    expect(formatStatus(loadSysroot(sysroot), lookupIn(sysroot))).to.equal(expected);
  });

  it('deploy twice more (same bootcsum → bootserials 0,1,2), order and versions match ostree', function () {
    needCommand(this, 'ostree');
    for (const v of ['2.0', '3.0']) {
      const state = loadSysroot(sysroot);
      const d = makeDeployment(sysroot, 'testos', v);
      writeDeployments(sysroot, listWithNewDeployment(state, d, { retain: true }));
    }
    const state = loadSysroot(sysroot);
    expect(state.bootversion).to.equal(1);
    expect(state.deployments.map((d) => d.bootserial)).to.deep.equal([0, 1, 2]);
    const ours = formatStatus(state, lookupIn(sysroot));
    expect(ours).to.equal(ostreeStatus(sysroot));
    expect(ours.match(/Version: .*/g)).to.deep.equal(['Version: 3.0', 'Version: 2.0', 'Version: 1.0']);
  });

  it('ostree admin pin on our sysroot: we read Pinned, and the origin is rewritten as we would', function () {
    needCommand(this, 'ostree');
    const r = spawnSync('ostree', ['admin', 'pin', '1', `--sysroot=${sysroot}`], { env: { ...process.env, OSTREE_SYSROOT_DEBUG: 'mutable-deployments' } });
    expect(r.status, r.stderr.toString()).to.equal(0);
    const state = loadSysroot(sysroot);
    const d = state.deployments[1];
    expect(readFileSync(paths.origin(sysroot, d.stateroot, d), 'utf8')).to.equal('[origin]\nrefspec=testos/stable\n\n[libostree-transient]\npinned=true\n');
    expect(formatStatus(state, lookupIn(sysroot))).to.equal(ostreeStatus(sysroot));
    expect(ostreeStatus(sysroot)).to.contain('    Pinned: yes\n');
    // our unpin and pin: ostree sees them, and the file is the bytes ostree wrote
    const originPath = paths.origin(sysroot, d.stateroot, d);
    const written = readFileSync(originPath, 'utf8');
    setPinned(d.origin!, false);
    writeOrigin(originPath, d.origin!);
    expect(ostreeStatus(sysroot)).to.not.contain('Pinned');
    setPinned(d.origin!, true);
    writeOrigin(originPath, d.origin!);
    expect(readFileSync(originPath, 'utf8')).to.equal(written);
    expect(ostreeStatus(sysroot)).to.contain('    Pinned: yes\n');
  });

  it('a plain deploy keeps pinned + merge deployments; another stateroot shows in titles', function () {
    needCommand(this, 'ostree');
    const before = loadSysroot(sysroot);
    const d = makeDeployment(sysroot, 'other', '9.0', { bootcsum: 'c1'.repeat(32) });
    writeDeployments(sysroot, listWithNewDeployment(before, d));
    const state = loadSysroot(sysroot);
    expect(state.bootversion).to.equal(0);
    expect(state.deployments.map((x) => `${x.stateroot}:${x.bootserial}`)).to.deep.equal(['other:0', 'testos:0', 'testos:1', 'testos:2']);
    expect(state.deployments[0].entry.title).to.equal('Test OS 9.0 (ostree:other:0)');
    expect(formatStatus(state, lookupIn(sysroot))).to.equal(ostreeStatus(sysroot));
    // a testos deploy without --retain drops the unpinned non-merge testos deployment (3.0 is merge, 2.0 pinned)
    const d2 = makeDeployment(sysroot, 'testos', '4.0');
    writeDeployments(sysroot, listWithNewDeployment(loadSysroot(sysroot), d2));
    const out = ostreeStatus(sysroot);
    expect(out.match(/Version: .*/g)).to.deep.equal(['Version: 4.0', 'Version: 9.0', 'Version: 3.0', 'Version: 2.0']);
    expect(formatStatus(loadSysroot(sysroot), lookupIn(sysroot))).to.equal(out);
  });

  it('set-default and undeploy reorder/remove; equal boot configs swap only the bootlinks', function () {
    needCommand(this, 'ostree');
    const s0 = loadSysroot(sysroot);
    writeDeployments(sysroot, listWithout(s0, 1));
    const s1 = loadSysroot(sysroot);
    expect(s1.deployments.map((d) => d.entry.title)).to.deep.equal(['Test OS 4.0 (ostree:0)', 'Test OS 3.0 (ostree:1)', 'Test OS 2.0 (ostree:2)']);
    expect(formatStatus(s1, lookupIn(sysroot))).to.equal(ostreeStatus(sysroot));
    const s2 = loadSysroot(sysroot);
    writeDeployments(sysroot, listWithDefault(s2, 2));
    expect(ostreeStatus(sysroot).match(/Version: .*/g)).to.deep.equal(['Version: 2.0', 'Version: 4.0', 'Version: 3.0']);
    // writing the same list again is a no-op
    const s3 = loadSysroot(sysroot);
    expect(writeDeployments(sysroot, s3.deployments)).to.equal('none');
  });

  it('a reorder of deployments with identical boot configs is a subbootversion swap', function () {
    needCommand(this, 'ostree');
    const dir = `${tmp.path}/sub`;
    makeSysroot(dir);
    const a = makeDeployment(dir, 'testos', '1');
    const b = makeDeployment(dir, 'testos', '1');
    for (const d of [a, b]) d.entry.set('title', 'Same');
    writeDeployments(dir, [a, b]);
    const before = readFileSync(`${dir}/boot/loader.1/entries/ostree-2-testos.conf`, 'utf8');
    const s = loadSysroot(dir);
    expect(writeDeployments(dir, [s.deployments[1], s.deployments[0]])).to.equal('subbootversion');
    expect(readlinkSync(`${dir}/boot/loader`)).to.equal('loader.1');
    expect(readlinkSync(`${dir}/ostree/boot.1`)).to.equal('boot.1.0');
    expect(readFileSync(`${dir}/boot/loader.1/entries/ostree-2-testos.conf`, 'utf8')).to.equal(before);
    const st = loadSysroot(dir);
    expect(st.deployments.map((d) => d.csum)).to.deep.equal([b.csum, a.csum]);
    expect(ostreeStatus(dir)).to.contain(`testos ${b.csum}.0\n    Version: 1\n    origin refspec: testos/stable\n  testos ${a.csum}.0`);
    expect(existsSync(`${dir}/ostree/boot.1.1`)).to.equal(true); // the old one is left for cleanup (ostree.md §7)
  });

  it('we read what real `ostree admin undeploy` rewrites on our sysroot (deployments with a kernel)', function () {
    needCommand(this, 'ostree');
    const dir = `${tmp.path}/undeploy`;
    makeSysroot(dir);
    const list = ['1', '2', '3'].map((v) => makeDeployment(dir, 'testos', v, { withKernel: true, bootcsum: 'ab'.repeat(32) }));
    writeDeployments(dir, list.reverse());
    const r = spawnSync('ostree', ['admin', 'undeploy', '1', `--sysroot=${dir}`], { env: { ...process.env, OSTREE_SYSROOT_DEBUG: 'mutable-deployments' }, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    const state = loadSysroot(dir);
    expect(state.bootversion).to.equal(0);
    expect(state.deployments.map((d) => d.csum)).to.deep.equal([list[0].csum, list[2].csum]);
    expect(formatStatus(state, lookupIn(dir))).to.equal(ostreeStatus(dir));
    // ostree regenerated the entries from the deployment dirs and removed the undeployed one
    expect(state.deployments[0].entry.title).to.equal('Test OS 3 (ostree:0)');
    expect(existsSync(paths.deployment(dir, 'testos', list[1]))).to.equal(false);
    // and our next write on top of ostree's works
    writeDeployments(dir, listWithDefault(state, 1));
    expect(ostreeStatus(dir).match(/Version: .*/g)).to.deep.equal(['Version: 1', 'Version: 3']);
  });

  it('cfskit admin status prints the same as ostree (text) and JSON', function () {
    needCommand(this, 'ostree');
    const r = cfskit(['admin', 'status', `--sysroot=${sysroot}`]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal(ostreeStatus(sysroot));
    const j = cfskit(['admin', 'status', '--json', '--sysroot', sysroot]);
    const list = JSON.parse(j.stdout);
    expect(list.map((x: { version: string }) => x.version)).to.deep.equal(['2.0', '4.0', '3.0']);
    expect(list[0]).to.include({ index: 0, stateroot: 'testos', pinned: true, booted: false });
  });
});
