/**
 * Oracle test for the /etc merge: every row of etc-merge-rows.ts goes through real
 * `ostree admin deploy` (2022.7): a commit with the old usr/etc deployed with --no-merge, the local
 * changes applied to its etc/, a commit with the new usr/etc deployed with the merge. Our merge,
 * run on the same old etc/ and trees, must produce the same etc/ (or fail the same way).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { chmodSync, lchownSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { buildDeploymentEtc } from '../../../src/sysroot/etc/etc-merge.js';
import { needCommand } from '../../helpers/peers.js';
import { ROWS } from './etc-merge-rows.js';
import { type Spec, buildTree, describeEtc } from './etc-tree.js';
import { tempDir } from '../helpers.js';

function writeSpec(dir: string, spec: Spec): void {
  for (const [name, e] of Object.entries(spec)) {
    const p = `${dir}/${name}`;
    if (e.kind === 'f') {
      writeFileSync(p, e.content);
      chmodSync(p, e.mode);
      lchownSync(p, e.uid, e.gid);
    } else if (e.kind === 'd') {
      mkdirSync(p);
      writeSpec(p, e.children);
      chmodSync(p, e.mode);
      lchownSync(p, e.uid, e.gid);
    } else symlinkSync(e.target, p);
  }
}

const env = { ...process.env, OSTREE_SYSROOT_DEBUG: 'mutable-deployments' };
function ostree(args: string[]) {
  const r = spawnSync('ostree', args, { env, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

describe('sysroot /etc merge equals real ostree admin deploy on every table row', function () {
  const tmp = tempDir('cfskit-etc-oracle-', true);
  after(tmp.remove);
  const sysroot = `${tmp.path}/sysroot`;
  let n = 0;

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: committing trees with their owners needs root)');
      this.skip();
    }
    needCommand(this, 'ostree');
    mkdirSync(sysroot);
    expect(ostree(['admin', 'init-fs', sysroot]).status).to.equal(0);
    expect(ostree(['admin', 'os-init', 'testos', `--sysroot=${sysroot}`]).status).to.equal(0);
  });

  /** Commits a bootable tree whose usr/etc is `spec`; deploys it; returns the deployment dir. */
  function commitAndDeploy(spec: Spec, merge: boolean): { dir?: string; status: number | null; out: string } {
    const tree = `${tmp.path}/tree-${++n}`;
    mkdirSync(`${tree}/usr/etc`, { recursive: true });
    mkdirSync(`${tree}/usr/lib/modules/6.1.0`, { recursive: true });
    writeFileSync(`${tree}/usr/lib/modules/6.1.0/vmlinuz`, 'a kernel\n');
    writeFileSync(`${tree}/usr/lib/os-release`, 'ID=testos\n');
    writeSpec(`${tree}/usr/etc`, spec);
    const ref = `t${n}`;
    const c = ostree(['commit', `--repo=${sysroot}/ostree/repo`, '-b', ref, `--tree=dir=${tree}`]);
    expect(c.status, c.out).to.equal(0);
    const csum = ostree(['rev-parse', `--repo=${sysroot}/ostree/repo`, ref]).out.trim();
    const d = ostree(['admin', 'deploy', `--sysroot=${sysroot}`, '--os=testos', ...(merge ? [] : ['--no-merge']), ref]);
    const deployDir = `${sysroot}/ostree/deploy/testos/deploy`;
    const name = readdirSync(deployDir).filter((x) => x.startsWith(`${csum}.`) && !x.endsWith('.origin')).sort().pop();
    return { dir: d.status === 0 && name ? `${deployDir}/${name}` : undefined, status: d.status, out: d.out };
  }

  for (const row of ROWS) {
    it(row.name, () => {
      const v1 = commitAndDeploy(row.orig, false);
      expect(v1.status, v1.out).to.equal(0);
      row.local(`${v1.dir}/etc`);
      const old = `${tmp.path}/old-${n}`;
      mkdirSync(old);
      // cp -a keeps owners (node's cpSync does not)
      expect(spawnSync('cp', ['-a', `${v1.dir}/etc`, `${old}/etc`]).status).to.equal(0);
      const v2 = commitAndDeploy(row.next, true);
      const ours = `${tmp.path}/ours-${n}`;
      mkdirSync(ours);
      const run = () => buildDeploymentEtc({ newDefaults: buildTree(row.next), deployDir: ours, merge: { oldDefaults: buildTree(row.orig), deployDir: old } });
      if (row.expect instanceof RegExp) {
        expect(v2.status, v2.out).to.not.equal(0);
        expect(v2.out).to.match(row.expect);
        expect(run).to.throw(row.expect);
        return;
      }
      expect(v2.status, v2.out).to.equal(0);
      const r = run();
      expect(describeEtc(`${ours}/etc`)).to.deep.equal(describeEtc(`${v2.dir}/etc`));
      expect(v2.out).to.contain(`Copying /etc changes: ${r.modified.length} modified, ${r.removed.length} removed, ${r.added.length} added`);
    });
  }
});
