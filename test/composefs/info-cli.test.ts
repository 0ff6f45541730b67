/**
 * `cfskit info` as a whole process (composefs-image.md §4.2): stdout bytes of each command on C images,
 * missing-objects against a real basedir, measure-file against the real `fsverity digest`,
 * and the argument and load errors (exit 1, a message naming the file, no crash).
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { printDump } from '../../src/composefs/dumpfile/print.js';
import { readImage } from '../../src/composefs/erofs/reader.js';
import { collectObjects, lsChunks, sortedObjects } from '../../src/composefs/listing.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { VECTOR_DIR } from './vectors.js';
import { cliArgv } from '../helpers/cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));

function cfskit(args: string[], shell?: string) {
  const argv = [process.execPath, ...cliArgv(), 'info', ...args];
  const r = shell
    ? spawnSync('sh', ['-c', `${argv.map((a) => `'${a}'`).join(' ')} ${shell}`], { cwd: REPO, maxBuffer: 1 << 28 })
    : spawnSync(argv[0], argv.slice(1), { cwd: REPO, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

const objectsOf = (...images: Uint8Array[]): Uint8Array[] => {
  const map = new Map<string, Uint8Array>();
  for (const image of images) collectObjects(readImage(image), map);
  return sortedObjects(map.values());
};
const lines = (objects: Uint8Array[]): Buffer => Buffer.concat(objects.flatMap((o) => [o, Buffer.from('\n')]));

describe('cfskit info (whole process)', function () {
  this.timeout(300000);
  let dir: string;
  let img1: string;
  let img2: string;
  let bytes1: Uint8Array;
  let bytes2: Uint8Array;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfskit-info-'));
    bytes1 = gunzipSync(readFileSync(join(VECTOR_DIR, 'random/rand-0028.v0.cfs.gz')));
    bytes2 = gunzipSync(readFileSync(join(VECTOR_DIR, 'random/rand-0069.v1.cfs.gz')));
    img1 = join(dir, 'a.cfs');
    img2 = join(dir, 'b.cfs');
    writeFileSync(img1, bytes1);
    writeFileSync(img2, bytes2);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('dump and ls print each image in turn', () => {
    const dump = cfskit(['dump', img1, img2]);
    expect(dump.stderr).to.equal('');
    expect(dump.status).to.equal(0);
    expect(Buffer.compare(dump.stdout, Buffer.concat([printDump(readImage(bytes1)), printDump(readImage(bytes2))]))).to.equal(0);
    const ls = cfskit(['ls', img1]);
    expect(ls.status).to.equal(0);
    expect(Buffer.compare(ls.stdout, Buffer.concat([...lsChunks(readImage(bytes1))]))).to.equal(0);
  });

  it('objects: the union over the images, sorted, once each', () => {
    const all = objectsOf(bytes1, bytes2);
    expect(all.length).to.be.greaterThan(objectsOf(bytes1).length);
    const r = cfskit(['objects', img1, img2]);
    expect(r.status).to.equal(0);
    expect(Buffer.compare(r.stdout, lines(all))).to.equal(0);
  });

  it('missing-objects: those not present under --basedir (stat follows symlinks)', () => {
    const all = objectsOf(bytes1);
    expect(all.length).to.be.greaterThan(4);
    const store = join(dir, 'store');
    const missing: Uint8Array[] = [];
    all.forEach((object, i) => {
      const path = join(store, Buffer.from(object).toString('latin1'));
      mkdirSync(join(path, '..'), { recursive: true });
      if (i % 4 === 0) writeFileSync(path, 'x'); // present
      else if (i % 4 === 1) mkdirSync(path); // present: any file type counts
      else if (i % 4 === 2) symlinkSync(join(store, 'nowhere'), path), missing.push(object); // dangling
      else missing.push(object); // absent
    });
    const r = cfskit(['missing-objects', `--basedir=${store}`, img1]);
    expect(r.stderr).to.equal('');
    expect(Buffer.compare(r.stdout, lines(missing))).to.equal(0);
    // Without --basedir every object is reported; --basedir must name a directory.
    expect(Buffer.compare(cfskit(['missing-objects', img1]).stdout, lines(all))).to.equal(0);
    const bad = cfskit(['missing-objects', '--basedir', join(dir, 'nope'), img1]);
    expect(bad.status).to.equal(1);
    expect(bad.stderr).to.contain("Can't open basedir");
  });

  it('measure-file prints the fs-verity digest as fsverity digest computes it', function () {
    needCommand(this, 'fsverity');
    const empty = join(dir, 'empty');
    writeFileSync(empty, '');
    const r = cfskit(['measure-file', img1, empty]);
    expect(r.status).to.equal(0);
    const want = [img1, empty].map((f) => runPeer('fsverity', ['digest', '--compact', f]).stdout.toString().trim());
    expect(r.stdout.toString()).to.equal(want.map((h) => `${h}\n`).join(''));
    // C libcomposefs's userspace value for an empty file (composefs-image.md §1.6), on request.
    expect(cfskit(['measure-file', '--c-empty-digest', empty]).stdout.toString()).to.equal(
      'cfc3391077edfd51859f6e5e16e03f82b1da3ee1a35d418b0d0b3b57740b4405\n',
    );
  });

  it('refuses bad arguments and bad images with exit 1 and a message naming the problem', () => {
    const notImage = join(dir, 'not-an-image');
    writeFileSync(notImage, Buffer.alloc(8192, 1));
    const cases: [string[], RegExp][] = [
      [[], /No command specified/],
      [['frob', img1], /Unknown command 'frob'/],
      [['dump'], /No image path specified/],
      [['measure-file'], /No files specified/],
      [['dump', join(dir, 'missing.cfs')], /missing\.cfs: Failed to open/],
      [['dump', notImage], /not-an-image:offset 0: header\.magic: not a composefs image/],
      [['dump', '--filter=a/b', img1], /Filter must be a single name: a\/b/],
      [['dump', '--bogus', img1], /bogus/],
    ];
    for (const [args, message] of cases) {
      const r = cfskit(args);
      // An unknown option is a refused argument vector: exit 2 (src/cli/args.ts).
      expect(r.status, args.join(' ')).to.equal(args.includes('--bogus') ? 2 : 1);
      expect(r.stderr, args.join(' ')).to.match(message);
      expect(r.stderr, args.join(' ')).not.to.contain('internal error');
    }
  });

  it('stops quietly when the reader closes the pipe', () => {
    const r = cfskit(['dump', img1, img1, img1, img1], '| head -c 10');
    expect(r.stdout.length).to.equal(10);
    expect(r.stderr).to.equal('');
  });
});
