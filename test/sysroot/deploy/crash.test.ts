import { expect } from 'chai';
import { cpSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cleanup } from '../../../src/sysroot/cleanup.js';
import { deploy } from '../../../src/sysroot/deploy.js';
import { loadSysroot } from '../../../src/sysroot/deployments.js';
import type { Fs } from '../../../src/io/fs.js';
import { deployName } from '../../../src/sysroot/layout.js';
import { rollback, undeploy } from '../../../src/sysroot/operations.js';
import { verify } from '../../../src/sysroot/verify.js';
import { InjectedFault, faultyFs } from '../faulty-fs.js';
import { tempDir } from '../helpers.js';
import { STATEROOT, commitVersion, makeSysroot } from './fixture.js';

const names = (sysroot: string) => loadSysroot(sysroot).deployments.map((d) => `${d.stateroot}/${deployName(d)}`);

/** Every deployment ref as `B/S/i=commit`, and what the live boot configuration says they must be. */
function deploymentRefs(sysroot: string): { found: string[]; wanted: string[] } {
  const heads = `${sysroot}/ostree/repo/refs/heads/ostree`;
  const found = (readdirSync(heads, { recursive: true, withFileTypes: true }) as import('node:fs').Dirent[])
    .filter((e) => e.isFile())
    .map((e) => `${e.parentPath.slice(heads.length + 1)}/${e.name}=${readFileSync(`${e.parentPath}/${e.name}`, 'utf8').trim()}`)
    .sort();
  const s = loadSysroot(sysroot);
  const wanted = s.deployments.map((d, i) => `${s.bootversion}/${s.subbootversion}/${i}=${d.csum}`).sort();
  return { found, wanted };
}

describe('admin deploy/rollback/undeploy/cleanup: a crash at every write leaves a bootable sysroot; a re-run completes', function () {
  this.timeout(300_000);
  const tmp = tempDir('cfskit-deploy-crash-', true);
  after(tmp.remove);
  /** One deployment (v1, with local /etc changes); v2 committed, not deployed. */
  const one = `${tmp.path}/one`;
  /** v2 deployed over v1, then v1's extension and old bootversion left for cleanup. */
  const two = `${tmp.path}/two`;

  before(async () => {
    makeSysroot(one);
    const v1 = await commitVersion(one, tmp.path, '1.0');
    await deploy({ sysroot: one, stateroot: STATEROOT, source: v1.checksum, kargs: ['root=LABEL=rootfs'] });
    const d = loadSysroot(one).deployments[0];
    writeFileSync(`${one}/ostree/deploy/${STATEROOT}/deploy/${deployName(d)}/etc/hostname`, 'local\n');
    await commitVersion(one, tmp.path, '2.0', { 'usr/etc/motd': 'v2\n', 'usr/etc/extra.conf': 'x\n' });
    cpSync(one, two, { recursive: true, verbatimSymlinks: true });
    await deploy({ sysroot: two, stateroot: STATEROOT, source: `${STATEROOT}/stable` });
    await deploy({ sysroot: two, stateroot: STATEROOT, source: `${STATEROOT}/stable`, retain: true });
    await undeploy(two, 0, { noCleanup: true }); // leaves garbage for cleanup
  });

  const ops: { name: string; base: () => string; run: (s: string, fs: Fs) => Promise<unknown> }[] = [
    { name: 'deploy v2 with /etc merge', base: () => one, run: (s, fs) => deploy({ sysroot: s, stateroot: STATEROOT, source: `${STATEROOT}/stable`, fs }) },
    { name: 'rollback', base: () => two, run: (s, fs) => rollback(s, { fs }) },
    { name: 'undeploy 1', base: () => two, run: (s, fs) => undeploy(s, 1, { fs }) },
    { name: 'cleanup', base: () => two, run: (s, fs) => cleanup(s, { fs }) },
  ];

  let total = 0;
  after(() => {
    console.log(`      (${total} injected faults in all)`);
    expect(total).to.be.at.least(100);
  });

  for (const op of ops) {
    it(`${op.name}: every write step`, async () => {
      const dry = `${tmp.path}/dry`;
      rmSync(dry, { recursive: true, force: true });
      cpSync(op.base(), dry, { recursive: true, verbatimSymlinks: true });
      const counter = faultyFs();
      await op.run(dry, counter);
      const expected = names(dry);
      const steps = counter.calls.length;
      expect(steps).to.be.greaterThan(0);
      total += steps;
      const before = names(op.base());
      const previousDefault = before[0];
      for (let n = 1; n <= steps; n++) {
        const dir = `${tmp.path}/crash`;
        rmSync(dir, { recursive: true, force: true });
        cpSync(op.base(), dir, { recursive: true, verbatimSymlinks: true });
        let thrown: unknown;
        try {
          await op.run(dir, faultyFs(n));
        } catch (e) {
          thrown = e;
        }
        const step = counter.calls[n - 1];
        expect(thrown, step).to.be.instanceOf(InjectedFault);
        // the boot config that is current verifies, and it is the old list or the complete new one
        const now = names(dir);
        expect([before, expected], step).to.deep.include(now);
        expect((await verify(dir, { quickObjects: true })).problems, step).to.deep.equal([]);
        // the previous default is still bootable (undeploy removes index 1, never it)
        expect(now, step).to.include(previousDefault);
        // a re-run completes: the operation when nothing was committed, else the cleanup it skipped
        if (JSON.stringify(now) === JSON.stringify(before)) await op.run(dir, faultyFs());
        else await cleanup(dir);
        expect((await verify(dir, { quickObjects: true })).problems, `${step} (re-run)`).to.deep.equal([]);
        if (op.name !== 'deploy v2 with /etc merge') expect(names(dir), `${step} (re-run)`).to.deep.equal(expected);
        else expect(names(dir).length, `${step} (re-run)`).to.equal(expected.length);
        const refs = deploymentRefs(dir);
        expect(refs.found, `${step} (re-run): deployment refs`).to.deep.equal(refs.wanted);
      }
    });
  }
});
