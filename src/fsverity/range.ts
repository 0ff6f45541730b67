/** Hashing one range of whole level-1 blocks of a file into their level-1 digests (a worker's job). */
import { CfsError } from '../errors.js';
import { IO_SIZE, leaseIoBuffer } from '../wasm/buffers.js';
import { resolveParams, type FsverityOptions } from './params.js';
import { workerUrl, WorkerPool } from './pool.js';
import { MerkleTree } from './tree.js';

export interface RangeJob {
  fd: number;
  /** For error messages. */
  path: string;
  /** Both multiples of the level-1 span, arity × block size. */
  position: number;
  length: number;
  opts: FsverityOptions;
}

/** The workers hashing ranges (worker.ts), shared by all digestFile calls of this thread. */
export const rangePool = new WorkerPool<RangeJob, Uint8Array>(workerUrl('worker', import.meta.url));

/** Reads the range with positioned reads (the fd is shared with other threads) and returns its level-1 digests. */
export function hashLevel1Range(job: RangeJob): Uint8Array {
  const p = resolveParams(job.opts);
  const out = new Uint8Array((job.length / (p.arity * p.blockSize)) * p.digestSize);
  let filled = 0;
  const tree = new MerkleTree(p, (digest) => {
    out.set(digest, filled);
    filled += digest.length;
  });
  const io = leaseIoBuffer();
  try {
    for (let pos = job.position, end = job.position + job.length; pos < end; ) {
      const data = io.readSync(job.fd, pos, Math.min(IO_SIZE, end - pos));
      // a short read of a regular file before its stat size means it shrank while being read
      if (data.length % p.blockSize !== 0 || data.length === 0) {
        throw new CfsError('file changed while being read', { file: job.path, offset: pos + data.length, code: 'ECHANGED' });
      }
      tree.addBlocks(data);
      pos += data.length;
    }
  } finally {
    io.release();
  }
  return out;
}
