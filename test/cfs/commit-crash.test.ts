import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitImage, type CommitMetadata } from '../../src/cfs/commit-image.js';
import { fsckRepo } from '../../src/cfs/fsck.js';
import { loadTarLayers } from '../../src/composefs/sources/tar.js';
import type { Fs } from '../../src/io/fs.js';
import { readCommit } from '../../src/ostree/commit.js';
import { readRef } from '../../src/ostree/refs.js';
import { initRepo, openRepo } from '../../src/ostree/repo.js';
import { saveConfig } from '../../src/remote/config.js';
import { commitImageDigest } from '../../src/sysroot/cfs-image.js';
import { hasCommand, needCommand, runPeer } from '../helpers/peers.js';
import { InjectedFault, faultyFs } from '../sysroot/faulty-fs.js';
import { tempDir } from '../sysroot/helpers.js';

const BRANCH = 'os/stable';

/** A tar layer of `files` (path → bytes), made by tar(1). */
function tarOf(dir: string, files: Record<string, string | Uint8Array>): string {
  rmSync(dir, { recursive: true, force: true });
  for (const [rel, data] of Object.entries(files)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), data);
  }
  const out = `${dir}.tar`;
  const r = spawnSync('tar', ['-C', dir, '--sort=name', '--owner=0', '--group=0', '--mtime=@1700000000', '-cf', out, '.']);
  expect(r.status, r.stderr?.toString()).to.equal(0);
  return out;
}

/** Every leftover of an unfinished write under `root`: temp files of the temp-name scheme and ostree's NAME.tmp. */
function temps(root: string): string[] {
  return (readdirSync(root, { recursive: true, encoding: 'utf8' }) as string[])
    .filter((rel) => /(^|\/)\.cfskit-tmp\.|\.tmp$/.test(rel));
}

describe('commitImage: a failure at every write of a commit leaves the repository consistent; a re-run completes', function () {
  this.timeout(900_000);
  const tmp = tempDir('cfskit-commit-crash-', true);
  after(tmp.remove);
  const base = `${tmp.path}/base`;
  let layer: string;
  let first: string;
  const meta = (): CommitMetadata => ({ branch: BRANCH, subject: 'v2', version: '2', timestamp: 1700000100n });
  const commit = (path: string, layerPath: string, fs?: Fs, m: CommitMetadata = meta()) =>
    commitImage({ ...openRepo(path), fs }, { load: (store) => loadTarLayers([layerPath], { store }) }, m);

  before(async () => {
    const repo = initRepo(base, 'bare-user');
    repo.config.setValue('core', 'auto-update-summary', 'true');
    saveConfig(repo);
    const shared = 'shared between versions\n'.repeat(200);
    const v1 = tarOf(`${tmp.path}/v1`, { 'usr/bin/tool': shared, 'etc/motd': 'v1\n' });
    first = (await commit(base, v1, undefined, { branch: BRANCH, subject: 'v1', timestamp: 1700000000n })).checksum;
    // v2: a file v1 stored already, new small files, an inline one and one streamed past the in-memory limit
    layer = tarOf(`${tmp.path}/v2`, {
      'usr/bin/tool': shared,
      'usr/lib/a.so': 'library a\n'.repeat(500),
      'usr/lib/b.so': 'library b\n'.repeat(700),
      'usr/share/big.dat': new Uint8Array(1536 * 1024).map((_, i) => (i * 7) & 0xff),
      'etc/motd': 'v2\n',
    });
  });

  it('every write step: fsck clean, the ref unchanged or on the new commit, no temp file left after a re-run', async function () {
    const ostree = hasCommand('ostree');
    if (!ostree) needCommand(this, 'ostree');
    const dry = `${tmp.path}/dry`;
    cpSync(base, dry, { recursive: true, verbatimSymlinks: true });
    const counter = faultyFs();
    const expected = await commit(dry, layer, counter);
    const steps = counter.calls.length;
    console.log(`      (${steps} write steps, each failed once)`);
    // objects, the image, its images/ link, commit objects, the ref and the summary all go through the Fs
    for (const what of ['cfs/objects/', 'cfs/images/', 'objects/', 'refs/heads/os/stable', 'summary']) {
      expect(counter.calls.some((c) => c.includes(`/${what}`)), what).to.equal(true);
    }
    expect(steps).to.be.at.least(30);
    for (let n = 1; n <= steps; n++) {
      const dir = `${tmp.path}/crash`;
      rmSync(dir, { recursive: true, force: true });
      cpSync(base, dir, { recursive: true, verbatimSymlinks: true });
      const step = `step ${n}: ${counter.calls[n - 1]}`;
      let thrown: unknown;
      try {
        await commit(dir, layer, faultyFs(n));
      } catch (e) {
        thrown = e;
      }
      expect(thrown, step).to.be.instanceOf(InjectedFault);
      expect([first, expected.checksum], step).to.include(readRef(openRepo(dir), BRANCH));
      expect(await fsckRepo(openRepo(dir)), step).to.deep.equal([]);
      if (ostree) expect(runPeer('ostree', ['fsck', `--repo=${dir}`]).status, `${step}: ostree fsck`).to.equal(0);

      const again = await commit(dir, layer);
      const repo = openRepo(dir);
      expect(readRef(repo, BRANCH), `${step} (re-run)`).to.equal(again.checksum);
      expect(commitImageDigest(readCommit(repo, again.checksum).commit), `${step} (re-run)`).to.equal(expected.digest);
      expect(await fsckRepo(repo), `${step} (re-run)`).to.deep.equal([]);
      expect(temps(dir), `${step} (re-run): temp files`).to.deep.equal([]);
    }
    if (ostree) expect(runPeer('ostree', ['fsck', `--repo=${tmp.path}/crash`]).status).to.equal(0);
  });
});
