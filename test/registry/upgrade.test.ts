/**
 * `cfskit admin deploy docker://…` on a fresh sysroot, then `upgradeFromRegistry` after a new
 * image is pushed under the same tag: only the new blobs cross the wire (the proxy's log), /etc is
 * merged, the chain verifies; with nothing new, "No update available" and no blob fetched.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommit } from '../../src/ostree/commit.js';
import { openRepo } from '../../src/ostree/repo.js';
import { prune } from '../../src/cfs/prune.js';
import { pruneBlobCache } from '../../src/registry/cache-prune.js';
import { META_IMAGE_REFERENCE, META_MANIFEST_DIGEST, commitProvenance } from '../../src/registry/provenance.js';
import { upgradeFromRegistry } from '../../src/upgrade/registry-upgrade.js';
import { loadSysroot } from '../../src/sysroot/deployments.js';
import { paths } from '../../src/sysroot/layout.js';
import { verify } from '../../src/sysroot/verify.js';
import { STATEROOT, makeSysroot, osFiles } from '../sysroot/deploy/fixture.js';
import { needCommand } from '../helpers/peers.js';
import { type Proxy, type Registry, cfskit, layoutOf, skopeoPush, startProxy, startRegistry, tarOfFiles } from './harness.js';

const digestsOf = (log: string[]) => log.map((l) => l.replace(/^.*\/blobs\//, ''));

describe('registry: admin deploy docker:// and upgrade', function () {
  // CLI children and real servers on a shared 2-core machine
  this.timeout(300_000);
  let work: string;
  let registry: Registry;
  let proxy: Proxy;
  let sysroot: string;
  let ref: string;

  before(async function () {
    needCommand(this, 'docker-registry');
    needCommand(this, 'skopeo');
    work = mkdtempSync(join(tmpdir(), 'cfskit-regup-'));
    registry = await startRegistry(join(work, 'registry'));
    proxy = await startProxy(registry.port);
    ref = `docker://${proxy.host}/os:1`;
    sysroot = join(work, 'sysroot');
    makeSysroot(sysroot);
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('deploys, upgrades with only the new layers, then has no update', async function () {
    const base = tarOfFiles(work, 'base', osFiles('1'));
    const v1 = layoutOf(join(work, 'v1'), [base], 'gzip');
    skopeoPush(v1, `docker://${registry.host}/os:1`);

    const r = await cfskit(['admin', 'deploy', `--sysroot=${sysroot}`, `--os=${STATEROOT}`, '--tls-verify=false', ref]);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    expect(r.stdout).to.match(/^Copying \/etc changes: 0 modified, 0 removed, 0 added\nDeployed ostree\/deploy\/testos\/deploy\/[0-9a-f]{64}\.0 \(composefs=[0-9a-f]{64}\)\n$/);
    const first = loadSysroot(sysroot).deployments[0];
    const originText = readFileSync(paths.origin(sysroot, STATEROOT, first), 'utf8');
    expect(originText).to.equal(`[origin]\ncontainer-image-reference=${ref}\n`);
    const repo = openRepo(paths.repo(sysroot));
    const meta = new Map(readCommit(repo, first.csum).commit.metadata.map(([k, v]) => [k, v.value]));
    expect(meta.get(META_IMAGE_REFERENCE)).to.equal(ref);
    expect(meta.get(META_MANIFEST_DIGEST)).to.match(/^sha256:[0-9a-f]{64}$/);
    const v1Blobs = proxy.blobGets();
    expect(v1Blobs).to.have.length(2); // config + the one layer

    // a local change in /etc, then v2 (same base layer + one new layer) under the same tag
    const deployDir = join(sysroot, 'ostree', 'deploy', STATEROOT, 'deploy', `${first.csum}.0`);
    writeFileSync(join(deployDir, 'etc', 'local.conf'), 'mine\n');
    const extra = tarOfFiles(work, 'v2', { 'usr/etc/motd': 'Welcome to version 2\n', 'usr/bin/new': 'new\n' });
    const v2 = layoutOf(join(work, 'v2'), [base, extra], 'gzip');
    skopeoPush(v2, `docker://${registry.host}/os:1`);
    proxy.log.length = 0;
    const up = await upgradeFromRegistry({ sysroot, tlsVerify: false });
    expect(up.changed).to.equal(true);
    expect(up.message).to.match(/^Deployed ostree\/deploy\/testos\/deploy\/[0-9a-f]{64}\.0 \(composefs=[0-9a-f]{64}\) from docker:\/\/.*\/os:1 \(sha256:/);
    const fetched = digestsOf(proxy.blobGets());
    expect(fetched).to.have.length(2); // the new config and the new layer
    for (const d of digestsOf(v1Blobs)) if (d !== fetched[0]) expect(fetched).to.not.include(d);
    const v2Manifest = JSON.parse(readFileSync(join(v2, 'blobs', 'sha256', JSON.parse(readFileSync(join(v2, 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8'));
    expect(fetched.sort()).to.deep.equal([v2Manifest.config.digest, v2Manifest.layers[1].digest].sort());

    const state = loadSysroot(sysroot);
    expect(state.deployments).to.have.length(2);
    const second = state.deployments[0];
    const dir2 = join(sysroot, 'ostree', 'deploy', STATEROOT, 'deploy', `${second.csum}.0`);
    expect(readFileSync(join(dir2, 'etc', 'local.conf'), 'utf8')).to.equal('mine\n');
    expect(readFileSync(join(dir2, 'etc', 'motd'), 'utf8')).to.equal('Welcome to version 2\n');
    expect(readFileSync(paths.origin(sysroot, STATEROOT, second), 'utf8')).to.equal(`[origin]\ncontainer-image-reference=${ref}\n`);
    expect(commitProvenance(readCommit(repo, second.csum).commit)?.manifestDigest).to.not.equal(meta.get(META_MANIFEST_DIGEST));
    expect((await verify(sysroot)).problems).to.deep.equal([]);
    const v = await cfskit(['admin', 'verify', `--sysroot=${sysroot}`]);
    expect(v.status, v.stderr).to.equal(0);

    proxy.log.length = 0;
    expect(await upgradeFromRegistry({ sysroot, tlsVerify: false })).to.deep.equal({ changed: false, message: 'No update available' });
    expect(proxy.blobGets()).to.deep.equal([]);
    expect(proxy.log.filter((l) => l.startsWith('GET /v2/os/manifests'))).to.deep.equal([]);
    expect(loadSysroot(sysroot).deployments.map((d) => d.csum)).to.deep.equal(state.deployments.map((d) => d.csum));

    // prune keeps the blobs of deployed commits and drops the others
    const cache = join(paths.repo(sysroot), 'cfs', 'oci', 'blobs', 'sha256');
    const before = readdirSync(cache).sort();
    writeFileSync(join(cache, 'f'.repeat(64)), 'stray');
    await prune(repo, { hooks: [pruneBlobCache] });
    expect(readdirSync(cache).sort()).to.deep.equal(before);
  });

  it('--pull-only, then --deploy-only (no request to the registry), then switch to another reference', async () => {
    const base = tarOfFiles(work, 'base', osFiles('1'));
    const v3 = layoutOf(join(work, 'v3'), [base, tarOfFiles(work, 'v3', { 'usr/etc/motd': 'Welcome to version 3\n' })], 'gzip');
    skopeoPush(v3, `docker://${registry.host}/os:1`);
    const before = loadSysroot(sysroot).deployments.map((d) => d.csum);
    const pulled = await upgradeFromRegistry({ sysroot, tlsVerify: false, pullOnly: true });
    expect(pulled.changed).to.equal(true);
    expect(pulled.message).to.match(/^Pulled docker:\/\/.*\/os:1 \(sha256:[0-9a-f]{64}\) as [0-9a-f]{64}$/);
    expect(loadSysroot(sysroot).deployments.map((d) => d.csum)).to.deep.equal(before);

    proxy.log.length = 0;
    const deployed = await upgradeFromRegistry({ sysroot, deployOnly: true });
    expect(deployed.changed).to.equal(true);
    expect(proxy.log).to.deep.equal([]);
    const now = loadSysroot(sysroot).deployments[0];
    expect(now.csum).to.equal(pulled.message.slice(-64));
    expect(readFileSync(join(sysroot, 'ostree', 'deploy', STATEROOT, 'deploy', `${now.csum}.0`, 'etc', 'motd'), 'utf8')).to.equal('Welcome to version 3\n');
    expect(await upgradeFromRegistry({ sysroot, deployOnly: true })).to.deep.equal({ changed: false, message: 'No update available' });
    expect(await upgradeFromRegistry({ sysroot, tlsVerify: false })).to.deep.equal({ changed: false, message: 'No update available' });

    skopeoPush(layoutOf(join(work, 'other'), [base], 'gzip'), `docker://${registry.host}/other:2`);
    const other = `docker://${proxy.host}/other:2`;
    expect((await upgradeFromRegistry({ sysroot, tlsVerify: false, reference: other })).changed).to.equal(true);
    const switched = loadSysroot(sysroot).deployments[0];
    expect(readFileSync(paths.origin(sysroot, STATEROOT, switched), 'utf8')).to.equal(`[origin]\ncontainer-image-reference=${other}\n`);
    expect(await upgradeFromRegistry({ sysroot, tlsVerify: false })).to.deep.equal({ changed: false, message: 'No update available' });
    try {
      await upgradeFromRegistry({ sysroot, pullOnly: true, deployOnly: true });
      expect.fail('expected a refusal');
    } catch (e) {
      expect((e as Error).message).to.equal('--pull-only and --deploy-only cannot be combined');
    }
  });

  it('a deployment that follows no image is refused clearly', async () => {
    const other = join(work, 'empty-sysroot');
    makeSysroot(other);
    try {
      await upgradeFromRegistry({ sysroot: other, tlsVerify: false });
      expect.fail('expected a refusal');
    } catch (e) {
      expect((e as Error).message).to.equal(`${other}: no deployment to upgrade`);
    }
  });
});
