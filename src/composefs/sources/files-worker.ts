/** Worker thread: answers filesPool jobs (files-job.ts). */
import { serveJobs } from '../../fsverity/pool.js';
import { hashFilesJob, type FilesJob } from './files-job.js';

serveJobs(async (job: FilesJob) => {
  const digests = await hashFilesJob(job);
  return { result: digests, transfer: [digests.buffer as ArrayBuffer] };
});
