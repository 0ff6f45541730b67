/** OCI image layout source: tag selection and every digest check (blob, size, diff_id). */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../../../src/errors.js';
import { loadLocalSource } from '../../../src/composefs/sources/index.js';
import { parseOciRef } from '../../../src/composefs/sources/oci.js';
import { sha256hex, writeOciLayout } from './fixtures.js';
import { member, tarOf } from './rawtar.js';

const layerTar = tarOf(member({ name: 'hello' }, Buffer.from('hello world\n')));

async function fails(ref: string): Promise<CfsError> {
  try {
    await loadLocalSource({ kind: 'oci', paths: [ref] });
  } catch (err) {
    expect(err).to.be.instanceOf(CfsError);
    return err as CfsError;
  }
  throw new Error('expected a failure');
}

describe('sources: OCI image layout', function () {
  let work: string;
  let n = 0;
  const layout = (mutate?: (dir: string, index: Record<string, any>) => void, tar = layerTar, blob = tar): string => {
    const dir = join(work, `oci-${n++}`);
    writeOciLayout(dir, [{ tar, blob, mediaType: 'application/vnd.oci.image.layer.v1.tar' }], 'v1');
    if (mutate) {
      const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'));
      mutate(dir, index);
      writeFileSync(join(dir, 'index.json'), JSON.stringify(index));
    }
    return dir;
  };
  before(() => {
    work = mkdtempSync(join(tmpdir(), 'cfskit-oci-'));
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  it('DIR:TAG picks the tagged manifest; DIR alone takes the only one', async () => {
    const dir = layout();
    for (const ref of [dir, `${dir}:v1`]) {
      const t = await loadLocalSource({ kind: 'oci', paths: [ref] });
      expect(Buffer.from(t.lookup(Buffer.from('hello'))!.content!).toString()).to.equal('hello world\n');
    }
    expect(await parseOciRef(`${dir}:v1`)).to.deep.equal({ dir, tag: 'v1' });
    expect(await parseOciRef(dir)).to.deep.equal({ dir, tag: null });
  });

  it('an unknown tag, or several manifests without a tag, is an error naming the choices', async () => {
    const dir = layout((_, index) => index.manifests.push({ ...index.manifests[0], annotations: { 'org.opencontainers.image.ref.name': 'v2' } }));
    expect((await fails(`${dir}:nope`)).message).to.match(/no manifest tagged 'nope'/);
    expect((await fails(dir)).message).to.match(/2 manifests.*tags: v1, v2/);
  });

  it('a layer blob whose content does not match its digest is refused', async () => {
    const dir = layout();
    const blobs = join(dir, 'blobs', 'sha256');
    const name = readdirSync(blobs).find((f) => readFileSync(join(blobs, f)).equals(layerTar))!;
    const bad = Buffer.from(layerTar);
    bad[600] ^= 1; // inside the file data: the tar still parses
    writeFileSync(join(blobs, name), bad);
    const e = await fails(dir);
    expect(e.message).to.match(/layer digest mismatch/);
    expect(e.file).to.equal(join(blobs, name));
  });

  it('an uncompressed layer that does not match the config diff_id is refused', async () => {
    const other = tarOf(member({ name: 'hello' }, Buffer.from('HELLO world\n')));
    // the manifest names the real blob, the config the diff_id of another tar
    const dir = join(work, `oci-${n++}`);
    writeOciLayout(dir, [{ tar: other, blob: layerTar, mediaType: 'application/vnd.oci.image.layer.v1.tar' }]);
    const e = await fails(dir);
    expect(e.message).to.match(/rootfs\.diff_ids\[0\]\) mismatch/);
    expect(e.message).to.contain(`sha256:${sha256hex(other)}`);
  });

  it('a manifest blob that does not match its digest, or a missing blob, is refused', async () => {
    const dir = layout((d, index) => {
      const [, hex] = index.manifests[0].digest.split(':');
      writeFileSync(join(d, 'blobs', 'sha256', hex), '{"schemaVersion":2}');
      index.manifests[0].size = 19;
    });
    expect((await fails(dir)).message).to.match(/blob digest mismatch/);
    const gone = layout((d, index) => rmSync(join(d, 'blobs', 'sha256', index.manifests[0].digest.split(':')[1])));
    expect((await fails(gone)).message).to.match(/cannot read blob: ENOENT/);
    expect((await fails(join(work, 'nothing-here'))).message).to.match(/not an OCI image layout/);
  });

  it('a descriptor with a path-like digest is refused before any file is opened', async () => {
    const dir = layout((_, index) => {
      index.manifests[0].digest = 'sha256:../../../../etc/passwd';
    });
    expect((await fails(dir)).message).to.match(/invalid descriptor/);
  });
});
