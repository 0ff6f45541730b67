/** Worker thread: hashes file ranges (range.ts) sent through rangePool with this thread's own Wasm instance. */
import { serveJobs } from './pool.js';
import { hashLevel1Range, type RangeJob } from './range.js';

serveJobs(async (job: RangeJob) => {
  const digests = hashLevel1Range(job);
  return { result: digests, transfer: [digests.buffer as ArrayBuffer] };
});
