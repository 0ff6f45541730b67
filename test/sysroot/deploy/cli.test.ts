import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { tempDir } from '../helpers.js';
import { STATEROOT, commitVersion, makeSysroot } from './fixture.js';
import { cfskit } from '../../helpers/cli.js';

describe('cfskit admin deploy/undeploy/rollback/pin/unpin/kargs/cleanup/verify (CLI)', function () {
  this.timeout(120_000);
  const tmp = tempDir('cfskit-deploy-cli-');
  after(tmp.remove);
  const sysroot = `${tmp.path}/sysroot`;
  const admin = (...args: string[]) => {
    const r = cfskit(['admin', ...args, `--sysroot=${sysroot}`]);
    return { ...r, ok: () => expect(r.status, r.stderr).to.equal(0) };
  };

  it('runs the whole life cycle', async () => {
    makeSysroot(sysroot);
    const v1 = await commitVersion(sysroot, tmp.path, '1.0');
    const v2 = await commitVersion(sysroot, tmp.path, '2.0', { 'usr/etc/motd': 'v2\n' });
    let r = admin('deploy', `--os=${STATEROOT}`, '--karg=root=LABEL=rootfs', '--karg-append=console=ttyS0', v1.checksum);
    r.ok();
    expect(r.stdout).to.match(/^Copying \/etc changes: 0 modified, 0 removed, 0 added\nDeployed ostree\/deploy\/testos\/deploy\/[0-9a-f]{64}\.0 \(composefs=[0-9a-f]{64}\)\n$/);
    admin('deploy', `--os=${STATEROOT}`, `${STATEROOT}/stable`).ok();
    r = admin('status');
    r.ok();
    expect(r.stdout).to.match(new RegExp(`^  ${STATEROOT} ${v2.checksum}\\.0\\n    Version: 2\\.0\\n`));
    admin('pin', '1').ok();
    expect(admin('status', '--json').stdout).to.contain('"pinned": true');
    admin('unpin', '1').ok();
    r = admin('kargs', '--append=quiet', '--delete=console=ttyS0');
    r.ok();
    expect(r.stdout).to.match(/^root=LABEL=rootfs composefs=[0-9a-f]{64} ostree=\S+ quiet\n$/);
    r = admin('kargs', '--delete=composefs');
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain('set by deploy');
    admin('rollback').ok();
    expect(loadSysroot(sysroot).deployments[0].csum).to.equal(v1.checksum);
    admin('undeploy', '1').ok();
    expect(existsSync(`${sysroot}/ostree/deploy/${STATEROOT}/deploy/${v2.checksum}.0`)).to.equal(false);
    r = admin('cleanup');
    r.ok();
    expect(r.stdout).to.match(/Pruned \d+ stub commits, \d+ images, \d+ objects/);
    r = admin('verify', '--entry=0');
    r.ok();
    expect(r.stdout).to.equal('1 boot entry verified\n');
    r = admin('undeploy', 'x');
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain('INDEX must be a non-negative integer');
    r = admin('deploy', v1.checksum);
    expect(r.status).to.equal(1);
    expect(r.stderr).to.contain('--os is required');
  });
});
