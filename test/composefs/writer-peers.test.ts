/**
 * Images we write, checked by real peers: `fsck.erofs` accepts them (every upstream asset and
 * 20 random vectors), and the kernel mounts them (EROFS loop mount, `ls -R` walks the tree).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDump } from '../../src/composefs/dumpfile/parse.js';
import { writeImage } from '../../src/composefs/erofs/writer.js';
import { mountErofs, needCommand, needMount, runPeer } from '../helpers/peers.js';
import { RANDOM_VARIANTS, randomVectors, upstreamAssets } from './vectors.js';

describe('EROFS writer: peers', function () {
  this.timeout(300000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-erofs-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  function writeFile(name: string, dump: Uint8Array, strict: boolean, opts = {}): string {
    const file = join(dir, name);
    writeFileSync(file, writeImage(parseDump(dump, { strict }), opts).image);
    return file;
  }

  it('fsck.erofs accepts every upstream image and 20 random ones', function () {
    needCommand(this, 'fsck.erofs');
    const files: string[] = [];
    for (const a of upstreamAssets()) {
      const v = a.version === undefined ? {} : { minVersion: a.version, maxVersion: a.version };
      files.push(writeFile(`${a.name}.cfs`, a.dump, a.strict, v));
    }
    const random = randomVectors().filter((r) => r.expect.every((e) => 'sha256' in e)).slice(0, 20);
    random.forEach((r, i) => files.push(writeFile(`${r.name}.cfs`, r.dump, true, RANDOM_VARIANTS[i % 2])));
    expect(files.length).to.be.at.least(30);
    for (const f of files) {
      const r = runPeer('fsck.erofs', [f]);
      expect(r.status, `${f}: ${r.stdout}${r.stderr}`).to.equal(0);
    }
  });

  it('the kernel mounts our images and ls -R walks them', function () {
    needMount(this);
    for (const name of ['special.dump', 'config.dump.gz']) {
      const a = upstreamAssets().find((x) => x.name === name)!;
      const img = writeFile(`mount-${name}.cfs`, a.dump, a.strict);
      const mnt = join(dir, `mnt-${name}`);
      mkdirSync(mnt);
      const unmount = mountErofs(img, mnt);
      try {
        const ls = spawnSync('ls', ['-R', mnt], { maxBuffer: 1 << 26 });
        expect(ls.status, ls.stderr.toString()).to.equal(0);
        const listing = ls.stdout.toString();
        const root = parseDump(a.dump, { strict: a.strict });
        for (const c of root.children!) expect(listing).to.contain(new TextDecoder().decode(c.name));
        // The 00..ff whiteout stubs are there too.
        expect(listing).to.match(/\n00\n/).and.to.match(/\nff\n/);
      } finally {
        unmount();
      }
    }
  });
});
