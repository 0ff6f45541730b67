/**
 * Batchable files of a directory source hashed (and stored) by worker threads: the file list is
 * cut into jobs (filesTuning), each worker runs ContentBatcher over its job with its own Wasm
 * instance and its own handle on the digest store, and answers with the digests.
 */
import { workerUrl, WorkerPool } from '../../fsverity/pool.js';
import { ObjectStore } from '../../store/objects.js';
import { ContentBatcher } from './content.js';

export interface FilesJob {
  paths: Uint8Array[];
  sizes: number[];
  /** The digest store's directory, or null to hash only. */
  store: string | null;
}

/**
 * jobFiles: files per job, enough to fill many batches and few enough to share the work evenly;
 * minFiles: with fewer batchable files, all stay on the calling thread (starting workers would
 * cost more). Tests lower both to send small trees through the workers.
 */
export const filesTuning = { jobFiles: 512, minFiles: 2048 };
const DIGEST_SIZE = 32;

export const filesPool = new WorkerPool<FilesJob, Uint8Array>(workerUrl('files-worker', import.meta.url));

let workerStore: ObjectStore | null = null;

/** A job's digests, 32 bytes per file, its objects on disk when there is a store (runs in a worker). */
export async function hashFilesJob(job: FilesJob): Promise<Uint8Array> {
  if (job.store && workerStore?.dir !== job.store) workerStore = new ObjectStore(job.store, { deferWrites: true });
  const store = job.store ? workerStore : null;
  const digests = new Uint8Array(job.paths.length * DIGEST_SIZE);
  const batcher = new ContentBatcher<number>(store, (i, obj) => digests.set(obj.digest, i * DIGEST_SIZE));
  for (const [i, raw] of job.paths.entries()) {
    const path = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    await batcher.addFile(i, path, job.sizes[i], { file: path.toString(), code: 'EDIR' });
  }
  await batcher.finish();
  await store?.flush();
  return digests;
}
