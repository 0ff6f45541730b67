/**
 * `cfskit pull`: copies stub commits, their images and the backing objects the images name from
 * a remote's static repository (refs/heads/REF, objects/XX/REST.commit, .commitmeta,
 * cfs/objects/XX/REST) into this repository. Order, per ref: ref → commit (SHA-256 = its name)
 * → detached metadata → ed25519 signature where the remote wants one → image (for a ref's tip,
 * built from the remote's delta against the image the local ref names when there is one, else
 * fetched whole; fs-verity = the commit's ostree.composefs.digest.v0) → each backing object missing here (fs-verity = the
 * digest the image names; its path comes from that digest) through the store's atomic write →
 * image link → commitmeta → commit → the ref, last. Anything that does not verify is refused
 * before it is renamed into place, so a failed pull changes no ref and stores nothing
 * unverified; a re-run fetches only what is still missing.
 */
import { lstatSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CfsError } from '../errors.js';
import { readImage } from '../composefs/erofs/reader.js';
import type { Node } from '../tree/tree.js';
import type { ProgressSink } from '../composefs/sources/options.js';
import { digestBytes } from '../fsverity/index.js';
import { openCfs, storeImage } from '../cfs/store.js';
import { reclaimRepoTemps } from '../cfs/temps.js';
import { ObjectStore, objectPath as cfsObjectPath } from '../store/objects.js';
import { META } from '../ostree/commit.js';
import { decodeCommit, type Commit } from '../ostree/formats.js';
import { lookup, type VarDict } from '../formats/gvariant.js';
import { withRepoLock } from '../ostree/lock.js';
import { MAX_METADATA_SIZE, isChecksum, readMetadata, sha256Hex, toHex, writeMetadata } from '../ostree/objects.js';
import { isValidRefName, readRef, writeRef } from '../ostree/refs.js';
import { type Repo, repoFs } from '../ostree/repo.js';
import { decodeSummary } from '../ostree/summary.js';
import { readRemote, type Remote } from '../remote/config.js';
import { decodeDetached, readDetached, writeDetached } from '../sign/commitmeta.js';
import { verifyCommitSignature } from '../sign/commit.js';
import { readKeysFile } from '../sign/ed25519.js';
import { HttpClient, type HttpOptions } from './http.js';
import { convertedFrom, pullOstreeCommit } from './ostree-commit.js';
import { mapLimit } from '../composefs/sources/dir.js';
import { MAX_IMAGE_SIZE, applyDelta, deltaPath, stubImageDigest } from './delta.js';

const MAX_REF_SIZE = 1024;

export interface PullOptions extends HttpOptions {
  /** Name of a remote in the repo's config. */
  remote: string;
  /** Refs to pull; default the remote's `branches=`, else every ref of its summary. */
  refs?: string[];
  /** Parent commits to pull behind each ref (-1: all; default 0). */
  depth?: number;
  /** Write refs/heads/REF instead of refs/remotes/REMOTE/REF. */
  mirror?: boolean;
  /** Fetch and verify metadata and images, count what would be fetched, write nothing. */
  dryRun?: boolean;
  progress?: ProgressSink;
}

export interface PulledRef {
  /** The ref written (`REMOTE:REF`, or REF with mirror). */
  ref: string;
  checksum: string;
  /** Where the ref pointed before (undefined: it did not exist). */
  previous?: string;
}

export interface PullResult {
  refs: PulledRef[];
  /** Commits written (or, dry-run, that would be). */
  commits: number;
  /** Backing objects fetched (or missing, dry-run) and their bytes. */
  objects: number;
  bytes: number;
  /** HTTP requests made, bytes received, retries. */
  requests: number;
  received: number;
  retries: number;
}

/** A commit on its way in: what is written once everything it names is stored. */
interface Incoming {
  checksum: string;
  /** The commit's bytes when fetched (undefined: already stored here). */
  bytes?: Uint8Array;
  detached?: Uint8Array;
  image: string;
  /** The image's bytes when fetched. */
  imageBytes?: Uint8Array;
}

export async function pull(repo: Repo, o: PullOptions): Promise<PullResult> {
  const remote = readRemote(repo, o.remote);
  const client = new HttpClient(remote.url, o);
  try {
    return await withRepoLock(repo, () => pullLocked(repo, remote, client, o));
  } finally {
    client.close();
  }
}

/** The refs a remote's summary lists (`cfskit remote refs`): name → checksum. */
export async function remoteRefs(repo: Repo, name: string, opts: HttpOptions = {}): Promise<Map<string, string>> {
  const client = new HttpClient(readRemote(repo, name).url, opts);
  try {
    const s = await fetchSummary(client);
    if (!s) throw new CfsError('the remote has no summary file', { file: client.urlOf('summary'), code: 'EREMOTE' });
    return s;
  } finally {
    client.close();
  }
}

async function fetchSummary(client: HttpClient): Promise<Map<string, string> | undefined> {
  const bytes = await client.getBytes('summary', 64 << 20, true);
  if (!bytes) return undefined;
  return new Map(decodeSummary(bytes, client.urlOf('summary')).refs.map((r) => [r.name, r.checksum]));
}

async function pullLocked(repo: Repo, remote: Remote, client: HttpClient, o: PullOptions): Promise<PullResult> {
  const cfs = await openCfs(repo);
  if (!o.dryRun) reclaimRepoTemps(repo);
  const keys = remote.signVerify ? [...remote.ed25519Keys, ...(remote.ed25519File ? readKeysFile(remote.ed25519File) : [])] : [];
  let names = o.refs?.length ? o.refs : remote.branches;
  let fromSummary: Map<string, string> | undefined;
  if (names.length === 0) {
    fromSummary = await fetchSummary(client);
    if (!fromSummary) throw new CfsError(`no ref given, remote "${remote.name}" has no branches= and no summary`, { file: client.urlOf('summary'), code: 'EREMOTE' });
    names = [...fromSummary.keys()];
  }
  for (const n of names) if (!isValidRefName(n)) throw new CfsError(`invalid ref name '${n}'`, { field: 'ref', code: 'EREF' });

  const refName = (name: string) => (o.mirror ? name : `${remote.name}:${name}`);
  const incoming: Incoming[] = [];
  const seen = new Set<string>();
  const tips: { name: string; checksum: string }[] = [];
  const conversions: { tip: { name: string; checksum: string }; checksum: string; bytes: Uint8Array; commit: Commit }[] = [];
  for (const name of names) {
    const checksum = fromSummary?.get(name) ?? (await fetchRef(client, name));
    tips.push({ name, checksum });
    const depth = o.depth ?? 0;
    let next: string | null = checksum;
    for (let level = 0; next && (depth < 0 || level <= depth) && !seen.has(next); level++) {
      seen.add(next);
      // a parent the server no longer has ends the history (as after `prune --depth`)
      const c = await fetchCommit(repo, client, next, keys, remote, level === 0 ? name : undefined, level === 0 ? localImage(repo, refName(name)) : undefined);
      if (!c) break;
      if (c.ostree) {
        // an ordinary ostree commit: converted into a stub commit (ostree-commit.ts); no history
        if (level === 0) conversions.push({ tip: tips[tips.length - 1], checksum: next, bytes: c.incoming.bytes ?? readLocalCommit(repo, next)!, commit: c.commit });
        break;
      }
      incoming.push(c.incoming);
      next = c.commit.parent;
    }
  }

  // Backing objects the images name that are missing here: digest → size.
  const store = new ObjectStore(cfs.objects, { deferWrites: true, syncOnce: true, fs: repoFs(repo) });
  const missing = new Map<string, bigint>();
  for (const c of incoming) {
    for (const [hex, size] of backingSizes(c.imageBytes ?? (await readLocalImage(cfs.objects, c.image)), c.image)) {
      if (!missing.has(hex) && !store.has(hex, size)) missing.set(hex, size);
    }
  }
  let bytes = 0n;
  for (const s of missing.values()) bytes += s;
  const result: PullResult = {
    refs: [], commits: incoming.filter((c) => c.bytes).length, objects: missing.size, bytes: Number(bytes), requests: 0, received: 0, retries: 0,
  };
  if (!o.dryRun) {
    o.progress?.setTotal(Number(bytes));
    // Each object is verified, then written in the background while the next ones download; the
    // store syncs the filesystem once per batch before renaming it into place, and flush() places
    // the last batch and syncs the names, so all is durable before anything names the objects.
    try {
      await mapLimit([...missing], o.concurrency ?? 16, async ([hex, size]) => {
        const path = `cfs/objects/${cfsObjectPath(hex)}`;
        await client.get(path, (body) => store.addStream(body.chunks, size, { file: client.urlOf(path), code: 'EFETCH' }, hex));
        o.progress?.advance(1, Number(size));
      });
    } catch (err) {
      await store.flush().catch(() => undefined);
      throw err;
    }
    await store.flush();
    // parents before children, so a stored commit always has its image and objects
    for (const c of [...incoming].reverse()) {
      if (c.imageBytes) await storeImage(repo, c.imageBytes);
      if (!c.bytes) continue;
      if (c.detached) writeDetached(repo, c.checksum, decodeDetached(c.detached));
      writeMetadata(repo, 'commit', c.bytes);
    }
  }
  for (const c of conversions) {
    const ref = refName(c.tip.name);
    const current = readRef(repo, ref);
    const done = current && convertedFrom(readCommitAt(repo, current)) === c.checksum;
    if (done) c.tip.checksum = current;
    else if (o.dryRun) result.commits++;
    else {
      const r = await pullOstreeCommit(repo, client, c.checksum, c.bytes, c.commit, { parent: current ?? null, concurrency: o.concurrency ?? 16, progress: o.progress });
      c.tip.checksum = r.stub;
      result.commits++;
      result.objects += r.fetched;
    }
  }
  for (const t of tips) {
    const ref = refName(t.name);
    const previous = readRef(repo, ref);
    if (!o.dryRun && previous !== t.checksum) writeRef(repo, ref, t.checksum);
    result.refs.push({ ref, checksum: t.checksum, previous });
  }
  Object.assign(result, { requests: client.stats.requests, received: client.stats.bytes, retries: client.stats.retries });
  return result;
}

async function fetchRef(client: HttpClient, name: string): Promise<string> {
  const path = `refs/heads/${name}`;
  const bytes = await client.getBytes(path, MAX_REF_SIZE);
  const text = Buffer.from(bytes!).toString('utf8').trim();
  if (!isChecksum(text)) throw new CfsError('ref does not hold a checksum', { file: client.urlOf(path), code: 'EREF' });
  return text;
}

function readCommitAt(repo: Repo, checksum: string): Commit {
  return decodeCommit(readMetadata(repo, 'commit', checksum), checksum);
}

function readLocalCommit(repo: Repo, checksum: string): Uint8Array | undefined {
  try {
    return readMetadata(repo, 'commit', checksum, true);
  } catch (e) {
    if (e instanceof CfsError && e.code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * The commit (stored here, else fetched and checked against its checksum), its detached
 * metadata, its signature where the remote wants one, the ref binding of a ref's tip, and its
 * image (stored here, else fetched and checked against the commit's composefs digest).
 */
async function fetchCommit(repo: Repo, client: HttpClient, checksum: string, keys: string[], remote: Remote, ref?: string, base?: string): Promise<{ incoming: Incoming; commit: Commit; ostree?: boolean } | undefined> {
  const rel = `objects/${checksum.slice(0, 2)}/${checksum.slice(2)}`;
  const local = readLocalCommit(repo, checksum);
  const bytes = local ?? (await client.getBytes(`${rel}.commit`, MAX_METADATA_SIZE, ref === undefined));
  if (!bytes) return undefined;
  const url = client.urlOf(`${rel}.commit`);
  if (!local && sha256Hex(bytes) !== checksum) throw new CfsError(`commit content has SHA-256 ${sha256Hex(bytes)}, expected ${checksum}`, { file: url, code: 'ECHECKSUM' });
  const commit = decodeCommit(bytes, url);
  let detachedBytes: Uint8Array | undefined;
  let detached: VarDict | undefined;
  if (local) detached = readDetached(repo, checksum);
  else {
    detachedBytes = (await client.getBytes(`${rel}.commitmeta`, MAX_METADATA_SIZE, true)) ?? undefined;
    if (detachedBytes) detached = decodeDetached(detachedBytes, client.urlOf(`${rel}.commitmeta`));
  }
  if (remote.signVerify) verifyCommitSignature(bytes, checksum, detached, keys);
  if (ref !== undefined) checkRefBinding(commit, checksum, ref, url);
  if (!lookup(commit.metadata, META.composefsDigest)) return { incoming: { checksum, bytes: local ? undefined : bytes, detached: detachedBytes, image: '' }, commit, ostree: true };
  const image = stubImageDigest(commit, url);
  const incoming: Incoming = { checksum, bytes: local ? undefined : bytes, detached: detachedBytes, image };
  const cfsObjects = join(repo.path, 'cfs', 'objects');
  if (!hasObject(cfsObjects, image)) {
    incoming.imageBytes = (base !== undefined && base !== image ? await imageFromDelta(client, cfsObjects, base, image) : undefined) ?? (await fetchImage(client, image, checksum));
  }
  return { incoming, commit };
}

async function fetchImage(client: HttpClient, image: string, checksum: string): Promise<Uint8Array> {
  const path = `cfs/objects/${cfsObjectPath(image)}`;
  const img = (await client.getBytes(path, MAX_IMAGE_SIZE))!;
  const d = digestBytes(img).hex;
  if (d !== image) throw new CfsError(`image has fs-verity digest ${d}, expected ${image} (ostree.composefs.digest.v0 of commit ${checksum})`, { file: client.urlOf(path), code: 'EDIGEST' });
  return img;
}

/**
 * Image `to` from the remote's delta against image `from` stored here (delta.ts), when the remote
 * has one and it yields bytes of fs-verity digest `to`; undefined otherwise (the caller fetches
 * the whole image).
 */
async function imageFromDelta(client: HttpClient, objects: string, from: string, to: string): Promise<Uint8Array | undefined> {
  const path = deltaPath(from, to);
  const delta = await client.getBytes(path, MAX_IMAGE_SIZE, true);
  if (!delta) return undefined;
  try {
    const img = applyDelta(delta, await readLocalImage(objects, from), from, to, client.urlOf(path));
    return digestBytes(img).hex === to ? img : undefined;
  } catch (e) {
    if (e instanceof CfsError) return undefined;
    throw e;
  }
}

/** The image of the commit a local ref names, if the ref, its commit and that image are here. */
function localImage(repo: Repo, ref: string): string | undefined {
  const checksum = readRef(repo, ref);
  const bytes = checksum && readLocalCommit(repo, checksum);
  if (!bytes) return undefined;
  try {
    const image = stubImageDigest(decodeCommit(bytes, checksum), checksum);
    return hasObject(join(repo.path, 'cfs', 'objects'), image) ? image : undefined;
  } catch (e) {
    if (e instanceof CfsError) return undefined;
    throw e;
  }
}

/** ostree's ref binding: a commit bound to refs may only be pulled under one of them. */
function checkRefBinding(commit: Commit, checksum: string, ref: string, file: string): void {
  const v = lookup(commit.metadata, META.refBinding);
  if (!v) return;
  const bound = v.type === 'as' ? (v.value as string[]) : [];
  if (!bound.includes(ref)) throw new CfsError(`commit ${checksum} is bound to ref(s) ${bound.map((b) => `'${b}'`).join(', ') || '(none)'}, not '${ref}'`, { file, field: META.refBinding, code: 'EREFBINDING' });
}

/** Digest → size of every backing object an image names (digests come from the image, paths from them). */
function backingSizes(image: Uint8Array, hex: string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  const stack: Node[] = [readImage(image, { file: `image ${hex}` })];
  while (stack.length > 0) {
    const n = stack.pop()!;
    if (n.children) stack.push(...n.children);
    if (n.digest) out.set(toHex(n.digest), n.size);
  }
  return out;
}

async function readLocalImage(objects: string, hex: string): Promise<Uint8Array> {
  return readFile(join(objects, cfsObjectPath(hex)));
}

function hasObject(objects: string, hex: string, size?: bigint): boolean {
  const st = lstatSync(join(objects, cfsObjectPath(hex)), { bigint: true, throwIfNoEntry: false });
  return st !== undefined && st.isFile() && (size === undefined || st.size === size);
}
