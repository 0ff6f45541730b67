/**
 * The booted side (issue 18) with a fake running system: the test sysroot is the running root, a
 * fake /run holds `ostree-booted`, a fake /proc/cmdline the kernel command line (BootedEnv).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { CfsError } from '../../src/errors.js';
import { decode, encode, lookup, type VarDict } from '../../src/formats/gvariant.js';
import { BACKING_ROOT_KEY, type BootedEnv } from '../../src/sysroot/booted.js';
import { cleanup } from '../../src/sysroot/cleanup.js';
import { deploy } from '../../src/sysroot/deploy.js';
import { type Deployment, deploymentPath, loadSysroot } from '../../src/sysroot/deployments.js';
import { rollback, undeploy } from '../../src/sysroot/operations.js';
import { status } from '../../src/sysroot/status-of.js';
import { finalizeStaged } from '../../src/sysroot/finalize.js';
import { verify } from '../../src/sysroot/verify.js';
import { needMount } from '../helpers/peers.js';
import { InjectedFault, faultyFs } from './faulty-fs.js';
import { STATEROOT, commitVersion, makeSysroot } from './deploy/fixture.js';
import { tempDir } from './helpers.js';

/** A marker with `backing-root-device-inode` = (dev, ino) of `dir`, as prepare-root writes it. */
function markerFor(dir: string): Uint8Array {
  const st = statSync(dir, { bigint: true });
  const dict: VarDict = [[BACKING_ROOT_KEY, { type: '(tt)', value: [st.dev, st.ino] }], ['composefs', { type: 'b', value: true }]];
  return encode('a{sv}', dict, 'le');
}

function refusal(fn: () => unknown): Promise<CfsError> {
  return Promise.resolve().then(fn).then(
    () => { throw new Error('expected a refusal'); },
    (e: unknown) => {
      if (!(e instanceof CfsError)) throw e;
      return e;
    },
  );
}

describe('the booted system: which deployment runs, and what may not touch it', function () {
  this.timeout(60_000);
  const tmp = tempDir('cfskit-booted-', true);
  after(tmp.remove);
  let sysroot: string;
  let env: BootedEnv;
  /** [index 0 = version 2 (pending), index 1 = version 1 (booted)] */
  let list: Deployment[];

  beforeEach(async () => {
    rmSync(`${tmp.path}/case`, { recursive: true, force: true });
    sysroot = `${tmp.path}/case/sysroot`;
    makeSysroot(sysroot);
    const run = `${tmp.path}/case/run`;
    mkdirSync(run);
    env = { root: sysroot, run, cmdline: `${tmp.path}/case/cmdline` };
    await commitVersion(sysroot, `${tmp.path}/case`, '1.0');
    const first = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, kargs: ['root=LABEL=rootfs'] });
    writeFileSync(`${sysroot}/${first.dir}/etc/hostname`, 'booted-host\n');
    await commitVersion(sysroot, `${tmp.path}/case`, '2.0');
    const second = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable` });
    writeFileSync(`${sysroot}/${second.dir}/etc/hostname`, 'pending-host\n');
    list = loadSysroot(sysroot).deployments;
    writeFileSync(`${run}/ostree-booted`, markerFor(deploymentPath(sysroot, list[1])));
  });

  it('backing-root-device-inode names the running deployment: status marks it *, the other pending', () => {
    const s = status(sysroot, undefined, env);
    const [pending, booted] = s.text.split('\n').filter((l) => !l.startsWith(' '.repeat(4)));
    expect(pending).to.equal(`  ${STATEROOT} ${list[0].csum}.0 (pending)`);
    expect(booted).to.equal(`* ${STATEROOT} ${list[1].csum}.0`);
    expect(s.deployments.map((d) => [d.booted, d.pending, d.rollback])).to.deep.equal([[false, true, false], [true, false, false]]);
    // the same sysroot seen from outside (the host's /run, --sysroot not /) is not booted
    expect(status(sysroot).text).to.not.match(/^\*/m);
  });

  it('no /run/ostree-booted, or a sysroot that is not the running root: nothing is booted', () => {
    expect(loadSysroot(sysroot, undefined, { ...env, root: tmp.path }).booted).to.equal(undefined);
    rmSync(`${env.run}/ostree-booted`);
    expect(loadSysroot(sysroot, undefined, env).booted).to.equal(undefined);
  });

  it('an empty marker (ostree 2022.7) and no match of / : the ostree= of the kernel command line decides', () => {
    writeFileSync(`${env.run}/ostree-booted`, '');
    const options = list[1].entry.options!;
    writeFileSync(env.cmdline, `BOOT_IMAGE=/vmlinuz ${options} quiet\n`);
    const state = loadSysroot(sysroot, undefined, env);
    expect(state.booted?.csum).to.equal(list[1].csum);
  });

  it('a marker that names no listed deployment is the state ostree refuses ("Unexpected state")', async () => {
    writeFileSync(`${env.run}/ostree-booted`, markerFor(tmp.path));
    const e = await refusal(() => loadSysroot(sysroot, undefined, env));
    expect(e.message).to.contain(`Unexpected state: ${env.run}/ostree-booted found and in / sysroot, but bootloader entry not found`);
  });

  it('a marker that is not an a{sv} is refused with the file named', async () => {
    writeFileSync(`${env.run}/ostree-booted`, Buffer.from([1, 2, 3]));
    const e = await refusal(() => loadSysroot(sysroot, undefined, env));
    expect(e.file).to.equal(`${env.run}/ostree-booted`);
  });

  it('undeploy of the booted deployment is refused and changes nothing; the pending one can go', async () => {
    const before = readFileSync(`${sysroot}/boot/loader/entries/ostree-1-${STATEROOT}.conf`);
    const e = await refusal(() => undeploy(sysroot, 1, { env }));
    expect(e.message).to.contain('Cannot undeploy currently booted deployment 1');
    expect(readFileSync(`${sysroot}/boot/loader/entries/ostree-1-${STATEROOT}.conf`)).to.deep.equal(before);
    await undeploy(sysroot, 0, { env });
    expect(loadSysroot(sysroot, undefined, env).deployments.map((d) => d.csum)).to.deep.equal([list[1].csum]);
  });

  it('cleanup keeps the booted deployment; when no entry lists it any more, cleanup refuses and removes nothing', async () => {
    await cleanup(sysroot, { env });
    expect(existsSync(deploymentPath(sysroot, list[1]))).to.equal(true);
    // a foreign tool rewrote the boot configuration without the running deployment
    await undeploy(sysroot, 1, { noCleanup: true });
    const e = await refusal(() => cleanup(sysroot, { env }));
    expect(e.message).to.contain('Unexpected state');
    expect(existsSync(deploymentPath(sysroot, list[1]))).to.equal(true);
  });

  it('rollback on the booted system looks after the booted deployment: none there, refused', async () => {
    // booted is index 1, so there is no rollback deployment: refused as ostree's query finds none
    const e = await refusal(() => rollback(sysroot, { env }));
    expect(e.message).to.contain('no rollback deployment');
  });

  it('deploy takes the booted deployment (not the default) as the /etc merge source and keeps it', async () => {
    await commitVersion(sysroot, `${tmp.path}/case`, '3.0');
    const r = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, env });
    expect(readFileSync(`${sysroot}/${r.dir}/etc/hostname`, 'utf8')).to.equal('booted-host\n');
    const after = loadSysroot(sysroot, undefined, env);
    // ostree's simple write: [new, booted]; the unpinned pending deployment goes
    expect(after.deployments.map((d) => d.csum)).to.deep.equal([r.deployment.csum, list[1].csum]);
    expect(after.booted?.csum).to.equal(list[1].csum);
    // kernel arguments come from the merge deployment too
    expect(after.deployments[0].entry.options).to.contain('root=LABEL=rootfs');
  });

  it('with the root bound over the deployment directory (what prepare-root does), stat of / finds it (ostree 2022.7)', async function () {
    needMount(this);
    writeFileSync(`${env.run}/ostree-booted`, '');
    const dir = deploymentPath(sysroot, list[1]);
    // the running root has an /etc; its directory no longer shows the deployment's .ostree.cfs
    mkdirSync(`${sysroot}/etc`);
    const bind = spawnSync('mount', ['--bind', sysroot, dir]);
    expect(bind.status, bind.stderr.toString()).to.equal(0);
    try {
      expect(loadSysroot(sysroot, undefined, env).booted?.csum).to.equal(list[1].csum);
      expect(existsSync(`${dir}/.ostree.cfs`)).to.equal(false);
      // verify reads the running deployment's image as the stateroot's copy
      expect((await verify(sysroot, { env })).problems).to.deep.equal([]);
      expect((await verify(sysroot)).problems.map((p) => p.reason)).to.include(`.ostree.cfs is missing in ${list[1].csum}.0`);
    } finally {
      spawnSync('umount', [dir]);
    }
  });

  describe('staged deployments', () => {
    const entriesOf = () => {
      const dir = `${sysroot}/boot/loader/entries`;
      return readdirSync(dir).sort().map((n) => readFileSync(`${dir}/${n}`, 'utf8'));
    };

    it('deploy --stage writes the deployment and /run/ostree/staged-deployment, no boot entry; status shows it staged', async () => {
      const entries = entriesOf();
      await commitVersion(sysroot, `${tmp.path}/case`, '3.0');
      const r = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, env, stage: true });
      expect(entriesOf()).to.deep.equal(entries);
      const state = decode('a{sv}', readFileSync(`${env.run}/ostree/staged-deployment`), 'le') as VarDict;
      expect(lookup(state, 'target')).to.deep.equal({ type: 'a{sv}', value: [
        ['name', { type: 's', value: `${r.deployment.csum}.0` }], ['osname', { type: 's', value: STATEROOT }],
        ['bootcsum', { type: 's', value: r.deployment.bootcsum }],
      ] });
      expect((lookup(state, 'merge-deployment')!.value as VarDict)[0]).to.deep.equal(['name', { type: 's', value: `${list[1].csum}.0` }]);
      expect(lookup(state, 'kargs')).to.deep.equal({ type: 'as', value: ['root=LABEL=rootfs', `composefs=${r.digest}`] });
      const s = status(sysroot, undefined, env);
      expect(s.text.split('\n')[0]).to.equal(`  ${STATEROOT} ${r.deployment.csum}.0 (staged)`);
      expect(s.deployments.map((d) => [d.staged, d.booted, d.pending])).to.deep.equal([[true, false, false], [false, false, true], [false, true, false]]);
      // cleanup keeps what the staged deployment needs
      const removed = (await cleanup(sysroot, { env })).removed;
      expect(removed.filter((p) => p.includes(r.deployment.csum) || p.includes(r.deployment.bootcsum))).to.deep.equal([]);
    });

    it('finalize-staged merges the /etc of that moment and makes it the default; the old default stays until then', async () => {
      await commitVersion(sysroot, `${tmp.path}/case`, '3.0');
      const r = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, env, stage: true });
      writeFileSync(`${deploymentPath(sysroot, list[1])}/etc/hostname`, 'changed-after-staging\n');
      expect(loadSysroot(sysroot, undefined, env).deployments.filter((d) => !d.staged)[0].csum).to.equal(list[0].csum);
      const f = await finalizeStaged(sysroot, { env });
      expect(f.finalized?.csum).to.equal(r.deployment.csum);
      expect(existsSync(`${env.run}/ostree/staged-deployment`)).to.equal(false);
      expect(readFileSync(`${sysroot}/${r.dir}/etc/hostname`, 'utf8')).to.equal('changed-after-staging\n');
      const after = loadSysroot(sysroot, undefined, env);
      expect(after.deployments.map((d) => [d.csum, d.staged === true])).to.deep.equal([[r.deployment.csum, false], [list[1].csum, false]]);
      expect(after.deployments[0].entry.options).to.equal(`root=LABEL=rootfs composefs=${r.digest} ostree=${after.deployments[0].entry.options!.split('ostree=')[1]}`);
      expect((await verify(sysroot)).problems).to.deep.equal([]);
      expect(await finalizeStaged(sysroot, { env })).to.deep.equal({});
    });

    it('a reboot before finalization (the state in /run is gone) keeps the old default; cleanup removes the staged directory', async () => {
      const entries = entriesOf();
      await commitVersion(sysroot, `${tmp.path}/case`, '3.0');
      const r = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, env, stage: true });
      rmSync(`${env.run}/ostree`, { recursive: true });
      expect(entriesOf()).to.deep.equal(entries);
      expect(loadSysroot(sysroot, undefined, env).deployments.map((d) => d.csum)).to.deep.equal(list.map((d) => d.csum));
      await cleanup(sysroot, { env });
      expect(existsSync(`${sysroot}/${r.dir}`)).to.equal(false);
    });

    it('the CLI on a system that is not booted: --stage refused in one line (exit 1), finalize-staged finds nothing', function () {
      if (existsSync('/run/ostree-booted')) this.skip();
      const cli = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'admin', ...args, `--sysroot=${sysroot}`], { encoding: 'utf8' });
      const staged = cli('deploy', `--os=${STATEROOT}`, '--stage', `${STATEROOT}/stable`);
      expect(staged.stderr).to.match(/^cfskit admin: [^\n]*Cannot stage deployment: Not currently booted into an OSTree system\n$/);
      expect(staged.status).to.equal(1);
      const fin = cli('finalize-staged');
      expect([fin.status, fin.stdout]).to.deep.equal([0, 'No deployment staged for finalization\n']);
    });

    it('a crash at any write of finalize-staged leaves the old default or the new one, each bootable', async function () {
      this.timeout(600_000);
      await commitVersion(sysroot, `${tmp.path}/case`, '3.0');
      const r = await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, env, stage: true });
      const counter = faultyFs();
      const dry = copyCase('dry');
      await finalizeStaged(dry.sysroot, { env: dry.env, fs: counter });
      const steps = counter.calls.length;
      expect(steps).to.be.greaterThan(20);
      const seen = new Set<string>();
      for (let n = 1; n <= steps; n++) {
        const c = copyCase('crash');
        await finalizeStaged(c.sysroot, { env: c.env, fs: faultyFs(n) }).then(
          () => { throw new Error(`no fault at write ${n}`); },
          (e: unknown) => { if (!(e instanceof InjectedFault)) throw e; },
        );
        // after the crash: a reboot (no /run), then what boots by default
        rmSync(`${c.env.run}/ostree`, { recursive: true, force: true });
        const first = loadSysroot(c.sysroot, undefined, c.env).deployments[0].csum;
        expect([list[0].csum, r.deployment.csum], `crash at write ${n}: ${counter.calls[n - 1]}`).to.include(first);
        seen.add(first === r.deployment.csum ? 'new' : 'old');
        expect((await verify(c.sysroot, { entry: 0, quickObjects: true })).problems, `crash at write ${n}`).to.deep.equal([]);
      }
      expect([...seen].sort()).to.deep.equal(['new', 'old']);
      console.log(`      (${steps} injected faults)`);
    });

    /** A copy of the case (sysroot and /run) whose marker names the copy's booted directory. */
    function copyCase(name: string): { sysroot: string; env: BootedEnv } {
      const dir = `${tmp.path}/${name}`;
      rmSync(dir, { recursive: true, force: true });
      cpSync(`${tmp.path}/case`, dir, { recursive: true, verbatimSymlinks: true });
      const copy = { sysroot: `${dir}/sysroot`, env: { root: `${dir}/sysroot`, run: `${dir}/run`, cmdline: `${dir}/cmdline` } };
      writeFileSync(`${copy.env.run}/ostree-booted`, markerFor(deploymentPath(copy.sysroot, list[1])));
      return copy;
    }

    it('staged-deployment-locked stops finalization; staging needs a booted system', async () => {
      await commitVersion(sysroot, `${tmp.path}/case`, '3.0');
      await deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, env, stage: true });
      writeFileSync(`${env.run}/ostree/staged-deployment-locked`, '');
      const entries = entriesOf();
      expect(await finalizeStaged(sysroot, { env })).to.deep.equal({ locked: true });
      expect(entriesOf()).to.deep.equal(entries);
      rmSync(`${env.run}/ostree-booted`);
      const e = await refusal(() => deploy({ sysroot, stateroot: STATEROOT, source: `${STATEROOT}/stable`, env, stage: true }));
      expect(e.message).to.contain('Cannot stage deployment: Not currently booted into an OSTree system');
    });
  });
});
