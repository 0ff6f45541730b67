/**
 * fs-verity digest of a file. A large file is cut into jobs of whole level-1 blocks (arity data
 * blocks each) hashed by worker threads; their level-1 digests join the tree in file order, and
 * the calling thread hashes the tail (less than one level-1 block). Small files are read and
 * hashed on the calling thread.
 */
import { availableParallelism } from 'node:os';
import { open, type FileHandle } from 'node:fs/promises';
import { CfsError, errnoCode } from '../errors.js';
import { leaseIoBuffer } from '../wasm/buffers.js';
import type { FsverityDigest } from './descriptor.js';
import { addLevel1, FsverityHasher } from './hasher.js';
import { resolveParams, type FsverityOptions } from './params.js';
import { rangePool } from './range.js';

/**
 * jobBytes: a worker job covers about this much data (rounded to whole level-1 blocks, at least
 * one); minBytes: smaller files are hashed on the calling thread (worker round trips would cost
 * more). Tests lower both to send small files through the workers.
 */
export const parallelTuning = { jobBytes: 16 << 20, minBytes: 32 << 20 };
/** hashOpenFile lets the event loop run after this many bytes. */
const YIELD_BYTES = 16 << 20;

export interface DigestFileOptions extends FsverityOptions {
  /** Threads hashing at once: 1 = the calling thread only; default: available parallelism. */
  workers?: number;
}

function ioError(path: string, action: string, err: unknown): CfsError {
  const e = err as NodeJS.ErrnoException;
  // Node's message starts "ECODE: description, syscall 'path'": keep the description
  const what = e.code && e.message.startsWith(`${e.code}: `) ? e.message.slice(e.code.length + 2).split(', ')[0] : String(e.message ?? err);
  return new CfsError(`${action}: ${what}`, { file: path, code: e.code === undefined ? 'EIO' : errnoCode(e.code) }, { cause: err });
}

export async function digestFile(path: string, opts: DigestFileOptions = {}): Promise<FsverityDigest> {
  const hasher = new FsverityHasher(opts);
  let file: FileHandle;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw ioError(path, 'cannot open for reading', err);
  }
  try {
    const st = await file.stat();
    if (st.isDirectory()) throw new CfsError('is a directory', { file: path, code: 'EISDIR' });
    const workers = Math.max(1, Math.floor(opts.workers ?? availableParallelism()));
    let done = 0;
    if (st.isFile() && workers > 1) done = await hashInWorkers(path, file.fd, st.size, opts, hasher, workers);
    await hashOpenFile(file, hasher, done).catch((err: unknown) => Promise.reject(ioError(path, 'read error', err)));
  } finally {
    await file.close();
  }
  return hasher.digest();
}

/**
 * Reads from `position` to the end on this thread, into Wasm memory where the bytes are hashed in
 * place; returns the bytes read. Reads are synchronous (no thread-pool round trip; from the page
 * cache a read costs a fraction of hashing it). The event loop gets a turn every YIELD_BYTES so
 * workers fed from this thread are not starved.
 */
export async function hashOpenFile(file: FileHandle, hasher: FsverityHasher, position = 0): Promise<number> {
  const start = position;
  const io = leaseIoBuffer();
  try {
    for (let sinceYield = 0; ; ) {
      const data = io.readSync(file.fd, position);
      if (data.length === 0) return position - start;
      position += data.length;
      hasher.update(data);
      sinceYield += data.length;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  } finally {
    io.release();
  }
}

/**
 * Hashes the file's whole level-1 spans in workers, feeding their level-1 digests to the hasher in
 * order, with at most `workers` jobs running and a bounded number of results waiting. Returns
 * the number of bytes covered (0 when the file is too small to split).
 */
function hashInWorkers(
  path: string,
  fd: number,
  size: number,
  opts: FsverityOptions,
  hasher: FsverityHasher,
  workers: number,
): Promise<number> {
  const p = resolveParams(opts);
  const span = p.arity * p.blockSize;
  const jobBytes = Math.max(1, Math.round(parallelTuning.jobBytes / span)) * span;
  // all whole level-1 spans go to workers (the last job may be shorter); the rest stays here
  const covered = size - (size % span);
  const jobs = Math.ceil(covered / jobBytes);
  const jobLength = (i: number) => Math.min(jobBytes, covered - i * jobBytes);
  if (size < parallelTuning.minBytes || jobs < 2) return Promise.resolve(0);
  const jobOpts = { hashAlg: p.hashAlg, blockSize: p.blockSize, salt: p.salt };
  return new Promise((resolve, reject) => {
    const results = new Map<number, Uint8Array>();
    let next = 0;
    let consumed = 0;
    let inFlight = 0;
    let failure: unknown;
    const pump = () => {
      for (let d; failure === undefined && (d = results.get(consumed)); consumed++) {
        results.delete(consumed);
        hasher[addLevel1](d, jobLength(consumed));
      }
      while (failure === undefined && inFlight < workers && next < jobs && next < consumed + 4 * workers) {
        const i = next++;
        inFlight++;
        rangePool.run({ fd, path, position: i * jobBytes, length: jobLength(i), opts: jobOpts }, workers)
          .then((digests) => results.set(i, digests), (err) => (failure ??= err))
          .finally(() => {
            inFlight--;
            pump();
          });
      }
      // on failure, wait for running jobs: they read from the fd the caller is about to close
      if (failure !== undefined && inFlight === 0) reject(failure);
      else if (consumed === jobs) resolve(covered);
    };
    pump();
  });
}
