/**
 * The sources through `cfskit mkcomposefs` (whole process): directory, --from-tar layers and
 * --from-oci give the images the library gives, the store they fill satisfies `cfskit info
 * missing-objects`, --owner/--overrides apply, and refusals exit 1 leaving no image.
 */
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../../src/composefs/index.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { contentOf, sha256hex, writeOciLayout } from './fixtures.js';
import { member, tarOf } from './rawtar.js';
import { cfskit } from '../../helpers/cli.js';

describe('sources: cfskit mkcomposefs with directory, tar and OCI sources', function () {
  let work: string;
  const layer1 = tarOf(member({ name: 'etc/', type: '5', mode: 0o755 }), member({ name: 'etc/big' }, contentOf(1, 9000)), member({ name: 'etc/gone' }, Buffer.from('x')));
  const layer2 = tarOf(member({ name: 'etc/.wh.gone' }), member({ name: 'etc/small', uid: 7 }, Buffer.from('small')), member({ name: 'etc/hl', type: '1', linkname: 'etc/big' }));

  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cfskit-src-cli-'));
    writeFileSync(join(work, 'l1.tar'), layer1);
    writeFileSync(join(work, 'l2.tar'), layer2);
    mkdirSync(join(work, 'dir'));
    writeFileSync(join(work, 'dir', 'a'), contentOf(2, 100));
    writeFileSync(join(work, 'dir', 'b'), 'bee');
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('--from-tar (repeated) gives the library image and fills --digest-store; info missing-objects prints nothing', async () => {
    const img = join(work, 'tar.cfs');
    const r = cfskit(['mkcomposefs', `--digest-store=${join(work, 'store')}`, '--from-tar', join(work, 'l1.tar'), `--from-tar=${join(work, 'l2.tar')}`, '--print-digest', img]);
    expect(r.stderr).to.equal('');
    expect(r.status).to.equal(0);
    const want = buildImage(await loadLocalSource({ kind: 'tar', paths: [join(work, 'l1.tar'), join(work, 'l2.tar')] }));
    expect(sha256hex(readFileSync(img))).to.equal(sha256hex(want.image));
    expect(r.stdout).to.equal(`${want.digest.hex}\n`);
    const missing = cfskit(['info', `--basedir=${join(work, 'store')}`, 'missing-objects', img]);
    expect([missing.status, missing.stdout, missing.stderr]).to.deep.equal([0, '', '']);
    const objects = cfskit(['info', 'objects', img]).stdout.trim().split('\n');
    expect(objects).to.have.length(1);
  });

  it('--from-oci DIR:TAG gives the same image as the same layers from tar files', async () => {
    writeOciLayout(join(work, 'oci'), [
      { tar: layer1, blob: layer1, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
      { tar: layer2, blob: layer2, mediaType: 'application/vnd.oci.image.layer.v1.tar' },
    ], 'v2');
    const r = cfskit(['mkcomposefs', '--print-digest-only', `--from-oci=${join(work, 'oci')}:v2`]);
    expect(r.status, r.stderr).to.equal(0);
    const want = buildImage(await loadLocalSource({ kind: 'tar', paths: [join(work, 'l1.tar'), join(work, 'l2.tar')] }));
    expect(r.stdout).to.equal(`${want.digest.hex}\n`);
  });

  it('a directory SOURCE with --owner and --overrides', async () => {
    writeFileSync(join(work, 'ov'), '/a - 4711 - - - - 5.6 - - - user.k=v\n');
    const img = join(work, 'dir.cfs');
    const r = cfskit(['mkcomposefs', '--owner=10:20', `--overrides=${join(work, 'ov')}`, '--quiet', join(work, 'dir'), img]);
    expect([r.status, r.stderr]).to.deep.equal([0, '']);
    const dump = cfskit(['info', 'dump', img]).stdout;
    expect(dump).to.match(/^\/a 100 104711 1 10 20 0 5\.6 [0-9a-f]{2}\/[0-9a-f]{62} - [0-9a-f]{64} user\.k=v$/m);
    expect(dump).to.match(/^\/b 3 100644 1 10 20 0 \d+\.\d+ - bee -$/m);
  });

  it('refusals exit 1 with the message and leave no image', () => {
    writeFileSync(join(work, 'evil.tar'), tarOf(member({ name: '../evil' }, Buffer.from('x'))));
    const out = join(work, 'refused');
    mkdirSync(out);
    const cases: [string[], RegExp][] = [
      [['--from-tar', join(work, 'evil.tar'), join(out, 'x.cfs')], /evil\.tar:offset 0: \.\.\/evil: '\.\.' in path/],
      [['--from-tar', join(work, 'l1.tar'), '--from-file', 'x', join(out, 'x.cfs')], /--from-file and --from-tar cannot be combined/],
      [['--owner=1', join(work, 'dir'), join(out, 'x.cfs')], /Invalid owner 1 \(UID:GID\)/],
      [['--from-oci', join(work, 'nope'), join(out, 'x.cfs')], /not an OCI image layout/],
      [['--skip-xattrs', '--user-xattrs', join(work, 'dir'), join(out, 'x.cfs')], /error accessing .*dir: Invalid argument/],
    ];
    for (const [args, message] of cases) {
      const r = cfskit(['mkcomposefs', ...args]);
      expect(r.status, args.join(' ')).to.equal(1);
      expect(r.stderr, args.join(' ')).to.match(message);
    }
    expect(readdirSync(out)).to.deep.equal([]);
  });

  it('--help names the new flags and says that directory sources carry no xattrs', () => {
    const r = cfskit(['mkcomposefs', '--help']);
    for (const flag of ['--from-tar', '--from-oci', '--preserve-hardlinks', '--owner', '--overrides', '--quiet']) expect(r.stdout).to.contain(flag);
    expect(r.stdout).to.contain('cannot read extended attributes');
  });
});
