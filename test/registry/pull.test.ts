/**
 * `docker://` sources against a real registry (Debian's docker-registry, filled by skopeo): the
 * image equals the one built from the same OCI layout on disk, for every layer compression and
 * for a multi-arch index; each refusal is one clear CfsError and leaves nothing in the cache.
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildImage } from '../../src/composefs/index.js';
import type { RegistryOptions } from '../../src/composefs/sources/index.js';
import { loadSource } from '../../src/registry/source.js';
import { CfsError } from '../../src/errors.js';
import { osFiles } from '../sysroot/deploy/fixture.js';
import { needCommand } from '../helpers/peers.js';
import { type Compression, type Proxy, type Registry, indexLayoutOf, layoutOf, pushLayoutAsIs, skopeoPush, startProxy, startRegistry, tarOfFiles } from './harness.js';

const imageOf = async (path: string, registry?: RegistryOptions): Promise<Buffer> =>
  Buffer.from(buildImage(await loadSource({ kind: 'oci', paths: [path], options: { registry } })).image);

async function refusal(path: string, registry: RegistryOptions): Promise<CfsError> {
  try {
    await loadSource({ kind: 'oci', paths: [path], options: { registry } });
  } catch (e) {
    expect(e).to.be.instanceOf(CfsError);
    expect((e as Error).message).to.not.include('\n');
    return e as CfsError;
  }
  throw new Error(`${path}: expected a refusal`);
}

/** Blobs in a cache directory (nothing partial: tmp/ holds nothing either). */
function cached(cache: string): string[] {
  const blobs = join(cache, 'blobs', 'sha256');
  const tmp = join(cache, 'tmp');
  expect(existsSync(tmp) ? readdirSync(tmp) : []).to.deep.equal([]);
  return existsSync(blobs) ? readdirSync(blobs) : [];
}

describe('registry: docker:// sources', function () {
  // CLI children and real servers on a shared 2-core machine
  this.timeout(300_000);
  let work: string;
  let registry: Registry;
  let proxy: Proxy;
  const layouts: Record<string, string> = {};
  const base = (): Buffer => tarOfFiles(work, 'base', osFiles('1'));
  const app = (): Buffer => tarOfFiles(work, 'app', { 'usr/share/app/data': 'x'.repeat(5000), 'usr/etc/app.conf': 'a=1\n', 'usr/etc/.wh.motd': '' });

  before(async function () {
    needCommand(this, 'docker-registry');
    needCommand(this, 'skopeo');
    needCommand(this, 'zstd');
    work = mkdtempSync(join(tmpdir(), 'cfskit-registry-'));
    registry = await startRegistry(join(work, 'registry'));
    proxy = await startProxy(registry.port);
    const tars = [base(), app()];
    for (const c of ['none', 'gzip', 'zstd'] as Compression[]) {
      layouts[c] = layoutOf(join(work, `layout-${c}`), tars, c);
      // skopeo compresses uncompressed layers on the way to a registry: those go up as they are
      if (c === 'none') await pushLayoutAsIs(layouts[c], registry.host, `os-${c}`, '1');
      else skopeoPush(layouts[c], `docker://${registry.host}/os-${c}:1`, c === 'zstd' ? ['--dest-compress-format=zstd'] : []);
    }
    const arm = layoutOf(join(work, 'layout-arm64'), [tarOfFiles(work, 'arm', osFiles('1-arm64'))], 'gzip');
    layouts.index = indexLayoutOf(join(work, 'layout-index'), [
      { layout: layouts.gzip, os: 'linux', architecture: 'amd64' },
      { layout: arm, os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    layouts.arm64 = arm;
    skopeoPush(layouts.index, `docker://${registry.host}/multi:1`, ['--all']);
  });
  after(async () => {
    await proxy?.stop();
    await registry?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  for (const c of ['none', 'gzip', 'zstd'] as Compression[]) {
    it(`a ${c} image from the registry is byte-identical to the one from its layout`, async () => {
      const cacheDir = join(work, `cache-${c}`);
      let pulled: { manifestDigest: string; fetchedBlobs: number } | undefined;
      const fromRegistry = await imageOf(`docker://${registry.host}/os-${c}:1`, { tlsVerify: false, cacheDir, onPulled: (p) => (pulled = p) });
      expect(fromRegistry.equals(await imageOf(`${layouts[c]}:1`))).to.equal(true);
      expect(pulled!.fetchedBlobs).to.equal(3);
      // manifest, config, two layers; the layers really are of that compression in the registry
      expect(cached(cacheDir)).to.have.length(4);
      const manifest = JSON.parse(readFileSync(join(cacheDir, 'blobs', 'sha256', pulled!.manifestDigest.slice(7)), 'utf8'));
      const suffix = { none: /tar$/, gzip: /tar\+gzip$/, zstd: /tar\+zstd$/ }[c];
      for (const l of manifest.layers) expect(l.mediaType).to.match(suffix);
    });
  }

  it('a multi-arch index: the asked platform is chosen, the default is the host', async () => {
    const ref = `docker://${registry.host}/multi:1`;
    const arm = await imageOf(ref, { tlsVerify: false, platform: 'linux/arm64' });
    expect(arm.equals(await imageOf(layouts.arm64))).to.equal(true);
    expect((await imageOf(ref, { tlsVerify: false, platform: 'linux/arm64/v8' })).equals(arm)).to.equal(true);
    expect((await imageOf(ref, { tlsVerify: false, platform: 'linux/amd64' })).equals(await imageOf(layouts.gzip))).to.equal(true);
  });

  it('an absent platform is refused with the list of those present', async () => {
    const cacheDir = join(work, 'cache-platform');
    const e = await refusal(`docker://${registry.host}/multi:1`, { tlsVerify: false, platform: 'linux/s390x', cacheDir });
    expect(e.message).to.match(/no image for linux\/s390x in the index \(present: linux\/amd64, linux\/arm64\/v8\)/);
    expect(cached(cacheDir)).to.deep.equal([]);
  });

  it('a Docker v2 schema 2 manifest works the same', async () => {
    skopeoPush(layouts.gzip, `docker://${registry.host}/os-v2s2:1`, ['--format=v2s2']);
    const fromRegistry = await imageOf(`docker://${registry.host}/os-v2s2:1`, { tlsVerify: false });
    expect(fromRegistry.equals(await imageOf(layouts.gzip))).to.equal(true);
  });

  it('blob redirects are followed', async () => {
    proxy.rules = { redirect: true };
    try {
      const img = await imageOf(`docker://${proxy.host}/os-gzip:1`, { tlsVerify: false });
      expect(img.equals(await imageOf(layouts.gzip))).to.equal(true);
      expect(proxy.log.some((l) => l.startsWith('GET /_redirect/v2/os-gzip/blobs/'))).to.equal(true);
    } finally {
      proxy.rules = {};
    }
  });

  it('transient failures (503, a reset mid-body) are retried', async () => {
    proxy.rules = { fail: { path: /\/blobs\//, count: 2 }, reset: { path: /\/blobs\//, count: 1 } };
    try {
      const img = await imageOf(`docker://${proxy.host}/os-none:1`, { tlsVerify: false, timeoutMs: 5000, retries: 4 });
      expect(img.equals(await imageOf(layouts.none))).to.equal(true);
    } finally {
      proxy.rules = {};
    }
  });

  it('without --tls-verify=false a plain-HTTP registry is refused', async () => {
    const e = await refusal(`docker://${registry.host}/os-gzip:1`, { retries: 0 });
    expect(e.code).to.equal('ENET');
    expect(e.message).to.match(/does not speak HTTPS .*needs --tls-verify=false/);
  });

  describe('refusals leave nothing in the cache', function () {
    let n = 0;
    const cacheDir = () => join(work, `refused-${n++}`);
    it('a tampered blob', async () => {
      proxy.rules = { tamper: /sha256:/ };
      try {
        const dir = cacheDir();
        const e = await refusal(`docker://${proxy.host}/os-gzip:1`, { tlsVerify: false, cacheDir: dir });
        expect(e.code).to.equal('EDIGEST');
        expect(e.message).to.match(/blob digest mismatch/);
        expect(cached(dir)).to.deep.equal([]);
      } finally {
        proxy.rules = {};
      }
    });
    it('a manifest whose digest does not match the @sha256: reference', async () => {
      const dir = cacheDir();
      const wrong = `sha256:${'ab'.repeat(32)}`;
      // a front that answers the digest with the tag's manifest (a redirect to it)
      const front = http.createServer((req, res) => {
        res.writeHead(307, { location: `http://${registry.host}${(req.url ?? '').replace(wrong, '1')}` }).end();
      });
      await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
      try {
        const port = (front.address() as { port: number }).port;
        const e = await refusal(`docker://127.0.0.1:${port}/os-gzip@${wrong}`, { tlsVerify: false, cacheDir: dir });
        expect(e.code).to.equal('EDIGEST');
        expect(e.message).to.match(/manifest digest mismatch: content is sha256:[0-9a-f]{64}, the reference names sha256:(ab){32}$/);
      } finally {
        await new Promise<void>((r) => front.close(() => r()));
      }
      expect(cached(dir)).to.deep.equal([]);
    });
    it('an unknown tag (404)', async () => {
      const dir = cacheDir();
      const e = await refusal(`docker://${registry.host}/os-gzip:nope`, { tlsVerify: false, cacheDir: dir });
      expect(e.code).to.equal('ENOTFOUND');
      expect(e.message).to.equal(`docker://${registry.host}/os-gzip:nope: status: manifest nope not found (HTTP 404)`);
      expect(cached(dir)).to.deep.equal([]);
    });
    it('a registry that stalls', async () => {
      proxy.rules = { stall: /\/blobs\// };
      try {
        const dir = cacheDir();
        const e = await refusal(`docker://${proxy.host}/os-gzip:1`, { tlsVerify: false, cacheDir: dir, timeoutMs: 300, retries: 2 });
        expect(e.code).to.equal('ENET');
        expect(e.message).to.match(/no answer for 300 ms \(gave up after 3 attempts\)/);
        expect(cached(dir)).to.deep.equal([]);
      } finally {
        proxy.rules = {};
      }
    });
  });

  it('oci:DIR:TAG keeps working', async () => {
    expect((await imageOf(`oci:${layouts.gzip}:1`)).equals(await imageOf(`${layouts.gzip}:1`))).to.equal(true);
  });
});
