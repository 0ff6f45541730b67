/**
 * Pull: reference → manifest (through an index or manifest list to one platform) → the config and
 * layer blobs missing from the cache, each verified while it streams → a one-manifest OCI image
 * layout in the cache's `tmp/` whose `blobs` is the cache itself, read by the OCI layout source
 * (src/composefs/sources/oci.ts), so a registry image and the same image on disk give the same tree.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import type { Node } from '../tree/tree.js';
import { asDescriptor as descriptor, asDescriptors as descriptors, type Descriptor, GOARCH, loadOciLayout } from '../composefs/sources/oci.js';
import type { RegistryOptions, SourceOptions } from '../composefs/sources/options.js';
import { findCredentials } from './auth.js';
import { BlobCache } from './cache.js';
import { MANIFEST_MAX, MEDIA, type Manifest, RegistryClient } from './client.js';
import type { Provenance } from './provenance.js';
import { formatReference, manifestRef, parseReference } from './reference.js';

const INDEX_TYPES = new Set<string>([MEDIA.ociIndex, MEDIA.dockerList]);
const MANIFEST_TYPES = new Set<string>([MEDIA.ociManifest, MEDIA.dockerManifest]);

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}


export interface PulledImage extends Provenance {
  /** Media type and digest of the image manifest, for a layout's index.json. */
  manifest: Descriptor;
  fetchedBlobs: number;
  fetchedBytes: number;
}

/** `--platform=OS/ARCH[/VARIANT]`; without it linux and the host's architecture (Go names). */
export function parsePlatform(text: string | undefined): Platform {
  if (text === undefined) return { os: 'linux', architecture: GOARCH[process.arch] ?? process.arch };
  const parts = text.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9_.-]{1,32}$/.test(p))) {
    throw new CfsError(`invalid platform '${text}' (OS/ARCH[/VARIANT])`, { field: '--platform', code: 'EUSAGE' });
  }
  return { os: parts[0], architecture: parts[1], variant: parts[2] };
}

const platformText = (p: Partial<Platform>): string => [p.os ?? '?', p.architecture ?? '?', p.variant].filter(Boolean).join('/');

/** The index entry for `want`: same os and architecture, and the variant when one is asked for. */
export function choosePlatform(entries: Descriptor[], want: Platform, where: string): Descriptor {
  const found = entries.find((d) => d.platform?.os === want.os && d.platform?.architecture === want.architecture
    && (want.variant === undefined || (d.platform.variant ?? (want.architecture === 'arm64' ? 'v8' : undefined)) === want.variant));
  if (found) return found;
  const present = entries.filter((d) => d.platform?.os && d.platform.os !== 'unknown').map((d) => platformText(d.platform!));
  throw new CfsError(`no image for ${platformText(want)} in the index (present: ${present.join(', ') || 'none'})`, { file: where, field: 'platform', code: 'EPLATFORM' });
}

/** Parses a manifest or index body (already size-capped) as a JSON object. */
function parseJson(m: Manifest, where: string): Record<string, unknown> {
  try {
    const doc = JSON.parse(m.bytes.toString('utf8')) as unknown;
    if (doc && typeof doc === 'object' && !Array.isArray(doc)) return doc as Record<string, unknown>;
  } catch {
    /* refused below */
  }
  throw new CfsError(`manifest ${m.digest} is not a JSON object`, { file: where, field: 'manifest', code: 'EOCI' });
}

const mediaTypeOf = (m: Manifest, doc: Record<string, unknown>): string => (typeof doc.mediaType === 'string' ? doc.mediaType : m.mediaType);

/** Pulls `refText` into `cache`: every blob of the chosen image manifest is in the cache afterwards. */
export async function pullToCache(refText: string, cache: BlobCache, o: RegistryOptions = {}): Promise<PulledImage> {
  const ref = parseReference(refText);
  const where = formatReference(ref);
  const platform = parsePlatform(o.platform);
  const credentials = findCredentials(ref.registry, ref.repository, { creds: o.creds, authfile: o.authfile });
  const client = new RegistryClient(ref, { tlsVerify: o.tlsVerify, credentials, timeoutMs: o.timeoutMs, retries: o.retries });
  let fetchedBlobs = 0;
  let fetchedBytes = 0;
  try {
    let top = await client.manifest(manifestRef(ref));
    let doc = parseJson(top, where);
    let indexDigest: string | undefined;
    let desc: Descriptor = { mediaType: mediaTypeOf(top, doc), digest: top.digest, size: top.bytes.length };
    if (INDEX_TYPES.has(desc.mediaType!)) {
      indexDigest = top.digest;
      desc = choosePlatform(descriptors(doc, 'manifests', where), platform, where);
      if (desc.size > MANIFEST_MAX) throw new CfsError(`manifest ${desc.digest} larger than ${MANIFEST_MAX} bytes`, { file: where, code: 'EOCI' });
      top = (await cache.has(desc.digest, desc.size))
        ? { bytes: await cache.read(desc.digest), mediaType: desc.mediaType ?? '', digest: desc.digest }
        : await client.manifest(desc.digest);
      if (top.bytes.length !== desc.size) throw new CfsError(`manifest is ${top.bytes.length} bytes, the index says ${desc.size}`, { file: where, field: desc.digest, code: 'EOCI' });
      doc = parseJson(top, where);
      desc = { mediaType: mediaTypeOf(top, doc) || desc.mediaType, digest: desc.digest, size: desc.size };
    }
    if (!MANIFEST_TYPES.has(desc.mediaType!)) {
      throw new CfsError(`unsupported manifest type '${desc.mediaType}' (OCI or Docker v2 schema 2 expected)`, { file: where, field: 'mediaType', code: 'EOCI' });
    }
    const blobs = [descriptor(doc.config, 'config', where), ...descriptors(doc, 'layers', where)];
    for (const blob of blobs) {
      if (await cache.has(blob.digest, blob.size)) continue;
      await fetchBlob(client, cache, blob, o);
      fetchedBlobs++;
      fetchedBytes += blob.size;
    }
    // The manifest last: a manifest in the cache means its blobs are there too.
    if (!(await cache.has(desc.digest, desc.size))) await cache.putBytes(desc.digest, top.bytes);
    return { reference: where, manifestDigest: desc.digest, indexDigest, manifest: desc, fetchedBlobs, fetchedBytes };
  } finally {
    client.close();
    o.pullProgress?.stop();
  }
}

async function fetchBlob(client: RegistryClient, cache: BlobCache, blob: Descriptor, o: RegistryOptions): Promise<void> {
  const w = await cache.writer(blob.digest, blob.size);
  const bar = o.pullProgress?.blob(blob.digest, blob.size);
  try {
    await client.blob(blob.digest, () => w.begin(), async (chunk) => {
      await w.write(chunk);
      bar?.advance(chunk.length);
    });
    await w.commit();
    bar?.done();
  } catch (e) {
    await w.abort();
    throw e instanceof CfsError && e.code === 'EDIGEST' ? new CfsError(e.reason, { file: client.where, field: blob.digest, code: 'EDIGEST' }) : e;
  }
}

/** A one-manifest OCI image layout over the cache's blobs, removed by the returned function. */
async function layoutFor(cache: BlobCache, manifest: Descriptor): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = join(cache.tmp, `layout.${process.pid}.${randomBytes(4).toString('hex')}`);
  await fsp.mkdir(dir);
  await fsp.symlink(cache.blobs, join(dir, 'blobs'), 'junction');
  await fsp.writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await fsp.writeFile(join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: manifest.mediaType, digest: manifest.digest, size: manifest.size }] }));
  return { dir, remove: () => fsp.rm(dir, { recursive: true, force: true }) };
}

/** The tree of a `docker://` image: pulled into `o.cacheDir` (else a temporary cache), read as a layout. */
export async function loadRegistryImage(refText: string, o: RegistryOptions, source: SourceOptions = {}): Promise<{ root: Node; pulled: PulledImage }> {
  const temporary = o.cacheDir === undefined ? await fsp.mkdtemp(join(tmpdir(), 'cfskit-pull-')) : undefined;
  try {
    const cache = await BlobCache.open(o.cacheDir ?? temporary!, { exclusive: o.cacheLocked === true || temporary !== undefined });
    const pulled = await pullToCache(refText, cache, o);
    const layout = await layoutFor(cache, pulled.manifest);
    try {
      const root = await loadOciLayout(layout.dir, source);
      o.onPulled?.(pulled);
      return { root, pulled };
    } finally {
      await layout.remove();
    }
  } finally {
    if (temporary) await fsp.rm(temporary, { recursive: true, force: true });
  }
}

/** The digest the registry names for `refText` now (a digest reference names itself). */
export async function remoteDigest(refText: string, o: RegistryOptions = {}): Promise<string> {
  const ref = parseReference(refText);
  if (ref.digest !== undefined) return ref.digest;
  const credentials = findCredentials(ref.registry, ref.repository, { creds: o.creds, authfile: o.authfile });
  const client = new RegistryClient(ref, { tlsVerify: o.tlsVerify, credentials, timeoutMs: o.timeoutMs, retries: o.retries });
  try {
    return await client.manifestDigest(manifestRef(ref));
  } finally {
    client.close();
  }
}
