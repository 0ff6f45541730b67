import { expect } from 'chai';
import { deploy } from '../../../src/sysroot/deploy.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import { lockSysroot } from '../../../src/sysroot/lock.js';
import { verify } from '../../../src/sysroot/verify.js';
import { tempDir } from '../helpers.js';
import { STATEROOT, commitVersion, makeSysroot } from './fixture.js';
import { cfskitSpawn } from '../../helpers/cli.js';

interface Run {
  done: Promise<number>;
  stderr: () => string;
}

function cfskitRun(args: string[]): Run {
  const p = cfskitSpawn(args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
  return { done: new Promise((resolve) => p.on('exit', (code) => resolve(code ?? -1))), stderr: () => err };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('admin deploy: two deploys racing on one sysroot', function () {
  this.timeout(120_000);
  const tmp = tempDir('cfskit-deploy-race-');
  after(tmp.remove);
  const sysroot = `${tmp.path}/sysroot`;

  it('both wait for the lock, run one after the other, and leave a sysroot that verifies clean', async () => {
    makeSysroot(sysroot);
    const v1 = await commitVersion(sysroot, tmp.path, '1.0');
    await deploy({ sysroot, stateroot: STATEROOT, source: v1.checksum });
    const v2 = await commitVersion(sysroot, tmp.path, '2.0', { 'usr/etc/motd': 'v2\n' });
    // Hold the lock so both processes are certainly inside deploy at the same time.
    const held = await lockSysroot(sysroot);
    const args = ['admin', 'deploy', `--sysroot=${sysroot}`, `--os=${STATEROOT}`, `${STATEROOT}/stable`];
    const a = cfskitRun(args);
    const b = cfskitRun(args);
    for (let i = 0; i < 300 && !(a.stderr().includes('Waiting') && b.stderr().includes('Waiting')); i++) await sleep(100);
    held.release();
    const codes = await Promise.all([a.done, b.done]);
    expect(codes, a.stderr() + b.stderr()).to.deep.equal([0, 0]);
    expect(a.stderr()).to.match(/^Waiting for the sysroot lock/);
    expect(b.stderr()).to.match(/^Waiting for the sysroot lock/);
    // the second deploy merged from the first: [v2.1, v2.0]; v1 left the list and was cleaned up
    expect(loadSysroot(sysroot).deployments.map((d) => `${d.csum}.${d.deployserial}`)).to.deep.equal([`${v2.checksum}.1`, `${v2.checksum}.0`]);
    expect((await verify(sysroot)).problems).to.deep.equal([]);
  });
});
