/**
 * Issue #15 item 5: an OCI layout is outside data. index.json, a manifest or a layer that is a
 * symlink (to /dev/zero), a device, a fifo, or larger than its descriptor says is refused with one
 * line naming the file, after reading at most the budget: never by trusting `stat`, never forever.
 */
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../../../src/errors.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { writeOciLayout } from './fixtures.js';
import { member, tarOf } from './rawtar.js';

const layerTar = tarOf(member({ name: 'hello' }, Buffer.from('hello world\n')));

async function refusal(ref: string): Promise<CfsError> {
  const err = await loadLocalSource({ kind: 'oci', paths: [ref] }).then(() => null, (e: unknown) => e);
  expect(err).to.be.instanceOf(CfsError);
  return err as CfsError;
}

describe('sources: OCI layout files are bounded and regular (issue #15 item 5)', function () {
  this.timeout(30_000);
  let work: string;
  let n = 0;
  /** A fresh layout and the paths of its files. */
  const layout = () => {
    const dir = join(work, `oci-${n++}`);
    writeOciLayout(dir, [{ tar: layerTar, blob: layerTar, mediaType: 'application/vnd.oci.image.layer.v1.tar' }]);
    const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.split(':')[1]);
    const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
    const manifestFile = blob(index.manifests[0].digest);
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    return { dir, index: join(dir, 'index.json'), manifest: manifestFile, config: blob(manifest.config.digest), layer: blob(manifest.layers[0].digest) };
  };
  const replace = (file: string, make: (file: string) => void) => {
    rmSync(file);
    make(file);
  };
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cfskit-oci-outside-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('the control layout loads', async () => {
    const t = await loadLocalSource({ kind: 'oci', paths: [layout().dir] });
    expect(t.lookup(Buffer.from('hello'))).to.not.equal(undefined);
  });

  for (const part of ['index', 'manifest', 'config', 'layer'] as const) {
    it(`${part === 'index' ? 'an index.json' : `a ${part}`} that is a symlink to /dev/zero is refused as a symlink`, async () => {
      const l = layout();
      replace(l[part], (f) => symlinkSync('/dev/zero', f));
      const e = await refusal(l.dir);
      expect(e.file).to.equal(l[part]);
      expect(e.message).to.match(/is a symlink \(the layout must hold regular files\)$/);
    });
  }

  it('a manifest that is a fifo, or a layer that is a directory, is refused without blocking', async function () {
    const l = layout();
    replace(l.manifest, (f) => {
      if (spawnSync('mkfifo', [f]).status !== 0) this.skip();
    });
    expect((await refusal(l.dir)).message).to.match(/blob is a fifo, not a regular file$/);
    const m = layout();
    replace(m.layer, (f) => spawnSync('mkdir', [f]));
    expect((await refusal(m.dir)).message).to.match(/layer is a directory, not a regular file$/);
  });

  it('a layer longer than its descriptor is refused once the budget is passed, before the digest', async () => {
    const l = layout();
    appendFileSync(l.layer, Buffer.alloc(2 << 20));
    const e = await refusal(l.dir);
    expect(e.file).to.equal(l.layer);
    expect(e.message).to.match(new RegExp(`layer is larger than ${layerTar.length} bytes, its descriptor size$`));
  });

  it('a manifest longer than its descriptor, and an index.json over 16 MiB, are refused', async () => {
    const l = layout();
    appendFileSync(l.manifest, ' ');
    expect((await refusal(l.dir)).message).to.match(/blob is larger than \d+ bytes, its descriptor size$/);
    const big = layout();
    writeFileSync(big.index, Buffer.alloc((16 << 20) + 1, 0x20));
    expect((await refusal(big.dir)).message).to.match(/JSON document is larger than 16777216 bytes$/);
  });

  it('a descriptor claiming a JSON blob over 16 MiB is refused before the blob is read', async () => {
    const l = layout();
    const index = JSON.parse(readFileSync(l.index, 'utf8'));
    index.manifests[0].size = (16 << 20) + 1;
    writeFileSync(l.index, JSON.stringify(index));
    expect((await refusal(l.dir)).message).to.match(/descriptor size 16777217 is over the 16777216-byte limit for a JSON document$/);
  });
});
