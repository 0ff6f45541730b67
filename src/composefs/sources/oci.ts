/**
 * OCI image layout source (`--from-oci DIR[:TAG]`, image-spec image-layout.md): index.json →
 * manifest (the one whose `org.opencontainers.image.ref.name` annotation is TAG, or the only one;
 * a nested image index is resolved by the host platform) → config and layers. Every blob is
 * checked against its descriptor's digest and size; layer blobs while they stream, and each
 * uncompressed layer against the config's `rootfs.diff_ids`, before the layer is applied.
 * The layout is outside data: index.json and blobs are opened without following a symlink in their
 * last component, must be regular files (never a device or fifo), and are read under a byte budget
 * counted while reading (a descriptor's size, or JSON_MAX for index.json), never trusted from `stat`.
 */
import { createHash, type Hash } from 'node:crypto';
import { constants, promises as fsp, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Node } from '../../tree/tree.js';
import { CfsError } from '../../errors.js';
import { finalizeHardlinks } from './hardlinks.js';
import { defaultDir } from './layers.js';
import type { SourceOptions } from './options.js';
import { applyLayer } from './tar.js';

const REF_NAME = 'org.opencontainers.image.ref.name';
const INDEX_TYPES = new Set([
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
]);
/** index.json, manifests and configs are read whole; anything larger is refused. */
const JSON_MAX = 16 << 20;
/** Bytes read from a blob per call. */
const READ_CHUNK = 256 * 1024;
/** open(2) flags for a layout file: no symlink as the last component, no blocking on a fifo (0 where the platform lacks them). */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const DIGEST_RE = /^(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$/;
export const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export interface Descriptor {
  mediaType?: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
}

/** Splits `DIR[:TAG]`: a path that exists as given is a directory, else the part after the last ':' is the tag. */
export async function parseOciRef(ref: string): Promise<{ dir: string; tag: string | null }> {
  const colon = ref.lastIndexOf(':');
  if (colon <= 0 || (await isDir(ref))) return { dir: ref, tag: null };
  return { dir: ref.slice(0, colon), tag: ref.slice(colon + 1) };
}

export async function loadOciLayout(ref: string, opts: SourceOptions = {}): Promise<Node> {
  const { dir, tag } = await parseOciRef(ref);
  const index = await readJson(join(dir, 'index.json'), null, dir);
  let desc = pickManifest(asDescriptors(index, 'manifests', dir), tag, dir);
  let manifest = await readJson(blobPath(dir, desc), desc, dir);
  while (INDEX_TYPES.has(String(manifest.mediaType ?? desc.mediaType))) {
    desc = pickPlatform(asDescriptors(manifest, 'manifests', dir), dir);
    manifest = await readJson(blobPath(dir, desc), desc, dir);
  }
  const configDesc = asDescriptor(manifest.config, 'config', dir);
  const config = await readJson(blobPath(dir, configDesc), configDesc, dir);
  const layers = asDescriptors(manifest, 'layers', dir);
  const diffIds = (config.rootfs as { diff_ids?: unknown } | undefined)?.diff_ids;
  if (!Array.isArray(diffIds) || diffIds.length !== layers.length || !diffIds.every((d) => typeof d === 'string' && DIGEST_RE.test(d))) {
    throw new CfsError(`config rootfs.diff_ids must list one digest per layer (${layers.length})`, { file: blobPath(dir, configDesc), code: 'EOCI' });
  }
  opts.progress?.setTotal(layers.reduce((sum, l) => sum + l.size, 0));
  const root = defaultDir(new Uint8Array(0));
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i];
    const file = blobPath(dir, layer);
    const blobHash = hasher(layer.digest);
    const diffId = diffIds[i] as string;
    const diffHash = hasher(diffId);
    let blobSize = 0;
    const bytes = (async function* () {
      for await (const chunk of readBounded(file, layer.size, 'layer')) {
        blobSize += chunk.length;
        blobHash.update(chunk);
        yield chunk;
      }
    })();
    await applyLayer(root, bytes, file, opts, {
      uncompressed: (chunk) => diffHash.update(chunk),
      verify: () => {
        checkDigest(blobHash, layer.digest, file, 'layer digest');
        if (blobSize !== layer.size) throw new CfsError(`layer is ${blobSize} bytes, its descriptor says ${layer.size}`, { file, code: 'EOCI' });
        checkDigest(diffHash, diffId, file, `uncompressed layer digest (config rootfs.diff_ids[${i}])`);
      },
    }).catch((err) => Promise.reject(missingBlob(err, file)));
  }
  finalizeHardlinks(root);
  return root;
}

function pickManifest(manifests: Descriptor[], tag: string | null, dir: string): Descriptor {
  if (tag !== null) {
    const found = manifests.filter((m) => m.annotations?.[REF_NAME] === tag);
    if (found.length === 1) return found[0];
    throw new CfsError(found.length ? `tag '${tag}' names several manifests` : `no manifest tagged '${tag}'`, { file: join(dir, 'index.json'), code: 'EOCI' });
  }
  if (manifests.length === 1) return manifests[0];
  const tags = manifests.map((m) => m.annotations?.[REF_NAME]).filter(Boolean);
  throw new CfsError(`the index has ${manifests.length} manifests; choose one with DIR:TAG (tags: ${tags.join(', ') || 'none'})`, {
    file: join(dir, 'index.json'),
    code: 'EOCI',
  });
}

function pickPlatform(manifests: Descriptor[], dir: string): Descriptor {
  const arch = GOARCH[process.arch] ?? process.arch;
  const found = manifests.filter((m) => (m.platform?.os ?? 'linux') === 'linux' && m.platform?.architecture === arch);
  if (found.length >= 1) return found[0];
  if (manifests.length === 1) return manifests[0];
  throw new CfsError(`the image index has no manifest for linux/${arch}`, { file: dir, code: 'EOCI' });
}

/** `value` as a descriptor (digest and size checked); `dir` names the document in a refusal. */
export function asDescriptor(value: unknown, field: string, dir: string): Descriptor {
  const d = value as Descriptor;
  if (!d || typeof d !== 'object' || typeof d.digest !== 'string' || !DIGEST_RE.test(d.digest) || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new CfsError('invalid descriptor (digest and size required)', { file: dir, field, code: 'EOCI' });
  }
  return d;
}

/** The descriptor list `doc[field]`, each checked as asDescriptor does. */
export function asDescriptors(doc: Record<string, unknown>, field: string, dir: string): Descriptor[] {
  const list = doc[field];
  if (!Array.isArray(list)) throw new CfsError(`missing '${field}' list`, { file: dir, field, code: 'EOCI' });
  return list.map((d, i) => asDescriptor(d, `${field}[${i}]`, dir));
}

function blobPath(dir: string, desc: Descriptor): string {
  const [alg, hex] = desc.digest.split(':');
  return join(dir, 'blobs', alg, hex);
}

function hasher(digest: string): Hash {
  return createHash(digest.slice(0, digest.indexOf(':')));
}

function checkDigest(h: Hash, want: string, file: string, what: string): void {
  const got = `${want.slice(0, want.indexOf(':'))}:${h.digest('hex')}`;
  if (got !== want) throw new CfsError(`${what} mismatch: content is ${got}, expected ${want}`, { file, code: 'EOCI' });
}

/** Reads a small JSON document (bounded by its descriptor's size, else JSON_MAX); with a descriptor, checks its size and digest. */
async function readJson(file: string, desc: Descriptor | null, dir: string): Promise<Record<string, unknown>> {
  if (desc && desc.size > JSON_MAX) throw new CfsError(`descriptor size ${desc.size} is over the ${JSON_MAX}-byte limit for a JSON document`, { file, code: 'EOCI' });
  const parts: Uint8Array[] = [];
  try {
    for await (const chunk of readBounded(file, desc ? desc.size : JSON_MAX, desc ? 'blob' : 'JSON document')) parts.push(chunk);
  } catch (err) {
    throw missingBlob(err, file, dir);
  }
  const data = Buffer.concat(parts);
  if (desc) {
    if (data.length !== desc.size) throw new CfsError(`blob is ${data.length} bytes, its descriptor says ${desc.size}`, { file, code: 'EOCI' });
    const h = hasher(desc.digest);
    h.update(data);
    checkDigest(h, desc.digest, file, 'blob digest');
  }
  try {
    const doc = JSON.parse(data.toString('utf8')) as unknown;
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('not a JSON object');
    return doc as Record<string, unknown>;
  } catch (err) {
    throw new CfsError(`invalid JSON: ${(err as Error).message}`, { file, code: 'EOCI' });
  }
}

/**
 * The bytes of a layout file, refused once more than `limit` bytes were read (`what` names it in
 * the error). Regular files only, opened without following a symlink in the last component.
 */
async function* readBounded(file: string, limit: number, what: string): AsyncGenerator<Uint8Array> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(file, OPEN_FLAGS);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ELOOP' || code === 'EMLINK') throw new CfsError(`${what} is a symlink (the layout must hold regular files)`, { file, code: 'EOCI' }, { cause: err });
    throw err;
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new CfsError(`${what} is a ${fileKind(st)}, not a regular file`, { file, code: 'EOCI' });
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(READ_CHUNK);
      const { bytesRead } = await fh.read(buf, 0, Math.min(READ_CHUNK, limit - total + 1), null);
      if (bytesRead === 0) return;
      total += bytesRead;
      if (total > limit) throw new CfsError(`${what} is larger than ${limit} bytes${what === 'JSON document' ? '' : ', its descriptor size'}`, { file, code: 'EOCI' });
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  return 'special file';
}

function missingBlob(err: unknown, file: string, dir?: string): unknown {
  if (err instanceof CfsError) return err;
  const e = err as NodeJS.ErrnoException;
  const what = dir && file === join(dir, 'index.json') ? 'not an OCI image layout (no index.json)' : `cannot read blob: ${e.code ?? e.message}`;
  return new CfsError(what, { file, code: 'EOCI' }, { cause: err });
}

async function isDir(path: string): Promise<boolean> {
  return fsp.stat(path).then((st) => st.isDirectory(), () => false);
}
