/**
 * Layered sources: three layers with OCI whiteouts, opaque directories, replaced entries and
 * cross-layer hard links give the flattened tree written by hand (as one tar), whether they come
 * as tar files (plain, gzip, zstd) or as an OCI image layout.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { needCommand } from '../../helpers/peers.js';
import { canonical, contentOf, writeOciLayout } from './fixtures.js';
import { member, pax, tarOf, type RawHeader } from './rawtar.js';

const dir = (name: string, extra: Partial<RawHeader> = {}): Buffer => member({ name, type: '5', mode: 0o755, ...extra });
const file = (name: string, data: Buffer, extra: Partial<RawHeader> = {}): Buffer => member({ name, ...extra }, data);
const passwd = contentOf(1, 100);
const aso1 = contentOf(2, 200);
const aso2 = contentOf(3, 300);
const bso = contentOf(4, 150);

const layer1 = tarOf(
  dir('./', { mode: 0o755, mtime: 10 }),
  dir('etc/'),
  file('etc/passwd', passwd),
  file('etc/hosts', Buffer.from('127.0.0.1 localhost\n')),
  file('etc/keep', Buffer.from('keep')),
  dir('usr/'), dir('usr/lib/'),
  file('usr/lib/a.so', aso1, { mode: 0o755 }),
  file('usr/lib/b.so', bso),
  dir('usr/share/'), dir('usr/share/doc/'), file('usr/share/doc/README', Buffer.from('doc')),
  dir('opt/'), dir('opt/app/'), file('opt/app/old1', Buffer.from('1')), file('opt/app/old2', Buffer.from('2')),
  dir('var/'),
  member({ name: 'var/pw', type: '1', linkname: 'etc/passwd' }),
  dir('data/'), file('data/file1', Buffer.from('f1')),
);
const layer2 = tarOf(
  file('etc/.wh.hosts', Buffer.alloc(0)),
  file('etc/.wh.passwd', Buffer.alloc(0)),
  dir('opt/app/'),
  file('opt/app/.wh..wh..opq', Buffer.alloc(0)),
  file('opt/app/new1', Buffer.from('new')),
  file('usr/lib/a.so', aso2, { mode: 0o755, mtime: 2000 }),
  member({ name: 'data', type: '2', linkname: '/srv' }),
);
const layer3 = tarOf(
  file('usr/share/.wh.doc', Buffer.alloc(0)),
  file('etc/hosts', Buffer.from('::1 localhost\n'), { mtime: 3000 }),
  dir('data/', { mode: 0o750 }),
  file('data/file2', Buffer.from('f2')),
  dir('opt/app/', { mode: 0o700, uid: 7 }),
  file('.wh.nonexistent', Buffer.alloc(0)),
  file('.wh..wh.plnk', Buffer.alloc(0)),
  member({ name: 'bin/sh2', type: '1', linkname: 'usr/lib/b.so' }),
  pax([['SCHILY.xattr.user.note', Buffer.from([0, 1, 0xff, 0x80])], ['mtime', '3000.25']]),
  file('etc/keep', Buffer.from('keep')),
);
/** The result, by hand: one tar. `bin/` never had an entry, so it has the default metadata. */
const flattened = tarOf(
  dir('./', { mode: 0o755, mtime: 10 }),
  dir('bin/', { mtime: 0 }),
  file('bin/sh2', bso),
  dir('data/', { mode: 0o750 }),
  file('data/file2', Buffer.from('f2')),
  dir('etc/'),
  file('etc/hosts', Buffer.from('::1 localhost\n'), { mtime: 3000 }),
  pax([['SCHILY.xattr.user.note', Buffer.from([0, 1, 0xff, 0x80])], ['mtime', '3000.25']]),
  file('etc/keep', Buffer.from('keep')),
  dir('opt/'),
  dir('opt/app/', { mode: 0o700, uid: 7 }),
  file('opt/app/new1', Buffer.from('new')),
  dir('usr/'), dir('usr/lib/'),
  file('usr/lib/a.so', aso2, { mode: 0o755, mtime: 2000 }),
  member({ name: 'usr/lib/b.so', type: '1', linkname: 'bin/sh2' }),
  dir('usr/share/'),
  dir('var/'),
  file('var/pw', passwd),
);

describe('sources: layers with whiteouts and opaque directories', function () {
  let work: string;
  let expected: string[];
  before(async function () {
    for (const cmd of ['gzip', 'zstd']) needCommand(this, cmd);
    work = mkdtempSync(join(tmpdir(), 'cfskit-layers-'));
    writeFileSync(join(work, 'flat.tar'), flattened);
    expected = canonical(await loadLocalSource({ kind: 'tar', paths: [join(work, 'flat.tar')] }));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the hand-written flattened tree is what it should be', () => {
    const paths = expected.map((l) => Buffer.from(l.split(' ')[0], 'hex').toString());
    expect(paths).to.deep.equal(['/', '/bin', '/bin/sh2', '/data', '/data/file2', '/etc', '/etc/hosts', '/etc/keep', '/opt', '/opt/app',
      '/opt/app/new1', '/usr', '/usr/lib', '/usr/lib/a.so', '/usr/lib/b.so', '/usr/share', '/var', '/var/pw']);
  });

  it('three tar layers (plain, gzip, zstd) flatten to it', async () => {
    const files = [['l1.tar', layer1, null], ['l2.tar.gz', layer2, 'gzip'], ['l3.tar.zst', layer3, 'zstd']] as const;
    for (const [name, bytes, tool] of files) {
      writeFileSync(join(work, name), tool ? spawnSync(tool, ['-c'], { input: bytes }).stdout : bytes);
    }
    const t = await loadLocalSource({ kind: 'tar', paths: files.map(([n]) => join(work, n)) });
    expect(canonical(t)).to.deep.equal(expected);
  });

  it('a three-layer OCI image layout flattens to it', async () => {
    const layers = [
      { tar: layer1, blob: layer1, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
      { tar: layer2, blob: spawnSync('gzip', ['-c'], { input: layer2 }).stdout, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
      { tar: layer3, blob: spawnSync('zstd', ['-c'], { input: layer3 }).stdout, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
    ];
    writeOciLayout(join(work, 'oci'), layers);
    const t = await loadLocalSource({ kind: 'oci', paths: [join(work, 'oci')] });
    expect(canonical(t)).to.deep.equal(expected);
  });

  it('whiteouts apply to lower layers only: an entry and its whiteout in one layer keep the entry', async () => {
    writeFileSync(join(work, 'same.tar'), tarOf(file('a', Buffer.from('x')), file('.wh.a', Buffer.alloc(0))));
    const t = await loadLocalSource({ kind: 'tar', paths: [join(work, 'same.tar')] });
    expect(t.lookup(Buffer.from('a'))).to.not.equal(undefined);
    expect(t.children!.map((c) => Buffer.from(c.name).toString())).to.deep.equal(['a']);
  });
});
