/** Worker thread: hashes file ranges sent by pool.ts with this thread's own Wasm instance. */
import { parentPort, workerData } from 'node:worker_threads';
import { CfsError } from '../errors.js';
import { useModule } from '../wasm/instance.js';
import { hashLevel1Range, type RangeJob } from './range.js';

/** After 'ready', one reply per job. */
export type JobReply =
  | { digests: Uint8Array }
  | { error: { reason: string; file?: string; offset?: number; code?: string } };

useModule(workerData.module as WebAssembly.Module);

parentPort!.on('message', (job: RangeJob) => {
  let reply: JobReply;
  try {
    const digests = hashLevel1Range(job);
    reply = { digests };
    parentPort!.postMessage(reply, [digests.buffer as ArrayBuffer]);
  } catch (err) {
    const e = err instanceof CfsError ? err : undefined;
    const reason = e?.reason ?? (err instanceof Error ? err.message : String(err));
    reply = { error: { reason, file: e?.file, offset: e?.offset, code: e?.code } };
    parentPort!.postMessage(reply);
  }
});
parentPort!.postMessage('ready');
