import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync, ftruncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { needCommand, runPeer } from '../helpers/peers.js';
import { ruleContent } from './content.js';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const tsxLoader = pathToFileURL(join(repo, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href;
/** The bound the benchmark's 1 GiB runs stay well under. */
const PEAK_RSS_LIMIT_KIB = 200 * 1024;

describe('fs-verity of a file over 1 GiB in bounded memory', function () {
  let dir: string;
  let file: string;
  let want: string;
  before(function () {
    needCommand(this, 'fsverity');
    dir = mkdtempSync(join(tmpdir(), 'cfskit-fsverity-big-'));
    file = join(dir, 'big');
    // sparse, with 1 MiB of patterned data every 96 MiB and an odd tail, so most tree blocks differ
    const fd = openSync(file, 'w');
    const size = (1 << 30) + 12345;
    ftruncateSync(fd, size);
    for (let pos = 0, i = 0; pos < size; pos += 96 << 20, i++) writeSync(fd, ruleContent(1 << 20, i), 0, 1 << 20, pos);
    writeSync(fd, ruleContent(12345, 99), 0, 12345, size - 12345);
    closeSync(fd);
    const peer = runPeer('fsverity', ['digest', file]);
    expect(peer.status, peer.stderr).to.equal(0);
    want = peer.stdout.split(' ')[0];
  });
  after(() => dir && rmSync(dir, { recursive: true, force: true }));

  for (const mode of ['file', 'stream']) {
    it(`digest${mode === 'file' ? 'File (workers)' : 'Stream (fs.createReadStream)'}: the right digest, peak RSS < 200 MiB`, () => {
      const r = spawnSync(process.execPath, ['--import', tsxLoader, join(repo, 'test', 'fsverity', 'rss-child.ts'), mode, file], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).to.equal(0);
      const { text, vmHwmKiB } = JSON.parse(r.stdout) as { text: string; vmHwmKiB: number };
      expect(text).to.equal(want);
      console.log(`      peak RSS ${(vmHwmKiB / 1024).toFixed(0)} MiB`);
      expect(vmHwmKiB).to.be.below(PEAK_RSS_LIMIT_KIB);
    });
  }
});
