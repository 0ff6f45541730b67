/**
 * Hostile and broken tars are refused with a CfsError (code ETAR) naming the entry, and leave
 * nothing behind: no temp file in the store, every object in it complete and under its true
 * fs-verity digest, nothing written outside the store.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../../../src/errors.js';
import { digestBytes } from '../../../src/fsverity/index.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { needCommand } from '../../helpers/peers.js';
import { contentOf } from './fixtures.js';
import { END, header, member, pax, paxRecord, tarOf } from './rawtar.js';

const big = contentOf(7, 3 << 20);
const gz = (b: Buffer): Buffer => spawnSync('gzip', ['-n', '-c'], { input: b, maxBuffer: 1 << 30 }).stdout;

/** [what, layers (bytes), expected message, expected entry field (or undefined)] */
const CASES: [string, () => Buffer[], RegExp, string | undefined][] = [
  ['a .. component', () => [tarOf(member({ name: '../escape' }, Buffer.from('x')))], /'\.\.' in path/, '../escape'],
  ['.. in the middle', () => [tarOf(member({ name: 'a/../../escape', type: '0' }))], /'\.\.' in path/, 'a/../../escape'],
  ['an absolute path', () => [tarOf(member({ name: '/etc/passwd' }, Buffer.from('root')))], /absolute path/, '/etc/passwd'],
  ['a NUL byte in a PAX path', () => [tarOf(pax([['path', Buffer.from('a\0b')]]), member({ name: 'ab' }))], /NUL byte in path/, 'a\0b'],
  ['a path through a symlink', () => [tarOf(member({ name: 'link', type: '2', linkname: '/tmp' }), member({ name: 'link/evil' }, Buffer.from('x')))], /through a symlink/, 'link/evil'],
  ['a path through a regular file', () => [tarOf(member({ name: 'f' }, Buffer.from('x')), member({ name: 'f/x' }))], /through a non-directory/, 'f/x'],
  ['a path through a symlink of a lower layer', () => [tarOf(member({ name: 'lib', type: '2', linkname: 'usr/lib' })), tarOf(member({ name: 'lib/x' }))], /symlink of a lower layer/, '/lib'],
  ['data shorter than the size (truncated archive)', () => [Buffer.concat([header({ name: 'f', size: 1000 }), Buffer.alloc(100, 1)])], /truncated archive/, undefined],
  ['a truncated header', () => [header({ name: 'f' }).subarray(0, 300)], /truncated archive/, undefined],
  ['a truncated 3 MiB member (partial object)', () => [Buffer.concat([header({ name: 'big', size: big.length }), big.subarray(0, 2 << 20)])], /truncated archive/, undefined],
  ['a size smaller than the data', () => [tarOf(Buffer.concat([header({ name: 'f', size: 10 }), Buffer.alloc(1024, 0x41)]))], /malformed archive/, undefined],
  ['a bad header checksum', () => [tarOf(member({ name: 'f', checksum: 1234 }))], /malformed archive/, undefined],
  ['a hard link to a missing entry', () => [tarOf(member({ name: 'l', type: '1', linkname: 'missing' }))], /not an earlier entry/, 'l -> missing'],
  ['a hard link to a later entry', () => [tarOf(member({ name: 'l', type: '1', linkname: 'later' }), member({ name: 'later' }))], /not an earlier entry/, 'l -> later'],
  ['a hard link to a directory', () => [tarOf(member({ name: 'd', type: '5' }), member({ name: 'l', type: '1', linkname: 'd' }))], /hard link to a directory/, 'l -> d'],
  ['a hard link target with ..', () => [tarOf(member({ name: 'l', type: '1', linkname: '../etc/shadow' }))], /'\.\.' in path/, 'l -> ../etc/shadow'],
  ['a PAX size that is not a number', () => [tarOf(pax([['size', '12abc']]), member({ name: 'f' }, Buffer.alloc(12)))], /invalid PAX size/, 'f'],
  ['a PAX record with a lying length', () => [tarOf(member({ name: 'p', type: 'x' }, Buffer.from('99 path=x\n')), member({ name: 'f' }))], /malformed PAX record/, undefined],
  ['a name longer than 255 bytes', () => [tarOf(pax([['path', 'd/' + 'n'.repeat(256)]]), member({ name: 'x' }))], /longer than 255/, 'd/' + 'n'.repeat(256)],
  ['a symlink target of 4096 bytes', () => [tarOf(pax([['linkpath', 't'.repeat(4096)]]), member({ name: 's', type: '2', linkname: 't' }))], /symlink target/, 's'],
  ['a GNU sparse member', () => [tarOf(member({ name: 'sparse', type: 'S' }))], /unsupported entry type/, 'sparse'],
  ['a PAX sparse member', () => [tarOf(pax([['GNU.sparse.major', '1'], ['GNU.sparse.minor', '0']]), member({ name: 's' }))], /sparse files are not supported/, 's'],
  ['a truncated gzip layer', () => [gz(tarOf(member({ name: 'big' }, big))).subarray(0, 4000)], /corrupt or truncated gzip/, undefined],
  ['a corrupt zstd layer', () => [Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(64, 0xff)])], /corrupt or truncated zstd/, undefined],
  ['the root entry as a file', () => [tarOf(member({ name: './' , type: '0' }, Buffer.from('x')))], /root entry must be a directory/, './'],
  ['an invalid uid', () => [tarOf(pax([['uid', '99999999999']]), member({ name: 'f' }))], /invalid uid/, 'f'],
];

describe('sources: hostile tars are refused and leave nothing behind', function () {
  let work: string;
  before(function () {
    needCommand(this, 'gzip');
    work = mkdtempSync(join(tmpdir(), 'cfskit-hostile-'));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it(`covers at least 10 kinds (${CASES.length})`, () => expect(CASES.length).to.be.at.least(10));

  CASES.forEach(([what, layers, message, field], i) => {
    it(`refuses ${what}`, async function () {
      const dir = join(work, `case-${i}`);
      const store = join(dir, 'store');
      // a valid object is stored first, so the store is not empty when the bad entry comes
      const good = tarOf(member({ name: 'ok' }, contentOf(i, 5000)));
      const files = [good, ...layers()].map((bytes, n) => {
        const f = join(work, `case-${i}-layer-${n}.tar`);
        writeFileSync(f, bytes);
        return f;
      });
      let err: unknown;
      try {
        await loadLocalSource({ kind: 'tar', paths: files, options: { digestStore: store } });
      } catch (e) {
        err = e;
      }
      expect(err, 'must fail').to.be.instanceOf(CfsError);
      const e = err as CfsError;
      expect(e.code).to.equal('ETAR');
      expect(e.message).to.match(message);
      expect(e.file).to.equal(files[files.length - 1]);
      if (field !== undefined) expect(e.field).to.equal(field);
      if (field !== undefined && field !== '/lib') expect(e.offset).to.be.a('number');
      // the store: only XX/ fan-out directories, each object complete under its true digest
      expect(readdirSync(dir)).to.deep.equal(['store']);
      const objects: string[] = [];
      for (const xx of readdirSync(store)) {
        expect(xx).to.match(/^[0-9a-f]{2}$/);
        for (const rest of readdirSync(join(store, xx))) objects.push(`${xx}${rest}`);
      }
      expect(objects).to.deep.equal([digestBytes(contentOf(i, 5000)).hex]);
      for (const o of objects) expect(digestBytes(readFileSync(join(store, o.slice(0, 2), o.slice(2)))).hex).to.equal(o);
    });
  });

  it('a PAX record with a correct length still parses (control case)', async () => {
    const f = join(work, 'control.tar');
    writeFileSync(f, tarOf(pax([['path', 'a/long/' + 'n'.repeat(200)], ['mtime', '5.5']]), member({ name: 'x' }, Buffer.from('hi'))));
    const t = await loadLocalSource({ kind: 'tar', paths: [f] });
    expect(paxRecord('path', 'x').toString()).to.equal('9 path=x\n');
    const n = t.lookup(Buffer.from('a'))!.lookup(Buffer.from('long'))!.lookup(Buffer.from('n'.repeat(200)))!;
    expect([n.mtimeSec, n.mtimeNsec, Buffer.from(n.content!).toString()]).to.deep.equal([5n, 500_000_000, 'hi']);
    expect(END.length).to.equal(1024);
  });
});
