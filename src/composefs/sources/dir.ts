/**
 * Directory source: the tree `mkcomposefs --skip-xattrs DIR` builds (spec composefs-image.md
 * composefs-image.md §4.1.4). Entries are lstat'ed (symlinks never followed), names and targets kept as bytes,
 * mtimes to the nanosecond (bigint stat). Every non-directory gets nlink 1 and its own inode
 * unless `preserveHardlinks`, where files sharing st_dev/st_ino become one inode.
 * Node.js cannot read extended attributes: the tree carries none (use overrides to add them).
 * Where lstat gives no real modes and owners (Windows, FAT/exFAT/SMB mounts) the host-modes.ts
 * policy replaces them, with one warning per directory source.
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from 'node:fs';
import { availableParallelism } from 'node:os';
import { isDevice, isDir, isLnk, isReg, Node, S_IFMT } from '../../tree/tree.js';
import { CfsError } from '../../errors.js';
import { accessError, batchable, FileContents, setExternal } from './content.js';
import { filesPool, filesTuning, hashFiles, type FilesJob } from './files-job.js';
import { stored } from '../../store/objects.js';
import { finalizeHardlinks } from './hardlinks.js';
import { POLICY_WARNING, hasPosixMetadata, policyMode, readHead } from './host-modes.js';
import type { SourceOptions } from './options.js';

const SLASH = Buffer.from('/');

interface PendingFile {
  node: Node;
  path: Buffer;
  size: bigint;
}

export async function loadDirectory(dir: string, opts: SourceOptions = {}): Promise<Node> {
  const rootPath = Buffer.from(dir);
  const rootStat = lstatEntry(rootPath);
  if (!rootStat.isDirectory()) {
    throw new CfsError('the source must be a directory', { file: dir, code: 'EDIR' });
  }
  const posix = hasPosixMetadata(rootPath, opts.platform);
  if (!posix) (opts.warn ?? warnOnStderr)(POLICY_WARNING);
  const root = nodeFromStat(new Uint8Array(0), rootStat);
  if (!posix) applyPolicy(root, rootPath);
  const files: PendingFile[] = [];
  const inodes = new Map<string, Node>();
  // The walk is synchronous: lstat and readdir of cached metadata are several times faster
  // without the thread-pool round trip, and nothing else needs the event loop meanwhile.
  const dirs: { node: Node; path: Buffer }[] = [{ node: root, path: rootPath }];
  while (dirs.length > 0) {
    const d = dirs.pop()!;
    for (const name of readdirEntry(d.path)) {
      const path = Buffer.concat([d.path, SLASH, name]);
      const st = lstatEntry(path);
      const node = nodeFromStat(new Uint8Array(name), st);
      if (!posix) applyPolicy(node, path);
      if (opts.skipDevices && isDevice(node.mode)) continue;
      d.node.addChild(node);
      if (isDir(node.mode)) {
        dirs.push({ node, path });
        continue;
      }
      if (opts.preserveHardlinks && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const owner = inodes.get(key);
        if (owner) {
          node.linkTo = owner;
          continue;
        }
        inodes.set(key, node);
      }
      if (isLnk(node.mode)) {
        node.payload = new Uint8Array(readlinkEntry(path));
        node.size = BigInt(node.payload.length);
      } else if (isReg(node.mode)) {
        files.push({ node, path, size: st.size });
      }
    }
  }
  opts.progress?.setTotal(Number(files.reduce((sum, f) => sum + f.size, 0n)));
  await fillContents(files, opts);  if (opts.preserveHardlinks) finalizeHardlinks(root);
  return root;
}

/**
 * Content of every regular file. With several threads and enough files, batchable files are cut
 * into jobs (filesTuning) taken by threads − 1 workers and by this thread, once it has done the
 * other files (inline, large).
 */
async function fillContents(files: PendingFile[], opts: SourceOptions): Promise<void> {
  const store = opts.store ?? null;
  const threads = Math.max(1, Math.floor(opts.threads ?? availableParallelism()));
  const parallel = threads > 1 && files.filter((f) => batchable(f.size)).length >= filesTuning.minFiles;
  const jobs: PendingFile[][] = [];
  const here: PendingFile[] = [];
  for (const f of files) {
    if (!parallel || !batchable(f.size)) {
      here.push(f);
      continue;
    }
    f.node.size = f.size;
    const last = jobs.at(-1);
    if (last && last.length < filesTuning.jobFiles) last.push(f);
    else jobs.push([f]);
  }
  let next = 0;
  let failed = false;
  /** Takes jobs until none is left or one failed anywhere. */
  const lane = async (run: (job: FilesJob) => Promise<Uint8Array>): Promise<void> => {
    while (!failed && next < jobs.length) {
      const job = jobs[next++];
      const digests = await run({ paths: job.map((f) => f.path), sizes: job.map((f) => Number(f.size)), store: store?.dir ?? null });
      job.forEach((f, i) => {
        const bytes = digests.subarray(i * 32, (i + 1) * 32);
        setExternal(f.node, stored({ bytes, hex: Buffer.from(bytes).toString('hex') }));
        opts.progress?.advance(1, Number(f.size));
      });
    }
  };
  const thisThread = async (): Promise<void> => {
    const contents = new FileContents(store);
    for (const f of here) {
      await contents.add(f.node, f.path, f.size, { file: f.path.toString(), code: 'EDIR' }).catch(
        (err) => Promise.reject(err instanceof CfsError ? err : accessError(f.path, err)),
      );
      opts.progress?.advance(1, Number(f.size));
    }
    await contents.finish();
    await lane((job) => hashFiles(job.paths, job.sizes, store));
  };
  const workers = parallel ? threads - 1 : 0;
  const lanes = [thisThread(), ...Array.from({ length: workers }, () => lane((job) => filesPool.run(job, workers)))];
  // every lane ends (its objects written or cleaned up) before anything is reported
  const results = await Promise.allSettled(lanes.map((l) => l.catch((err: unknown) => ((failed = true), Promise.reject(err)))));
  const bad = results.find((r) => r.status === 'rejected');
  if (bad) throw bad.reason;
}

/** Inode fields from lstat, as lcfs_load_node_from_file takes them (composefs-image.md §4.1.4). */
function nodeFromStat(name: Uint8Array, st: BigIntStats): Node {
  const node = new Node(name, Number(st.mode));
  node.uid = Number(st.uid);
  node.gid = Number(st.gid);
  node.rdev = Number(st.rdev & 0xffffffffn);
  node.mtimeSec = floorDiv(st.mtimeNs, 1_000_000_000n);
  node.mtimeNsec = Number(st.mtimeNs - node.mtimeSec * 1_000_000_000n);
  node.size = isDir(node.mode) ? 0n : st.size;
  return node;
}

/** The host-modes.ts policy in place of lstat's mode and owner. */
function applyPolicy(node: Node, path: Buffer): void {
  const type = node.mode & S_IFMT;
  node.mode = policyMode(type, isReg(node.mode) ? readHeadEntry(path) : new Uint8Array(0));
  node.uid = 0;
  node.gid = 0;
}

const warnOnStderr = (message: string) => process.stderr.write(`cfskit: warning: ${message}\n`);

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b < 0n ? q - 1n : q;
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function lstatEntry(path: Buffer): BigIntStats {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    throw accessError(path, err);
  }
}

function readdirEntry(path: Buffer): Buffer[] {
  try {
    return readdirSync(path, { encoding: 'buffer' });
  } catch (err) {
    throw accessError(path, err);
  }
}

function readHeadEntry(path: Buffer): Uint8Array {
  try {
    return readHead(path);
  } catch (err) {
    throw accessError(path, err);
  }
}

function readlinkEntry(path: Buffer): Buffer {
  try {
    return readlinkSync(path, { encoding: 'buffer' });
  } catch (err) {
    throw accessError(path, err);
  }
}
