/**
 * admin cleanup reclaims the temp files a killed process left in a sysroot (src/sysroot/temps.ts):
 * the sysroot lock's holder file in ostree/, an origin being written in deploy/; a live
 * process's temp file stays.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cleanup } from '../../src/sysroot/cleanup.js';
import { paths } from '../../src/sysroot/layout.js';
import { tempPath } from '../../src/io/temp-name.js';
import { makeSysroot, STATEROOT } from './deploy/fixture.js';
import { tempDir } from './helpers.js';

describe('admin cleanup: temp files of killed processes', () => {
  const tmp = tempDir();
  after(tmp.remove);

  it('removes dead processes\' temp files in ostree/ and deploy/, keeps a live one', async () => {
    const sysroot = `${tmp.path}/s`;
    makeSysroot(sysroot);
    mkdirSync(paths.deployDir(sysroot, STATEROOT), { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    const lockTemp = `${sysroot}/ostree/.cfskit-tmp.${dead}.0123456789ab.1a`;
    const originTemp = `${paths.deployDir(sysroot, STATEROOT)}/.cfskit-tmp.${dead}.0123456789ab.2b`;
    const live = tempPath(paths.deployDir(sysroot, STATEROOT));
    for (const p of [lockTemp, originTemp, live]) writeFileSync(p, 'x');
    const r = await cleanup(sysroot);
    expect(r.removed).to.include.members([lockTemp, originTemp].map((p) => p.slice(sysroot.length + 1)));
    expect([lockTemp, originTemp, live].map((p) => existsSync(p))).to.deep.equal([false, false, true]);
  });
});
