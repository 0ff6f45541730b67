import { expect } from 'chai';
import { cpSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type Deployment, type SysrootState, listWithDefault, listWithNewDeployment, listWithout, loadSysroot } from '../../../src/sysroot/deployments.js';
import { type BootFile, writeDeployments } from '../../../src/sysroot/boot/swap.js';
import { needCommand, runPeer } from '../../helpers/peers.js';
import { InjectedFault, faultyFs } from '../faulty-fs.js';
import { makeDeployment, makeSysroot } from '../fixture.js';
import { tempDir } from '../helpers.js';

/** What a bootloader would see: each entry in order with the deployment its ostree= link reaches. */
function bootView(sysroot: string): string[] {
  const state = loadSysroot(sysroot);
  return state.deployments.map((d) => {
    const arg = /ostree=(\S+)/.exec(d.entry.options ?? '')![1];
    const dir = realpathSync(`${sysroot}${arg}`);
    expect(statSync(dir).isDirectory()).to.equal(true);
    for (const p of [d.entry.linux!, ...d.entry.initrds]) expect(statSync(`${sysroot}/boot${p}`).isFile(), p).to.equal(true);
    return `${d.entry.toString().replace(/ostree=\S+/, '')}=> ${dir.slice(dir.lastIndexOf('/') + 1)}`;
  });
}

function kernelFiles(state: { deployments: Deployment[] } | Deployment[], src: string): Map<string, BootFile[]> {
  const list = Array.isArray(state) ? state : state.deployments;
  return new Map(
    list.map((d) => [`${d.stateroot}-${d.bootcsum}`, [
      { name: 'vmlinuz-6.1.0', src },
      { name: 'initramfs-6.1.0.img', src: new TextEncoder().encode(`initramfs of ${d.bootcsum}\n`) },
    ]]),
  );
}

describe('sysroot boot swap: a crash at every write leaves a bootable config; a re-run completes', () => {
  const tmp = tempDir('cfskit-swap-', true);
  after(tmp.remove);
  const base = `${tmp.path}/base`;
  const kernel = `${tmp.path}/vmlinuz`;
  let added: Deployment;

  before(() => {
    makeSysroot(base);
    writeFileSync(kernel, Buffer.alloc(300 * 1024, 0x4b));
    const a = makeDeployment(base, 'testos', '1', { bootcsum: 'a0'.repeat(32) });
    const b = makeDeployment(base, 'testos', '2', { bootcsum: 'b0'.repeat(32) });
    writeDeployments(base, [b, a], { bootFiles: kernelFiles([a, b], kernel) });
    // deployed below: its directory and commit exist, it is not yet in the boot config
    added = makeDeployment(base, 'testos', '3', { bootcsum: 'c0'.repeat(32) });
  });

  const operations: { name: string; list: (s: SysrootState) => Deployment[] }[] = [
    { name: 'deploy (new bootcsum, new kernel files)', list: (s) => listWithNewDeployment(s, added, { retain: true }) },
    { name: 'undeploy 1', list: (s) => listWithout(s, 1) },
    { name: 'set default 1 (rollback)', list: (s) => listWithDefault(s, 1) },
  ];

  let total = 0;
  after(() => {
    console.log(`      (${total} injected faults in all)`);
    expect(total).to.be.greaterThan(60);
  });

  for (const op of operations) {
    it(`${op.name}: every write step`, function () {
      // Dry run to count the write steps and learn the expected result.
      const dry = `${tmp.path}/dry`;
      rmSync(dry, { recursive: true, force: true });
      cpSync(base, dry, { recursive: true, verbatimSymlinks: true });
      const counter = faultyFs();
      const list = op.list(loadSysroot(dry));
      writeDeployments(dry, list, { fs: counter, bootFiles: kernelFiles(list, kernel) });
      const expectedNew = bootView(dry);
      const oldView = bootView(base);
      expect(expectedNew).to.not.deep.equal(oldView);
      const steps = counter.calls.length;
      total += steps;
      const commitPoint = counter.calls.findIndex((c) => /^rename \S*\/boot\/loader\.tmp \S*\/boot\/loader$/.test(c));
      for (let n = 1; n <= steps; n++) {
        const dir = `${tmp.path}/crash`;
        rmSync(dir, { recursive: true, force: true });
        cpSync(base, dir, { recursive: true, verbatimSymlinks: true });
        const l = op.list(loadSysroot(dir));
        expect(() => writeDeployments(dir, l, { fs: faultyFs(n), bootFiles: kernelFiles(l, kernel) }), `step ${n}`).to.throw(InjectedFault);
        const after = bootView(dir);
        const committed = commitPoint >= 0 && n > commitPoint + 1; // step n is calls[n - 1]
        // Before the commit point the old config is intact; after it, the new one is complete.
        expect(after, `${counter.calls[n - 1]}`).to.deep.equal((committed ? expectedNew : oldView));
        // a re-run (no fault) completes
        const l2 = committed ? loadSysroot(dir).deployments : op.list(loadSysroot(dir));
        writeDeployments(dir, l2, { fs: faultyFs(), bootFiles: kernelFiles(l2, kernel) });
        expect(bootView(dir)).to.deep.equal(expectedNew);
      }
    });
  }

  it('the sysroot after crashes and re-runs still reads in real ostree admin status', function () {
    needCommand(this, 'ostree');
    const r = runPeer('ostree', ['admin', 'status', `--sysroot=${tmp.path}/crash`]);
    expect(r.status, r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^ {2}testos [0-9a-f]{64}\.0\n/);
    expect(readFileSync(`${tmp.path}/crash/boot/ostree/testos-${'a0'.repeat(32)}/initramfs-6.1.0.img`, 'utf8')).to.contain('initramfs of');
  });
});

