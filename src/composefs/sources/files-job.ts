/**
 * Batchable files of a directory source in jobs (filesTuning) shared by the calling thread and
 * worker threads: a worker runs ContentBatcher over its job with its own Wasm instance and its
 * own handle on the digest store, and answers with the digests.
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

/** A job's digests, 32 bytes per file, its objects on disk when there is a store (in a worker). */
export async function hashFilesJob(job: FilesJob): Promise<Uint8Array> {
  if (job.store && workerStore?.dir !== job.store) workerStore = new ObjectStore(job.store, { deferWrites: true });
  const store = job.store ? workerStore : null;
  const digests = await hashFiles(job.paths, job.sizes, store);
  await store?.flush();
  return digests;
}

/** The files' digests, 32 bytes per file, each handed to the store when there is one. */
export async function hashFiles(paths: Uint8Array[], sizes: number[], store: ObjectStore | null): Promise<Uint8Array> {
  const digests = new Uint8Array(paths.length * DIGEST_SIZE);
  const batcher = new ContentBatcher<number>(store, (i, obj) => digests.set(obj.digest, i * DIGEST_SIZE));
  for (const [i, raw] of paths.entries()) {
    const path = Buffer.from(raw.buffer, raw.byteOffset, raw.length);
    await batcher.addFile(i, path, sizes[i], { file: path.toString(), code: 'EDIR' });
  }
  await batcher.finish();
  return digests;
}
