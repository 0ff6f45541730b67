/**
 * `cfskit admin upgrade` and `admin switch` on a deployment made by `admin deploy docker://…`: the
 * same verbs as for an ostree remote, asking the registry (src/upgrade/pullers.ts). A new image
 * under the same tag is deployed with /etc merged; then "No update available." and no blob
 * fetched; `admin switch docker://…` follows another reference.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommit } from '../../src/ostree/commit.js';
import { openRepo } from '../../src/ostree/repo.js';
import { commitProvenance } from '../../src/registry/provenance.js';
import { loadSysroot } from '../../src/sysroot/deployments.js';
import { paths } from '../../src/sysroot/layout.js';
import { STATEROOT, makeSysroot, osFiles } from '../sysroot/deploy/fixture.js';
import { needCommand } from '../helpers/peers.js';
import { type Proxy, type Registry, cfskit, layoutOf, skopeoPush, startProxy, startRegistry, tarOfFiles } from './harness.js';

const DEPLOYED = /^Copying \/etc changes: \d+ modified, \d+ removed, \d+ added\nDeployed ostree\/deploy\/testos\/deploy\/[0-9a-f]{64}\.0 \(composefs=[0-9a-f]{64}\)\n$/;

describe('registry: cfskit admin upgrade and admin switch on a docker:// deployment', function () {
  this.timeout(300_000);
  let work: string;
  let registry: Registry;
  let proxy: Proxy;
  let sysroot: string;

  before(async function () {
    needCommand(this, 'docker-registry');
    needCommand(this, 'skopeo');
    work = mkdtempSync(join(tmpdir(), 'cfskit-cliup-'));
    registry = await startRegistry(join(work, 'registry'));
    proxy = await startProxy(registry.port);
    sysroot = join(work, 'sysroot');
    makeSysroot(sysroot);
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const deployDir = (csum: string) => join(sysroot, 'ostree', 'deploy', STATEROOT, 'deploy', `${csum}.0`);

  it('upgrade deploys the new image under the same tag, then has no update', async () => {
    const ref = `docker://${proxy.host}/os:1`;
    const base = tarOfFiles(work, 'base', osFiles('1'));
    skopeoPush(layoutOf(join(work, 'v1'), [base], 'gzip'), `docker://${registry.host}/os:1`);
    const d = await cfskit(['admin', 'deploy', `--sysroot=${sysroot}`, `--os=${STATEROOT}`, '--tls-verify=false', ref]);
    expect(d.status, d.stderr).to.equal(0);
    const first = loadSysroot(sysroot).deployments[0];
    writeFileSync(join(deployDir(first.csum), 'etc', 'local.conf'), 'mine\n');

    // nothing new: no deployment, no blob
    proxy.log.length = 0;
    const same = await cfskit(['admin', 'upgrade', `--sysroot=${sysroot}`, '--tls-verify=false']);
    expect(same).to.deep.include({ status: 0, stdout: 'No update available.\n' });
    expect(proxy.blobGets()).to.deep.equal([]);

    const v2 = layoutOf(join(work, 'v2'), [base, tarOfFiles(work, 'v2', { 'usr/etc/motd': 'Welcome to version 2\n' })], 'gzip');
    skopeoPush(v2, `docker://${registry.host}/os:1`);
    proxy.log.length = 0;
    const up = await cfskit(['admin', 'upgrade', `--sysroot=${sysroot}`, '--tls-verify=false']);
    expect(up.status, up.stderr).to.equal(0);
    expect(up.stdout).to.match(DEPLOYED);
    expect(proxy.blobGets()).to.have.length(2); // the new config and the new layer, not the base
    const state = loadSysroot(sysroot);
    expect(state.deployments).to.have.length(2);
    const second = state.deployments[0];
    expect(second.csum).to.not.equal(first.csum);
    expect(up.stdout).to.contain(`deploy/${second.csum}.0 `);
    expect(readFileSync(join(deployDir(second.csum), 'etc', 'motd'), 'utf8')).to.equal('Welcome to version 2\n');
    expect(readFileSync(join(deployDir(second.csum), 'etc', 'local.conf'), 'utf8')).to.equal('mine\n');
    expect(readFileSync(paths.origin(sysroot, STATEROOT, second), 'utf8')).to.equal(`[origin]\ncontainer-image-reference=${ref}\n`);
    const v2Manifest = JSON.parse(readFileSync(join(v2, 'index.json'), 'utf8')).manifests[0].digest;
    expect(commitProvenance(readCommit(openRepo(paths.repo(sysroot)), second.csum).commit)?.manifestDigest).to.equal(v2Manifest);

    proxy.log.length = 0;
    const again = await cfskit(['admin', 'upgrade', `--sysroot=${sysroot}`, '--tls-verify=false']);
    expect(again).to.deep.include({ status: 0, stdout: 'No update available.\n' });
    expect(proxy.blobGets()).to.deep.equal([]);
    expect(loadSysroot(sysroot).deployments.map((x) => x.csum)).to.deep.equal(state.deployments.map((x) => x.csum));
    const v = await cfskit(['admin', 'verify', `--sysroot=${sysroot}`]);
    expect(v.status, v.stderr).to.equal(0);

    // cfskit prune and admin cleanup collect the blob cache: a stray blob goes, the deployed ones stay
    const cache = join(paths.repo(sysroot), 'cfs', 'oci', 'blobs', 'sha256');
    const kept = readdirSync(cache).sort();
    for (const args of [['prune', `--repo=${paths.repo(sysroot)}`], ['admin', 'cleanup', `--sysroot=${sysroot}`]]) {
      writeFileSync(join(cache, 'f'.repeat(64)), 'stray');
      const r = await cfskit(args);
      expect(r.status, r.stderr).to.equal(0);
      expect(readdirSync(cache).sort(), args[0]).to.deep.equal(kept);
    }
  });

  it('switch docker://… deploys and follows the other reference; the registry flags are checked', async () => {
    skopeoPush(layoutOf(join(work, 'other'), [tarOfFiles(work, 'other', osFiles('3'))], 'gzip'), `docker://${registry.host}/other:2`);
    const other = `docker://${proxy.host}/other:2`;
    const bad = await cfskit(['admin', 'switch', `--sysroot=${sysroot}`, '--tls-verify=maybe', other]);
    expect(bad).to.deep.include({ status: 1, stderr: "cfskit admin switch: --tls-verify: takes true or false, got 'maybe'\n" });
    const sw = await cfskit(['admin', 'switch', `--sysroot=${sysroot}`, '--tls-verify=false', other]);
    expect(sw.status, sw.stderr).to.equal(0);
    expect(sw.stdout).to.match(DEPLOYED);
    const now = loadSysroot(sysroot).deployments[0];
    expect(readFileSync(paths.origin(sysroot, STATEROOT, now), 'utf8')).to.equal(`[origin]\ncontainer-image-reference=${other}\n`);
    const up = await cfskit(['admin', 'upgrade', `--sysroot=${sysroot}`, '--tls-verify=false']);
    expect(up).to.deep.include({ status: 0, stdout: 'No update available.\n' });
  });
});
