import { expect } from 'chai';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { S_IFDIR, S_IFLNK, S_IFREG } from '../../src/tree/tree.js';
import { readCpio, writeCpio } from '../../src/formats/cpio.js';
import { needCommand, runPeer } from '../helpers/peers.js';
import { tempDir } from '../sysroot/helpers.js';

const enc = (s: string) => new TextEncoder().encode(s);
const dec = (b: Uint8Array) => new TextDecoder().decode(b);

const SAMPLE = [
  { name: enc('etc'), mode: S_IFDIR | 0o755 },
  { name: enc('etc/cfskit'), mode: S_IFDIR | 0o700, uid: 1000, gid: 100 },
  { name: enc('etc/cfskit/digest'), mode: S_IFREG | 0o644, data: enc('abc\n') },
  { name: enc('etc/cfskit/empty'), mode: S_IFREG | 0o600 },
  { name: enc('etc/link'), mode: S_IFLNK | 0o777, data: enc('cfskit/digest') },
  { name: enc('odd-size'), mode: S_IFREG | 0o755, data: new Uint8Array(4097).fill(7), mtime: 1700000000 },
];

describe('sysroot newc cpio', () => {
  const tmp = tempDir();
  after(tmp.remove);

  it('reads back what it writes; headers and data are 4-byte aligned; ends with TRAILER!!!', () => {
    const bytes = writeCpio(SAMPLE);
    expect(bytes.length % 4).to.equal(0);
    expect(dec(bytes.subarray(0, 6))).to.equal('070701');
    expect(dec(bytes.subarray(bytes.length - 14))).to.match(/TRAILER!!!\0+$/);
    const back = readCpio(bytes);
    expect(back.map((m) => dec(m.name))).to.deep.equal(SAMPLE.map((e) => dec(e.name)));
    back.forEach((m, i) => {
      expect(m.mode).to.equal(SAMPLE[i].mode);
      expect(m.offset % 4).to.equal(0);
      expect(Buffer.from(m.data).equals(Buffer.from(SAMPLE[i].data ?? new Uint8Array(0)))).to.equal(true);
    });
    expect(back[1].uid).to.equal(1000);
    expect(back[5].mtime).to.equal(1700000000);
  });

  it('Debian cpio -it lists what we wrote, and -i extracts the same bytes', function () {
    needCommand(this, 'cpio');
    const bytes = writeCpio(SAMPLE);
    const list = runPeer('cpio', ['-it', '--quiet'], { input: bytes });
    expect(list.status, list.stderr).to.equal(0);
    expect(list.stdout.trim().split('\n')).to.deep.equal(SAMPLE.map((e) => dec(e.name)));
    const out = `${tmp.path}/x`;
    mkdirSync(out);
    const ex = spawnSync('cpio', ['-idm', '--quiet'], { input: bytes, cwd: out });
    expect(ex.status, ex.stderr.toString()).to.equal(0);
    expect(readFileSync(`${out}/etc/cfskit/digest`, 'utf8')).to.equal('abc\n');
    expect(readFileSync(`${out}/odd-size`).equals(Buffer.alloc(4097, 7))).to.equal(true);
  });

  it('reads what `cpio -o -H newc` writes (512-byte padded after the trailer)', function () {
    needCommand(this, 'cpio');
    const src = `${tmp.path}/src`;
    mkdirSync(`${src}/d/e`, { recursive: true });
    writeFileSync(`${src}/d/f`, 'hello');
    writeFileSync(`${src}/d/e/g`, Buffer.alloc(1023, 1));
    symlinkSync('f', `${src}/d/l`);
    const names = ['d', 'd/e', 'd/e/g', 'd/f', 'd/l'];
    const r = spawnSync('cpio', ['-o', '-H', 'newc', '--quiet'], { input: names.join('\n') + '\n', cwd: src });
    expect(r.status, r.stderr.toString()).to.equal(0);
    expect(r.stdout.length % 512).to.equal(0);
    const back = readCpio(r.stdout);
    expect(back.map((m) => dec(m.name))).to.deep.equal(names);
    expect(dec(back[3].data)).to.equal('hello');
    expect(back[2].data.length).to.equal(1023);
    expect(dec(back[4].data)).to.equal('f');
    expect(back[4].mode & 0o170000).to.equal(S_IFLNK);
  });

  it('reports truncation and corruption with offset and field', () => {
    const bytes = writeCpio(SAMPLE);
    expect(() => readCpio(bytes.subarray(0, 50), 'x.img')).to.throw(/^x\.img:offset 0: header: archive ends before/);
    const bad = Buffer.from(bytes);
    bad.write('07070X', 0, 'latin1');
    expect(() => readCpio(bad)).to.throw(/magic: bad magic/);
    const badHex = Buffer.from(bytes);
    badHex.write('zz', 6 + 6 * 8, 'latin1');
    expect(() => readCpio(badHex)).to.throw(/filesize: 'zz/);
    // the sixth member's data runs past a cut just before the trailer
    expect(() => readCpio(bytes.subarray(0, bytes.length - 200))).to.throw(/filesize: member data/);
    expect(() => writeCpio([{ name: enc('d'), mode: S_IFDIR | 0o755, data: enc('x') }])).to.throw(/directory member/);
    expect(() => writeCpio([{ name: new Uint8Array(0), mode: S_IFREG }])).to.throw(/invalid cpio member name/);
  });
});
