import { expect } from 'chai';
import { mkdirSync, readFileSync } from 'node:fs';
import { initFs, osInit, parseDeployName, parseOstreeKarg, ostreeKarg, paths, bootlinkTarget } from '../../src/sysroot/layout.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { listTree, tempDir } from './helpers.js';
import { cfskit } from '../helpers/cli.js';

describe('sysroot layout: init-fs and os-init', () => {
  const tmp = tempDir();
  after(tmp.remove);

  it('init-fs + os-init create the same tree as ostree 2022.7', function () {
    needCommand(this, 'ostree');
    const theirs = `${tmp.path}/theirs`;
    const ours = `${tmp.path}/ours`;
    mkdirSync(theirs);
    mkdirSync(ours);
    expect(runPeer('ostree', ['admin', 'init-fs', theirs]).status).to.equal(0);
    expect(runPeer('ostree', ['admin', 'os-init', 'testos', `--sysroot=${theirs}`]).status).to.equal(0);
    initFs(ours);
    osInit(ours, 'testos');
    expect(listTree(ours)).to.deep.equal(listTree(theirs));
    expect(readFileSync(`${ours}/ostree/repo/config`, 'utf8')).to.equal(readFileSync(`${theirs}/ostree/repo/config`, 'utf8'));
  });

  it('real ostree accepts our sysroot: status says "No deployments." and os-init works on it', function () {
    needCommand(this, 'ostree');
    const ours = `${tmp.path}/ours2`;
    mkdirSync(ours);
    initFs(ours);
    const st = runPeer('ostree', ['admin', 'status', `--sysroot=${ours}`]);
    expect(st.stderr).to.equal('');
    expect(st.stdout).to.equal('No deployments.\n');
    expect(runPeer('ostree', ['admin', 'os-init', 'other', `--sysroot=${ours}`]).status).to.equal(0);
  });

  it('os-init refuses an existing stateroot and a bad name; init-fs needs an existing DIR', () => {
    const s = `${tmp.path}/s3`;
    mkdirSync(s);
    initFs(s);
    initFs(s); // idempotent, like ostree
    osInit(s, 'os');
    expect(() => osInit(s, 'os')).to.throw(/stateroot exists already/);
    expect(() => osInit(s, 'a/b')).to.throw(/invalid stateroot name/);
    expect(() => initFs(`${tmp.path}/missing`)).to.throw(/does not exist/);
    expect(() => osInit(`${tmp.path}/missing`, 'os')).to.throw(/not an ostree sysroot/);
  });

  it('names deployments, bootlinks and the ostree= karg as ostree does', () => {
    const d = { csum: 'ab'.repeat(32), deployserial: 2 };
    expect(paths.deployment('/s', 'os', d)).to.equal(`/s/ostree/deploy/os/deploy/${'ab'.repeat(32)}.2`);
    expect(paths.origin('/s', 'os', d)).to.equal(`/s/ostree/deploy/os/deploy/${'ab'.repeat(32)}.2.origin`);
    expect(bootlinkTarget('os', d)).to.equal(`../../../deploy/os/deploy/${'ab'.repeat(32)}.2`);
    const link = { bootversion: 1, stateroot: 'my-os', bootcsum: 'cd'.repeat(32), bootserial: 3 };
    expect(ostreeKarg(link)).to.equal(`/ostree/boot.1/my-os/${'cd'.repeat(32)}/3`);
    expect(parseOstreeKarg(ostreeKarg(link))).to.deep.equal(link);
    expect(parseOstreeKarg('/ostree/boot.2/os/c/0')).to.equal(undefined);
    expect(parseOstreeKarg('/ostree/boot.0/os/c/x')).to.equal(undefined);
    expect(parseDeployName('abc.12')).to.deep.equal({ csum: 'abc', deployserial: 12 });
    expect(parseDeployName('ABC.1')).to.equal(undefined);
    expect(parseDeployName('abc.1.origin')).to.equal(undefined);
  });
});

describe('cfskit admin init-fs / os-init (CLI)', () => {
  const tmp = tempDir();
  after(tmp.remove);
  it('creates a sysroot and a stateroot; errors name the problem with exit 1', () => {
    const dir = `${tmp.path}/s`;
    mkdirSync(dir);
    expect(cfskit(['admin', 'init-fs', dir]).status).to.equal(0);
    const r = cfskit(['admin', 'os-init', 'testos', '--sysroot', dir]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.equal('ostree/deploy/testos initialized as OSTree root\n');
    const again = cfskit(['admin', 'os-init', 'testos', `--sysroot=${dir}`]);
    expect(again.status).to.equal(1);
    expect(again.stderr).to.match(/^cfskit admin: .*ostree\/deploy\/testos: stateroot exists already\n$/);
    expect(cfskit(['admin', 'nope']).stderr).to.contain("unknown admin subcommand 'nope'");
    expect(cfskit(['admin', 'init-fs']).status).to.equal(1);
  });
});
