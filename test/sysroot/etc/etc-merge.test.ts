/** Our /etc merge on the rows of etc-merge-rows.ts, plus the attribute sidecar. */
import { expect } from 'chai';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { ETC_ATTRS_NAME, parseEtcAttrs } from '../../../src/sysroot/etc/etc-attrs.js';
import { buildDeploymentEtc } from '../../../src/sysroot/etc/etc-merge.js';
import { ROWS } from './etc-merge-rows.js';
import { D, F, buildTree, describeEtc } from './etc-tree.js';
import { tempDir } from '../helpers.js';

describe('sysroot /etc 3-way merge (ostree merge_configuration_from)', () => {
  const tmp = tempDir();
  after(tmp.remove);
  let n = 0;

  for (const row of ROWS) {
    it(row.name, function () {
      if (row.root && process.getuid?.() !== 0) {
        console.log('      (skipped: chown needs root)');
        this.skip();
      }
      const oldDeploy = `${tmp.path}/${++n}-old`;
      const newDeploy = `${tmp.path}/${n}-new`;
      mkdirSync(oldDeploy);
      mkdirSync(newDeploy);
      const orig = buildTree(row.orig);
      buildDeploymentEtc({ newDefaults: orig, deployDir: oldDeploy });
      row.local(`${oldDeploy}/etc`);
      const run = () => buildDeploymentEtc({ newDefaults: buildTree(row.next), deployDir: newDeploy, merge: { oldDefaults: orig, deployDir: oldDeploy } });
      if (row.expect instanceof RegExp) {
        expect(run).to.throw(row.expect);
        return;
      }
      const result = run();
      const got = describeEtc(`${newDeploy}/etc`);
      for (const [p, want] of Object.entries(row.expect)) {
        if (want === null) expect(got, p).to.not.have.property(p);
        else expect(got[p], p).to.equal(want);
      }
      expect(Object.keys(got).filter((k) => k.includes('.cfskit-tmp'))).to.deep.equal([]);
      if (row.counts) expect([result.modified.length, result.removed.length, result.added.length]).to.deep.equal(row.counts);
    });
  }

  it(`has at least 15 rows (${ROWS.length})`, () => expect(ROWS.length).to.be.at.least(15));

  it('without chown, ownership and xattrs go to the sidecar and the next merge reads them back', () => {
    const orig = buildTree({ shadow: F('s', 0o640, 0, 42), d: D({ k: { kind: 'f', content: 'k', mode: 0o600, uid: 1000, gid: 1000, xattr: ['security.selinux', 'system_u:object_r:etc_t:s0'] } }, 0o555, 1000, 1000) });
    const oldDeploy = `${tmp.path}/side-old`;
    const newDeploy = `${tmp.path}/side-new`;
    mkdirSync(oldDeploy);
    mkdirSync(newDeploy);
    buildDeploymentEtc({ newDefaults: orig, deployDir: oldDeploy, chown: false });
    const table = parseEtcAttrs(readFileSync(`${oldDeploy}/${ETC_ATTRS_NAME}`), 'sidecar');
    const uid = process.getuid?.() ?? 0;
    expect(table.get('shadow')).to.include({ uid: 0, gid: 42, mode: 0o640 });
    expect(table.get('d')).to.include({ uid: 1000, gid: 1000, mode: 0o555, diskMode: 0o755, diskUid: uid });
    expect(Buffer.from(table.get('d/k')!.xattrs[0].value).toString()).to.equal('system_u:object_r:etc_t:s0');
    // nothing changed locally: the sidecar makes the old etc/ equal its defaults, so no change is seen
    const r = buildDeploymentEtc({ newDefaults: orig, deployDir: newDeploy, merge: { oldDefaults: orig, deployDir: oldDeploy }, chown: false });
    expect([r.modified, r.removed, r.added]).to.deep.equal([[], [], []]);
    expect(readFileSync(`${newDeploy}/${ETC_ATTRS_NAME}`, 'utf8')).to.equal(readFileSync(`${oldDeploy}/${ETC_ATTRS_NAME}`, 'utf8'));
    // a chmod on the running system makes the disk win for that entry
    chmodSync(`${newDeploy}/etc/shadow`, 0o600);
    const third = `${tmp.path}/side-third`;
    mkdirSync(third);
    const r2 = buildDeploymentEtc({ newDefaults: orig, deployDir: third, merge: { oldDefaults: orig, deployDir: newDeploy }, chown: false });
    expect(r2.modified).to.deep.equal(['shadow']);
  });

  it('an xattr-only change (recorded in the sidecar) is not a modification: the new default wins', () => {
    const orig = buildTree({ a: F('1') });
    const oldDeploy = `${tmp.path}/x-old`;
    const newDeploy = `${tmp.path}/x-new`;
    mkdirSync(oldDeploy);
    mkdirSync(newDeploy);
    buildDeploymentEtc({ newDefaults: orig, deployDir: oldDeploy });
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    writeFileSync(`${oldDeploy}/${ETC_ATTRS_NAME}`, `a 0 0 644 ${uid} ${gid} 644 user.label=x\n`);
    const r = buildDeploymentEtc({ newDefaults: buildTree({ a: F('2') }), deployDir: newDeploy, merge: { oldDefaults: orig, deployDir: oldDeploy } });
    expect(r.modified).to.deep.equal([]);
    expect(readFileSync(`${newDeploy}/etc/a`, 'utf8')).to.equal('2');
    expect(readFileSync(`${newDeploy}/${ETC_ATTRS_NAME}`, 'utf8')).to.equal('');
  });
});
